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

A read of one statement that needs no transaction (the health check's `SELECT 1`, a feed's token and version)
runs `outside_transaction`: on a server database the statement commits on its own, one round trip instead of
three (BEGIN, the statement, COMMIT). The hottest one, a calendar feed's, is a `DriverRead`.
"""

import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

from psycopg import OperationalError, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result
from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Idle connections are the ones a restart, a firewall's or the server's idle timeout may have dropped.
PING_AFTER_IDLE_SECONDS = 5.0
_RETURNED_AT = "clinic.returned_at"
# Names of the DriverRead statements prepared on a connection (its pool entry's info lives as long as it).
_PREPARED = "clinic.prepared"
_NO_SUCH_STATEMENT = b"26000"  # invalid_sql_statement_name


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_when_idle(engine)


def outside_transaction(engine: Engine) -> Connection:
    """A connection (use it in a `with` block) for statements that need no transaction around them: on a
    server database each commits on its own (autocommit). SQLite opens every transaction with BEGIN
    IMMEDIATE (its "begin" event), which autocommit would leave open, so there it is an ordinary connection
    whose transaction ends with the block."""
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        return connection
    try:
        return connection.execution_options(isolation_level="AUTOCOMMIT")
    except BaseException:
        connection.close()
        raise


class DriverRead:
    """A fixed SELECT (no IN-lists) read outside any transaction on PostgreSQL, through libpq (psycopg.pq).

    Calendar clients fetch their feed every few minutes from every device, and each fetch is one statement
    whose answer is usually "unchanged". SQLAlchemy's execution of that statement (compiled-cache lookup,
    execution context, result metadata built from the cursor's description, the isolation level set and reset
    on the connection) cost about as much CPU as the rest of the request, and a psycopg cursor (its query
    conversion, prepared-statement bookkeeping, autocommit switched on and off, its wait loop) still about
    40% of it. Here the statement is compiled once per dialect with numbered parameters, prepared once per
    connection under its own name, and run with one blocking libpq call on a pooled connection (checked out
    as any other: pinged when idle). An idle libpq connection runs a statement as its own transaction, so no
    BEGIN or COMMIT is sent. Parameters and the row are converted by psycopg's adapters and then by the
    columns' own types, so values come back as through SQLAlchemy (UTC datetimes, ...). A driver error comes
    back as SQLAlchemy's (an OperationalError answers 503), and the connection that raised it is thrown away.
    """

    _names = itertools.count(1)

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        # Unique per process; a connection remembers which of these it has prepared (`_PREPARED`).
        self.name = f"clinic_read_{next(self._names)}".encode()
        self._compiled: dict[str, tuple] = {}

    def _for(
        self, dialect: Dialect
    ) -> tuple[str, bytes, dict[str, Any], list[tuple[str, Callable]], list, list]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            # The same dialect with $1, $2, ... placeholders: what libpq prepares.
            numbered = type(dialect)(paramstyle="numeric_dollar")  # type: ignore[call-arg]
            sql = self.statement.compile(dialect=numbered)
            binds = [(sql.bind_names[bind], bind.type.bind_processor(dialect)) for bind in sql.binds.values()]
            selected = self.statement.selected_columns
            columns = [column.type.result_processor(dialect, None) for column in selected]
            compiled = self._compiled[dialect.name] = (
                sql.string,
                sql.string.encode(),
                dict(sql.params),
                [(name, process) for name, process in binds if process is not None],
                columns,
                list(sql.positiontup or ()),
            )
        return compiled

    def first(self, engine: Engine, parameters: Mapping[str, Any]) -> tuple | None:
        """The statement's first row with these parameters (the others are the statement's own), or None."""
        sql, encoded, defaults, binds, columns, positions = self._for(engine.dialect)
        values = {**defaults, **parameters}
        for name, process in binds:
            values[name] = process(values[name])
        dbapi_error = engine.dialect.loaded_dbapi.Error
        pooled = engine.raw_connection()
        try:
            driver: Any = pooled.driver_connection  # psycopg's connection
            pgconn = driver.pgconn
            if pgconn.transaction_status != pq.TransactionStatus.IDLE:
                raise OperationalError("a pooled connection came back inside a transaction")
            prepared: set[bytes] = pooled.info.setdefault(_PREPARED, set())
            if self.name not in prepared:
                _checked(pgconn.prepare(self.name, encoded), driver)
                prepared.add(self.name)
            adapt = Transformer(driver)
            arguments = adapt.dump_sequence(
                [values[name] for name in positions], [PyFormat.TEXT] * len(positions)
            )
            result = pgconn.exec_prepared(self.name, arguments)
            if result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_STATEMENT:
                # psycopg sends DEALLOCATE ALL after a ROLLBACK on a connection where it prepared statements
                # of its own, which drops this one too. Outside a transaction the failed attempt leaves
                # nothing behind: prepare it again and run it.
                _checked(pgconn.prepare(self.name, encoded), driver)
                result = pgconn.exec_prepared(self.name, arguments)
            _checked(result, driver)
            row = None
            if result.ntuples:
                adapt.set_pgresult(result)
                row = adapt.load_row(0, tuple)
        except dbapi_error as error:
            pooled.invalidate(error)
            raise DBAPIError.instance(sql, values, error, dbapi_error, dialect=engine.dialect) from error
        except BaseException:
            pooled.invalidate()
            raise
        finally:
            pooled.close()
        if row is None:
            return None
        pairs = zip(row, columns, strict=True)
        return tuple(value if process is None else process(value) for value, process in pairs)


def _checked(result: Any, driver: Any) -> Any:
    """A libpq result that succeeded, else the psycopg error it carries: an OperationalError when the
    connection was lost (the server ended it, a restart), as psycopg's own cursor would raise."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return result
    if driver.pgconn.status == pq.ConnStatus.BAD:
        message = result.error_message.decode(errors="replace").strip()
        raise OperationalError(message or "the connection to the database was lost")
    raise error_from_result(result, encoding=driver.info.encoding)


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
