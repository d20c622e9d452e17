"""Word of every change, through the real SMTP server and SMS endpoint: a booking confirmation, a notice
when a visit moves, and the next-day check only after a visit that took place."""

from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from clinic.domain.reminders import SMS_FORBIDDEN_WORDS
from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.appointment import Appointment
from clinic.models.reminder import Reminder
from clinic.services.appointments import (
    book_appointment,
    cancel_appointment,
    mark_no_show,
    reschedule_appointment,
)
from clinic.services.commands import CheckIn, Discharge
from clinic.services.session import check_in, discharge
from tests.factories import FACTORY_ACTOR, book_series, make_clinic, make_patient

DRUG_WORDS = ("spravato", "esketamine", "ketamine")


def _kind(message) -> str:
    # a long key is folded and may be encoded (RFC 2047) on the way through SMTP
    key = str(make_header(decode_header(message["X-Clinic-Idempotency-Key"]))).strip()
    return key.split(":")[1]


def _dispatch(app):
    with app.app_context():
        return dispatch_due_reminders()


def _patient(**fields):
    return make_patient(
        first_name="Avery",
        reminder_channels=["email", "sms"],
        phone="+16175550142",
        email="avery@example.com",
        rems_enrolled_on=date(2027, 1, 4),
        **fields,
    )


@pytest.fixture
def dose(app, clock):
    """Book one Spravato dose at 09:00 New York time on the given day; returns a function."""

    def book(day: date = date(2027, 3, 8), hour_utc: int = 14) -> int:
        with app.app_context():
            clinic = make_clinic()
            patient = _patient()
            db.session.commit()
            appointment = book_appointment(
                {
                    "patient_id": patient.id,
                    "kind": "dose",
                    "location_id": clinic["location_id"],
                    "provider_id": clinic["provider_id"],
                    "chair_id": clinic["rooms"][0],
                    "protocol": "spravato-induction",
                    "start": datetime(day.year, day.month, day.day, hour_utc, 0, tzinfo=UTC),
                },
                FACTORY_ACTOR,
                clock.now,
            )
            db.session.commit()
            return appointment.id

    return book


