"""Dispatch delivers over real SMTP and a real HTTP SMS endpoint, once, and retries failures."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.domain.reminders import SMS_FORBIDDEN_WORDS
from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.jobs.runner import JOB_DEFAULTS, build_scheduler
from clinic.models.reminder import Reminder
from clinic.services.appointments import book_appointment, cancel_appointment
from tests.factories import FACTORY_ACTOR, make_clinic, make_patient


@pytest.fixture
def booked(app, clock):
    """A Spravato dose on Mon 8 March 2027 at 09:00 New York time for a patient with e-mail and SMS."""
    with app.app_context():
        clinic = make_clinic()
        patient = make_patient(
            first_name="Avery",
            reminder_channels=["email", "sms"],
            phone="+16175550142",
            email="avery@example.com",
            rems_enrolled_on=date(2027, 1, 4),
        )
        db.session.commit()
        appointment = book_appointment(
            {
                "patient_id": patient.id,
                "kind": "dose",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "chair_id": clinic["rooms"][0],
                "protocol": "spravato-induction",
                "start": datetime(2027, 3, 8, 14, 0, tzinfo=UTC),
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        return appointment.id


def _reminders(app, appointment_id, kind):
    with app.app_context():
        rows = db.session.scalars(
            select(Reminder).where(Reminder.appointment_id == appointment_id, Reminder.kind == kind)
        ).all()
        return {r.channel: r for r in rows}


def _dispatch(app):
    with app.app_context():
        return dispatch_due_reminders()


def test_preparation_reminder_reaches_smtp_and_the_sms_gateway(app, clock, booked, live_channels):
    mailbox, gateway = live_channels
    clock.now = datetime(2027, 3, 7, 14, 0, tzinfo=UTC)  # 24 h before
    outcomes = _dispatch(app)
    assert outcomes["sent"] >= 2

    preparation = [
        m for m in mailbox.messages if m["X-Clinic-Idempotency-Key"].split(":")[1] == "preparation"
    ]
    assert len(preparation) == 1
    message = preparation[0]
    assert message["To"] == "avery@example.com"
    text, html = mailbox.bodies(message)
    for body in (text, html):
        # New York times, written the en_US way (a narrow no-break space before AM)
        assert "7:00\u202fAM" in body  # no food after: 2 h before the 9:00 AM dose
        assert "8:30\u202fAM" in body  # no liquids after: 30 min before
        assert "8:45\u202fAM" in body  # arrival, 15 min before
        assert "120 Harbor" in body or "1 Main Street" in body
    sms = [s for s in gateway.received if ":preparation:" in s["idempotency_key"]]
    assert len(sms) == 1
    assert sms[0]["to"] == "+16175550142"
    assert "7:00 AM" in sms[0]["text"] and "8:30 AM" in sms[0]["text"]
    lowered = sms[0]["text"].lower()
    assert not [word for word in SMS_FORBIDDEN_WORDS if word in lowered]
    assert gateway.headers[0]["Idempotency-Key"] == gateway.received[0]["idempotency_key"]
    assert gateway.headers[0]["Authorization"].startswith("Basic ")

    rows = _reminders(app, booked, "preparation")
    assert {r.status for r in rows.values()} == {"sent"}
    assert rows["sms"].sent_at == clock.now

    delivered = len(mailbox.messages) + len(gateway.received)
    assert delivered == outcomes["sent"]
    again = _dispatch(app)
    assert again["sent"] == 0
    assert len(mailbox.messages) + len(gateway.received) == delivered


def test_a_failing_gateway_is_retried_with_backoff_then_marked_failed(app, clock, booked, live_channels):
    _, gateway = live_channels
    gateway.fail_with = 503
    clock.now = datetime(2027, 3, 5, 14, 0, tzinfo=UTC)  # the 72 h ride reminder is due
    _dispatch(app)
    sms = _reminders(app, booked, "ride_check")["sms"]
    assert (sms.status, sms.attempts) == ("pending", 1)
    assert sms.next_attempt_at == clock.now + timedelta(minutes=1)
    assert "503" in sms.status_reason

    for wait in (1, 5, 15, 60):
        clock.advance(minutes=wait)
        _dispatch(app)
    sms = _reminders(app, booked, "ride_check")["sms"]
    assert (sms.status, sms.attempts) == ("failed", 5)
    assert _reminders(app, booked, "ride_check")["email"].status == "sent"
    assert gateway.received == []


def test_a_rejected_number_fails_at_once(app, clock, booked, live_channels):
    _, gateway = live_channels
    gateway.fail_with = 400
    clock.now = datetime(2027, 3, 5, 14, 0, tzinfo=UTC)
    _dispatch(app)
    sms = _reminders(app, booked, "ride_check")["sms"]
    assert (sms.status, sms.attempts) == ("failed", 1)


def test_cancelling_sends_exactly_one_notice_and_nothing_else(app, clock, booked, live_channels):
    mailbox, gateway = live_channels
    with app.app_context():
        from clinic.models.appointment import Appointment

        cancel_appointment(
            db.session.get(Appointment, booked), "Patient unwell", "this", FACTORY_ACTOR, clock.now
        )
        db.session.commit()
    _dispatch(app)
    clock.now = datetime(2027, 3, 9, 12, 0, tzinfo=UTC)  # after every reminder would have been due
    _dispatch(app)
    delivered = [m["X-Clinic-Idempotency-Key"] for m in mailbox.messages] + [
        s["idempotency_key"] for s in gateway.received
    ]
    assert len(delivered) == 1
    assert ":cancellation" in delivered[0] or "cancel" in delivered[0]


def test_a_reminder_due_while_the_scheduler_was_down_is_sent_when_it_returns(
    app, clock, booked, live_channels
):
    mailbox, _ = live_channels
    soon = _reminders(app, booked, "soon")["email"]
    clock.now = soon.due_at + timedelta(minutes=10)  # the scheduler was down for ten minutes
    _dispatch(app)
    assert _reminders(app, booked, "soon")["email"].status == "sent"
    assert any(":soon:" in m["X-Clinic-Idempotency-Key"] for m in mailbox.messages)


def test_scheduler_jobs_run_at_start_and_tolerate_late_runs(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"dispatch", "digests", "heartbeat", "unbooked-follow-ups"} <= set(jobs)
    assert JOB_DEFAULTS["misfire_grace_time"] >= 60 and JOB_DEFAULTS["coalesce"] is True


def test_visit_cancelled_without_withdrawal_is_skipped_at_send_time(app, clock, booked, live_channels):
    mailbox, gateway = live_channels
    with app.app_context():
        from clinic.models.appointment import Appointment

        db.session.get(Appointment, booked).status = "cancelled"  # as if changed behind the outbox's back
        db.session.commit()
    clock.now = datetime(2027, 3, 7, 14, 0, tzinfo=UTC)
    _dispatch(app)
    assert mailbox.messages == [] and gateway.received == []
    rows = _reminders(app, booked, "preparation")
    assert {r.status for r in rows.values()} == {"skipped"}
    assert "cancelled" in rows["email"].status_reason


def test_cli_dispatch_once_writes_to_the_file_sink(app, clock, booked, tmp_path):
    clock.now = datetime(2027, 3, 7, 14, 0, tzinfo=UTC)
    result = app.test_cli_runner().invoke(args=["reminders", "dispatch", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent:" in result.output
    lines = (tmp_path / "instance" / "outbox" / "email.jsonl").read_text().splitlines()
    keys = [json.loads(line)["idempotency_key"] for line in lines]
    assert any(":preparation:" in key for key in keys)
