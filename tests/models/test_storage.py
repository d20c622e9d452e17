from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from clinic.extensions import db
from clinic.models.audit import AuditEvent, AuditEventImmutable
from clinic.models.location import Location
from clinic.services.actor import SYSTEM
from clinic.services.audit import record_event
from tests.factories import make_location


def test_instants_come_back_aware_and_in_utc(app_ctx):
    eastern = timezone(timedelta(hours=-5))
    location = make_location()
    location.created_at = datetime(2027, 1, 10, 9, 30, tzinfo=eastern)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Location, location.id)
    assert loaded.created_at == datetime(2027, 1, 10, 14, 30, tzinfo=UTC)
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused_and_others_kept_in_utc(app_ctx):
    location = make_location()
    with pytest.raises(ValueError, match="naive"):
        location.created_at = datetime(2027, 1, 10, 9, 30)
    location.created_at = datetime(2027, 3, 15, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert location.created_at.tzinfo is UTC  # before any round trip through the database
    assert location.created_at - timedelta(hours=72) == datetime(2027, 3, 12, 13, 0, tzinfo=UTC)


def test_audit_rows_cannot_be_changed_through_the_orm_or_sql(app_ctx):
    event = record_event(SYSTEM, "test.event", datetime(2027, 1, 1, tzinfo=UTC))
    db.session.commit()
    event.action = "tampered"
    with pytest.raises(AuditEventImmutable):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_events SET action = 'tampered'"))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "test.event"


def test_sqlite_is_opened_for_safe_concurrent_writes(app_ctx, backend):
    if backend != "sqlite":
        pytest.skip("SQLite connection settings")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        # BEGIN IMMEDIATE takes the write lock at once: a second writer cannot even start a transaction.
        connection.exec_driver_sql("SELECT 1")
        other = db.engine.raw_connection()
        try:
            other.execute("PRAGMA busy_timeout = 0")
            with pytest.raises(Exception, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        connection.rollback()