def test_a_booked_series_sends_one_confirmation_with_local_dates_and_no_drug_name(app, clock, live_channels):
    mailbox, gateway = live_channels
    clock.now = datetime(2027, 3, 1, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles, outside quiet hours
    with app.app_context():
        clinic = make_clinic(timezone="America/Los_Angeles")
        patient = _patient()
        db.session.commit()
        series = book_series({**clinic, "patient_id": patient.id}, clock.now)
        count = len(series.appointments)
    _dispatch(app)

    confirmations = [m for m in mailbox.messages if _kind(m) == "confirmation"]
    assert len(confirmations) == 1
    message = confirmations[0]
    assert message["To"] == "avery@example.com"
    assert message["Subject"] == f"Your {count} visits are booked"
    text, html = mailbox.bodies(message)
    for body in (text, html):
        # 09:00 in Los Angeles, written the en_US way, never the UTC 17:00
        assert "Mon, Mar 8, 9:00" in body and "Thu, Mar 11, 9:00" in body
        assert "17:00" not in body and "5:00" not in body
        assert not [word for word in DRUG_WORDS if word in body.lower()]
    assert text.count("- ") >= count
    assert "arrange a ride home for every visit" in text
    assert "no food for 2 hours, and no liquids for 30 minutes" in text
    assert "Ask us for your calendar link" in text
    # the same one confirmation by text, with nothing clinical in it
    sms = [s for s in gateway.received if ":confirmation:" in s["idempotency_key"]]
    assert len(sms) == 1
    assert f"your {count} visits are booked, the first on Mon, Mar 8, 9:00" in sms[0]["text"]
    assert not [word for word in SMS_FORBIDDEN_WORDS if word in sms[0]["text"].lower()]
    # a second pass sends nothing again
    assert _dispatch(app)["sent"] == 0


def test_a_single_visit_booking_is_confirmed_with_its_preparation(app, clock, dose, live_channels):
    mailbox, _ = live_channels
    dose()
    _dispatch(app)
    (message,) = [m for m in mailbox.messages if _kind(m) == "confirmation"]
    assert message["Subject"] == "Your visit on Mon, Mar 8, 9:00 AM is booked"
    text, _ = mailbox.bodies(message)
    assert "by 8:45\u202fAM" in text
    assert "Do not drive until the next day after a night's restful sleep (not before Tue, Mar 9)" in text
    assert "treatment" in text and not [word for word in DRUG_WORDS if word in text.lower()]


def test_a_moved_visit_sends_a_notice_with_the_old_and_the_new_time(app, clock, dose, live_channels):
    mailbox, gateway = live_channels
    appointment_id = dose()
    _dispatch(app)  # the confirmation
    clock.now += timedelta(hours=1)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        reschedule_appointment(
            appointment, datetime(2027, 3, 9, 15, 0, tzinfo=UTC), "this", FACTORY_ACTOR, clock.now
        )
        db.session.commit()
    _dispatch(app)

    (notice,) = [m for m in mailbox.messages if _kind(m) == "moved"]
    assert notice["Subject"] == "Your visit has moved to Tue, Mar 9, 10:00 AM"
    text, html = mailbox.bodies(notice)
    for body in (text, html):
        assert "from Mon, Mar 8, 9:00\u202fAM to Tue, Mar 9, 10:00\u202fAM" in body
    assert "Please let the person who takes you home know the new time." in text
    (sms,) = [s for s in gateway.received if ":moved:" in s["idempotency_key"]]
    assert "Mon, Mar 8, 9:00 AM has moved to Tue, Mar 9, 10:00 AM" in sms["text"].replace("\u202f", " ")


def _next_day_checks(app, appointment_id):
    with app.app_context():
        return {
            r.channel: (r.status, r.status_reason)
            for r in db.session.scalars(
                select(Reminder).where(Reminder.appointment_id == appointment_id, Reminder.kind == "check_in")
            )
        }


def test_a_completed_visit_gets_the_next_day_check(app, clock, dose, live_channels):
    mailbox, gateway = live_channels
    appointment_id = dose()
    visit_start = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        check_in(appointment, CheckIn(override_reason="ride on its way"), FACTORY_ACTOR, visit_start)
        discharge(
            appointment,
            Discharge(override_reason="seen by the provider"),
            FACTORY_ACTOR,
            visit_start + timedelta(hours=2, minutes=30),
        )
        db.session.commit()
    clock.now = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)  # 10:00 in New York, the day after
    _dispatch(app)

    (check,) = [m for m in mailbox.messages if _kind(m) == "check_in"]
    assert check["Subject"] == "How are you feeling?"
    text, _ = mailbox.bodies(check)
    assert "after your visit on Mon, Mar 8" in text
    (sms,) = [s for s in gateway.received if ":check_in:" in s["idempotency_key"]]
    assert "how are you feeling after your visit?" in sms["text"]
    assert _next_day_checks(app, appointment_id) == {"email": ("sent", ""), "sms": ("sent", "")}


def test_a_cancelled_or_missed_visit_gets_no_next_day_check(app, clock, dose, live_channels):
    mailbox, gateway = live_channels
    cancelled_id = dose(date(2027, 3, 8))
    missed_id = dose(date(2027, 3, 8), hour_utc=16)
    with app.app_context():
        cancel_appointment(
            db.session.get(Appointment, cancelled_id), "patient unwell", "this", FACTORY_ACTOR, clock.now
        )
        mark_no_show(
            db.session.get(Appointment, missed_id), FACTORY_ACTOR, datetime(2027, 3, 8, 17, 0, tzinfo=UTC)
        )
        db.session.commit()
    clock.now = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    _dispatch(app)

    assert [m for m in mailbox.messages if _kind(m) == "check_in"] == []
    assert [s for s in gateway.received if ":check_in:" in s["idempotency_key"]] == []
    assert {status for status, _ in _next_day_checks(app, cancelled_id).values()} == {"cancelled"}
    assert {status for status, _ in _next_day_checks(app, missed_id).values()} == {"cancelled"}
