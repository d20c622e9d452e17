from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.domain.localtime import local_date_of, utc_at
from clinic.extensions import db
from clinic.models.provider import Provider
from clinic.models.reminder import Reminder
from clinic.services.appointments import cancel_appointment, place_visit
from clinic.services.digests import plan_digests, render_provider_digest
from clinic.services.dispatch import deliver
from clinic.services.followups import sweep_unbooked_follow_ups
from clinic.services.monitoring import follow_ups, plans_for
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app_ctx):
    return make_clinic()


def _series(clinic):
    series = create_series(
        {
            "patient_id": clinic["patient_id"],
            "protocol": "iv-ketamine-induction",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start_date": date(2027, 3, 8),
            "start_time": time(10),
            "parameters": {},
        },
        FACTORY_ACTOR,
        NOW,
    )
    db.session.commit()
    return series


def test_the_digest_is_planned_once_per_provider_and_day_at_07_00_local(clinic):
    before_dst = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)  # 05:00 EST
    [digest] = plan_digests(before_dst)
    assert digest.due_at == datetime(2027, 3, 8, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert plan_digests(before_dst) == []
    db.session.commit()
    [after] = plan_digests(datetime(2027, 3, 15, 10, 0, tzinfo=UTC))
    assert after.due_at == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)  # 07:00 EDT


def test_the_digest_lists_todays_doses_and_unresolved_visits_by_initials(clinic, app):
    series = _series(clinic)
    provider = db.session.get(Provider, clinic["provider_id"])
    message = render_provider_digest(provider, datetime(2027, 3, 10, 12, 0, tzinfo=UTC), NOW)
    assert "10:00" in message.text
    assert "P. I." in message.text  # initials of the factory patient, not the full name
    assert series.patient.last_name not in message.text
    later = render_provider_digest(provider, datetime(2027, 3, 11, 12, 0, tzinfo=UTC), NOW)
    assert "never checked in" in later.text  # Wednesday's dose was left open


def test_a_cancelled_follow_up_that_is_not_rebooked_gets_one_reminder(clinic):
    series = _series(clinic)
    follow_up = next(a for a in series.appointments if a.kind == "follow_up")
    cancel_appointment(follow_up, "Patient on holiday", "this", FACTORY_ACTOR, NOW)
    db.session.commit()
    sweep_time = datetime.combine(follow_up.start_at.date(), time(16), tzinfo=UTC)
    assert sweep_unbooked_follow_ups(sweep_time) == 1
    db.session.commit()
    assert sweep_unbooked_follow_ups(sweep_time) == 0  # once per missing follow-up
    rows = db.session.scalars(select(Reminder).where(Reminder.kind == "follow_up_unbooked")).all()
    assert [(r.channel, r.appointment_id) for r in rows] == [("email", follow_up.id)]


def test_a_follow_up_rebooked_on_the_seventh_day_after_counts_for_the_plan_the_list_and_the_reminder(clinic):
    series = _series(clinic)
    missed = next(a for a in series.appointments if a.kind == "follow_up")
    tz = series.location.zone
    cancel_appointment(missed, "Patient on holiday", "this", FACTORY_ACTOR, NOW)
    db.session.commit()
    sweep_time = missed.start_at + timedelta(hours=6)
    assert sweep_unbooked_follow_ups(sweep_time) == 1
    db.session.commit()
    [notice] = db.session.scalars(select(Reminder).where(Reminder.kind == "follow_up_unbooked")).all()

    # rebooked on the last day of the window, later in the day than the missed visit was
    last_day = local_date_of(missed.start_at, tz) + timedelta(days=7)
    rebooked = place_visit(
        {
            "patient_id": series.patient_id,
            "kind": "follow_up",
            "location_id": series.location_id,
            "provider_id": series.provider_id,
            "start": utc_at(last_day, time(15), tz),
        },
        FACTORY_ACTOR,
        sweep_time,
    )
    rebooked.series = series
    db.session.commit()

    assert deliver(notice, {}, sweep_time, 3).reason == "a follow-up has been booked since"
    [plan] = plans_for([series], sweep_time)
    item = next(i for i in plan.plan.items if i.key == "follow_up_visit@7d")
    assert (item.appointment_id, item.status) == (rebooked.id, "upcoming")
    assert follow_ups(sweep_time, series.provider_id, 14).unbooked == []
