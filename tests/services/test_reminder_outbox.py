"""The outbox is planned with the booking, replaced on a move and withdrawn on a cancel (frozen time)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.reminder import Reminder
from clinic.services.appointments import cancel_appointment, reschedule_appointment
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic, make_patient

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app_ctx):
    return make_clinic()


def _book(clinic, protocol="spravato-induction", start=date(2027, 3, 8), at=time(9), patient_id=None):
    series = create_series(
        {
            "patient_id": patient_id or clinic["patient_id"],
            "protocol": protocol,
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start_date": start,
            "start_time": at,
            "parameters": {},
        },
        FACTORY_ACTOR,
        NOW,
    )
    db.session.commit()
    return series


def _pending(appointment_id: int) -> dict[str, datetime]:
    rows = db.session.scalars(
        select(Reminder).where(Reminder.appointment_id == appointment_id, Reminder.status == "pending")
    )
    return {f"{r.kind}/{r.channel}": r.due_at for r in rows}


def test_dose_reminders_are_planned_at_the_right_instants_across_the_dst_change(clinic):
    series = _book(clinic)
    doses = [a for a in series.appointments if a.kind == "dose"]
    # Dose 3 is Mon 15 March 09:00 EDT (13:00 UTC), the day after clocks went forward.
    third = doses[2]
    assert third.start_at == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
    planned = _pending(third.id)
    assert planned["ride_check/email"] == third.start_at - timedelta(hours=72)  # Fri 12 Mar 08:00 EST
    assert planned["preparation/email"] == third.start_at - timedelta(hours=24)
    # 2 h before is 07:00 local, inside quiet hours (21:00-08:00): moved to 20:45 the evening before (EDT).
    assert planned["soon/email"] == datetime(2027, 3, 15, 0, 45, tzinfo=UTC)
    assert planned["check_in/email"] == datetime(2027, 3, 16, 14, 0, tzinfo=UTC)  # 10:00 EDT next day
    first = doses[0]  # Mon 8 March 09:00 EST
    assert _pending(first.id)["soon/email"] == datetime(2027, 3, 8, 1, 45, tzinfo=UTC)  # 20:45 EST


def test_channels_and_consent_are_honoured(clinic):
    both = make_patient(reminder_channels=["email", "sms"], rems_enrolled_on=date(2027, 1, 1))
    none = make_patient(reminder_consent=False, rems_enrolled_on=date(2027, 1, 1))
    db.session.commit()
    with_both = _book(clinic, protocol="spravato-maintenance", patient_id=both.id)
    without = _book(clinic, protocol="spravato-maintenance", patient_id=none.id, at=time(13))
    channels = {key.split("/")[1] for key in _pending(with_both.appointments[0].id)}
    assert channels == {"email", "sms"}
    assert _pending(without.appointments[0].id) == {}


def test_moving_a_visit_replans_its_reminders(clinic):
    series = _book(clinic)
    dose = [a for a in series.appointments if a.kind == "dose"][1]  # Thu 11 March 09:00
    before = _pending(dose.id)
    reschedule_appointment(dose, dose.start_at + timedelta(hours=4), "this", FACTORY_ACTOR, NOW)
    db.session.commit()
    after = _pending(dose.id)
    assert after["preparation/email"] == before["preparation/email"] + timedelta(hours=4)
    cancelled = db.session.scalars(
        select(Reminder).where(Reminder.appointment_id == dose.id, Reminder.status == "cancelled")
    ).all()
    assert len(cancelled) == len(before)
    assert {r.status_reason for r in cancelled} == {"visit moved"}


def test_cancelling_cancels_reminders_and_plans_exactly_one_notice(clinic):
    series = _book(clinic)
    doses = [a for a in series.appointments if a.kind == "dose"]
    cancel_appointment(doses[4], "Patient stopped treatment", "following", FACTORY_ACTOR, NOW)
    db.session.commit()
    notices = db.session.scalars(select(Reminder).where(Reminder.kind == "cancellation")).all()
    assert len(notices) == 1
    assert notices[0].appointment_id == doses[4].id
    assert notices[0].due_at == NOW
    later_ids = [a.id for a in series.appointments if a.start_at >= doses[4].start_at]
    still_pending = db.session.scalars(
        select(Reminder).where(
            Reminder.appointment_id.in_(later_ids),
            Reminder.status == "pending",
            Reminder.kind != "cancellation",
        )
    ).all()
    assert still_pending == []
