"""Engine set-up per backend.

A server database's connections are pinged before use only after they sat idle in the pool (see
PING_AFTER_IDLE_SECONDS), not on every checkout as `pool_pre_ping` does: that cost every request a round
trip. A connection used moments ago that the server dropped since (a restart under load) fails its next
statement instead; SQLAlchemy then counts every connection of the pool as stale, so the next checkouts
connect afresh. That request answers 503 (clinic.errors) and the ones after it recover.

SQLite: foreign keys on, WAL so readers never block the writer, a busy timeout instead of instant
"database is locked" errors, and every transaction opened with BEGIN IMMEDIATE. pysqlite's default opens
transactions lazily (BEGIN DEFERRED), so two requests can both read a free chair and both book it; IMMEDIATE
takes the write lock up front and serialises them.
"""

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Idle connections are the ones a restart, a firewall's or the server's idle timeout may have dropped.
PING_AFTER_IDLE_SECONDS = 5.0
_RETURNED_AT = "clinic.returned_at"


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_when_idle(engine)


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another (a new one if need be).
            raise DisconnectionError("the idle connection no longer answers") from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
