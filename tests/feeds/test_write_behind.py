"""The background writer of feed fetches' audit rows: rows wait in the process until written in a batch,
a batch the database refuses stays queued, and stopping writes what is left."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.write_behind import WriteBehind
from tests.factories import make_clinic

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
INSERT = insert(AuditEvent)


def _row(n: int) -> dict:
    return {
        "occurred_at": NOW,
        "actor_user_id": None,
        "actor_label": "patient-feed",
        "action": "feed.fetch",
        "object_type": "patient",
        "object_id": str(n),
        "remote_addr": "203.0.113.9",
        "details": {"feed_id": n},
    }


def _written(app) -> list[str]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent.object_id).order_by(AuditEvent.id)).all()
        db.session.remove()
        return list(found)


@pytest.fixture
def writer(app):
    """A writer whose thread never wakes on its own during a test: only flush and stop write."""
    with app.app_context():
        writer = WriteBehind(db.engine, interval=3600, batch=1_000_000)
    yield writer
    writer.stop()


def test_rows_wait_for_the_batch_and_are_written_in_order(app, writer):
    for n in range(3):
        writer.add(INSERT, _row(n))
    assert writer.pending() == 3 and _written(app) == []
    assert writer.flush()
    assert writer.pending() == 0 and _written(app) == ["0", "1", "2"]


def test_a_refused_batch_stays_queued_and_is_written_later(app, writer, monkeypatch):
    writer.add(INSERT, _row(1))
    monkeypatch.setattr(writer, "_engine", _Refusing())
    assert not writer.flush()
    assert writer.pending() == 1 and _written(app) == []
    monkeypatch.undo()
    writer.add(INSERT, _row(2))
    assert writer.flush()
    assert _written(app) == ["1", "2"]


def test_stopping_writes_what_is_left_and_later_rows_at_once(app, writer):
    writer.add(INSERT, _row(1))
    writer.stop()
    assert _written(app) == ["1"]
    writer.add(INSERT, _row(2))  # a request answered while the process stops
    assert writer.pending() == 0 and _written(app) == ["1", "2"]


def test_feed_fetch_rows_are_in_the_request_when_written_at_once(app, client, api_as):
    """The tests' setting (WRITE_BEHIND_SECONDS = 0): the row is committed with the request."""
    with app.app_context():
        clinic = make_clinic()
    issued = api_as("frontdesk").post(f"/api/v1/patients/{clinic['patient_id']}/feed")
    path = "/feeds/" + issued.json["url"].split("/feeds/")[1]
    assert client.get(path).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "feed.fetch")) == 1


class _Refusing:
    """An engine whose database is away."""

    def begin(self):
        raise OperationalError("BEGIN", {}, Exception("server closed the connection"))
