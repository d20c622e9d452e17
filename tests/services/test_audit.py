from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.audit import record_event, record_security_event

ATTEMPT = Actor(user=None, remote_addr="192.0.2.7", label="someone@example.com")


def _saved_actions() -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_security_event_outlives_the_rollback_of_the_transaction_it_was_recorded_in(app_ctx, clock):
    db.session.scalar(select(func.count()).select_from(User))  # the caller's transaction is open
    record_event(ATTEMPT, "something.else", clock.now)
    record_security_event(ATTEMPT, "login.failure", clock.now, object_type="user", details={"password": "x"})
    db.session.rollback()

    assert _saved_actions() == ["login.failure"]
    row = db.session.scalar(select(AuditEvent))
    assert (row.actor_label, row.remote_addr, row.object_type) == ("someone@example.com", "192.0.2.7", "user")
    assert row.details == {}, "secrets never reach the audit trail"


def test_a_security_event_outside_a_transaction_is_written_at_once(app_ctx, clock):
    record_security_event(ATTEMPT, "login.throttled", clock.now)
    assert _saved_actions() == ["login.throttled"]
