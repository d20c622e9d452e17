"""The questionnaire reminder before a follow-up whose measures the monitoring plan asks for: planned with
the series (and with a due follow-up booked later), sent through the real SMTP server, and its link opens
and saves the PHQ-9 and GAD-7 for the follow-up visit. Runs on SQLite and PostgreSQL."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.reminder import Reminder
from clinic.models.series import Series
from clinic.services.appointments import book_appointment
from clinic.services.followups import book_due_follow_up
from tests.factories import FACTORY_ACTOR, book_series, make_clinic
from tests.web.test_login import _token_from


@pytest.fixture
def series(app, clock):
    """A Spravato induction with its 7- and 28-day follow-ups, booked on 1 March."""
    with app.app_context():
        clinic = make_clinic()
        booked = book_series(clinic, clock.now)
        follow_ups = sorted(
            (a for a in booked.appointments if a.kind == "follow_up"), key=lambda a: a.start_at
        )
        assert len(follow_ups) == 2
        return {
            **clinic,
            "series_id": booked.id,
            "follow_ups": [(a.id, a.start_at) for a in follow_ups],
        }


def _questionnaire_reminders(appointment_id):
    return db.session.scalars(
        select(Reminder).where(Reminder.appointment_id == appointment_id, Reminder.kind == "questionnaire")
    ).all()


def test_each_follow_up_of_the_series_gets_the_questionnaire_reminder_24_hours_before(app, series):
    with app.app_context():
        for appointment_id, start in series["follow_ups"]:
            [row] = _questionnaire_reminders(appointment_id)
            assert (row.channel, row.due_at) == ("email", start - timedelta(hours=24))


def test_a_follow_up_outside_any_series_asks_no_questionnaire(app, clock, series):
    with app.app_context():
        lone = book_appointment(
            {
                "patient_id": series["patient_id"],
                "kind": "follow_up",
                "location_id": series["location_id"],
                "provider_id": series["provider_id"],
                "start": series["follow_ups"][1][1] + timedelta(days=30),
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        assert _questionnaire_reminders(lone.id) == []
        assert [
            r.kind for r in db.session.scalars(select(Reminder).where(Reminder.appointment_id == lone.id))
        ]


def test_a_due_follow_up_booked_again_gets_the_reminder(app, clock, series, api_as):
    first_id, first_start = series["follow_ups"][0]
    desk = api_as("frontdesk")
    assert desk.post(f"/api/v1/appointments/{first_id}/cancel", json={"reason": "ill"}).status_code == 200
    with app.app_context():
        assert all(r.status == "cancelled" for r in _questionnaire_reminders(first_id))
        booked = book_due_follow_up(
            db.session.get(Series, series["series_id"]), first_start, FACTORY_ACTOR, clock.now
        )
        db.session.commit()
        [row] = _questionnaire_reminders(booked.id)
        assert row.due_at == booked.start_at - timedelta(hours=24) and row.status == "pending"


def test_the_follow_up_reminder_is_sent_and_its_link_saves_for_the_follow_up(
    app, clock, series, live_channels
):
    mailbox, _ = live_channels
    appointment_id, start = series["follow_ups"][0]
    clock.now = start - timedelta(hours=24)
    with app.app_context():
        dispatch_due_reminders()
    [mail] = [m for m in mailbox.messages if ":questionnaire:" in m["X-Clinic-Idempotency-Key"]]
    assert f"appt-{appointment_id}:" in mail["X-Clinic-Idempotency-Key"]
    text, _html = mailbox.bodies(mail)
    url = re.search(r"https?://\S+/q/\S+", text).group(0)
    path = url[url.index("/q/") :]

    patient = app.test_client()
    page = patient.get(path)
    assert page.status_code == 200
    assert "gad7" in page.get_data(as_text=True)  # a follow-up asks the GAD-7 as well
    answers = {f"item{n}": "1" for n in range(1, 10)} | {f"gad{n}": "2" for n in range(1, 8)}
    sent = patient.post(path, data={**answers, "csrf_token": _token_from(page.data)})
    assert sent.status_code == 200
    with app.app_context():
        stored = {m.instrument: (m.total, m.appointment_id) for m in db.session.scalars(select(Measurement))}
        assert stored == {"phq9": (9, appointment_id), "gad7": (14, appointment_id)}
        [alert] = db.session.scalars(select(Alert)).all()  # item 9 answered 1: urgent
        assert alert.severity == "urgent" and alert.appointment_id == appointment_id
        assert db.session.get(Appointment, appointment_id).kind == "follow_up"
    assert patient.get(path).status_code == 410
