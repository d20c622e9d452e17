"""The demo clinic is busy right after seeding, whatever the day and hour, on the pages staff open first."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from clinic.domain.floor import FloorPhase
from clinic.domain.rems_form import RemsFormStatus
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.demo import BUSY_FROM, BUSY_UNTIL, demo_location, demo_site, seed_demo
from clinic.services.floor import floor_board
from clinic.services.monitoring import patient_monitoring, provider_dashboard
from clinic.services.rems_forms import rems_queue
from clinic.services.schedule import day_schedule, local_today
from clinic.services.transport import rides_at_risk_for
from tests.web.test_login import _sign_in

SEEDER = Actor(user=None, label="cli", trusted=True)
# Tuesday 09:47 in New York.
WEEKDAY_MORNING = datetime(2027, 3, 2, 14, 47, tzinfo=UTC)
# Sunday 20:30 in New York, when a weekday clinic there is long closed.
SUNDAY_EVENING = datetime(2027, 3, 8, 1, 30, tzinfo=UTC)


def _seed(clock, now: datetime) -> None:
    clock.now = now
    assert seed_demo(SEEDER, now) is True
    db.session.commit()


def _login(role: str) -> Actor:
    return Actor(user=db.session.scalar(select(User).where(User.email == f"{role}@demo.clinic")))


def _patient(first_name: str) -> Patient:
    return db.session.scalar(select(Patient).where(Patient.first_name == first_name))


@pytest.mark.parametrize("now", [WEEKDAY_MORNING, SUNDAY_EVENING], ids=["weekday-morning", "sunday-evening"])
def test_the_demo_is_busy_on_the_floor_today_rides_and_provider_home(app_ctx, clock, now):
    _seed(clock, now)
    location = demo_location()
    local = now.astimezone(location.zone)
    assert BUSY_FROM <= local.time() < BUSY_UNTIL

    board = floor_board(location, _login("frontdesk"), now)
    visits = {chair.visit.phase: chair.visit for chair in board.chairs if chair.visit is not None}
    assert set(visits) == set(FloorPhase)
    assert visits[FloorPhase.MONITORING].next_check.name == "bp_post40"
    assert visits[FloorPhase.MONITORING].next_check.overdue
    assert visits[FloorPhase.READY].rules_broken == ()
    assert now - timedelta(minutes=15) <= visits[FloorPhase.DISCHARGED].completed_at <= now
    assert now < visits[FloorPhase.ARRIVING].start <= now + timedelta(hours=1)

    today = day_schedule(location, local_today(location, now))
    statuses = {visit.status for visit in today.appointments}
    assert {"completed", "checked_in", "scheduled", "no_show"} <= statuses

    at_risk = rides_at_risk_for(_login("frontdesk"), now, timedelta(hours=48))
    missing = [visit for visit in at_risk if visit.transport.status == "missing"]
    assert [visit.patient.first_name for visit in missing] == ["Quinn"]

    provider = _login("provider")
    home = provider_dashboard(now, provider.user.provider_id, 14, shown=20)
    assert [series.patient.first_name for series, _ in home.follow_ups.unbooked] == ["Drew"]
    overdue = {(s.patient.first_name, item.code) for s, item in home.overdue.items}
    assert ("Drew", "follow_up_visit") in overdue
    assert [visit.patient.first_name for visit in home.follow_ups.upcoming] == ["Drew"]
    assert [alert.patient.first_name for alert in home.alerts] == ["Taylor"]
    forms = rems_queue(provider, RemsFormStatus.DUE, now)
    yesterday = local.date() - timedelta(days=1)
    assert sum(entry.form.session_date == yesterday for entry in forms) == 2
    assert rems_queue(provider, RemsFormStatus.OVERDUE, now) == []


def test_mid_induction_trend_and_rems_enrolment_due(app_ctx, clock):
    _seed(clock, WEEKDAY_MORNING)
    provider = _login("provider")

    avery = patient_monitoring(_patient("Avery"), provider, WEEKDAY_MORNING)
    (series,) = avery.series
    assert (WEEKDAY_MORNING.date() - series.series.start_date).days == 17
    scores = [m.total for m in avery.measurements if m.instrument == "phq9"]
    assert len(scores) == 6 and scores == sorted(scores, reverse=True)
    assert avery.phq9_trend.change < 0 and avery.phq9_trend.response

    finley = patient_monitoring(_patient("Finley"), provider, WEEKDAY_MORNING)
    (plan,) = finley.series
    enrolment = next(item for item in plan.plan.items if item.code == "rems_enrolment")
    assert enrolment.status == "due"


def test_past_visits_went_through_the_session_in_order(app_ctx, clock):
    _seed(clock, WEEKDAY_MORNING)
    done = db.session.scalars(
        select(Appointment).where(Appointment.status == VisitStatus.COMPLETED, Appointment.kind == "dose")
    ).all()
    assert len(done) > 15
    for visit in done:
        assert visit.checked_in_at < visit.dose_given_at < visit.completed_at <= WEEKDAY_MORNING
        assert visit.transport.status == "verified"
    # Nothing the demo did is dated after the moment it was seeded for.
    assert db.session.scalar(select(func.max(AuditEvent.occurred_at))) <= WEEKDAY_MORNING


def test_a_second_seed_changes_nothing(app_ctx, clock):
    _seed(clock, WEEKDAY_MORNING)
    count = db.session.scalar(select(func.count()).select_from(Appointment))
    assert seed_demo(SEEDER, WEEKDAY_MORNING + timedelta(days=1)) is False
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == count


def test_a_site_is_busy_at_every_hour_of_the_year():
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for step in range(0, 366 * 24 * 4):
        now = start + timedelta(minutes=15 * step)
        site = demo_site(now)
        assert BUSY_FROM <= now.astimezone(ZoneInfo(site.timezone)).time() < BUSY_UNTIL, now
    assert demo_site(WEEKDAY_MORNING).timezone == "America/New_York"
    assert demo_site(SUNDAY_EVENING).timezone == "America/Los_Angeles"


def test_the_first_pages_show_the_demo(app, client, clock):
    with app.app_context():
        _seed(clock, WEEKDAY_MORNING)
    assert _sign_in(client, "frontdesk@demo.clinic", "demo-frontdesk-password").status_code == 302
    floor = client.get("/floor/").get_data(as_text=True)
    on_the_floor = (
        "Avery Lindqvist",
        "Riley Castellanos",
        "Jordan Mbeki",
        "Morgan Fairweather",
        "Casey Nakamura",
    )
    for name in on_the_floor:
        assert name in floor
    today = client.get("/today/").get_data(as_text=True)
    assert "Sawyer Iwu" in today and "Rowan Kowalczyk" in today
    assert "Quinn Oyelaran" in client.get("/rides/at-risk").get_data(as_text=True)

    provider = app.test_client()
    assert _sign_in(provider, "provider@demo.clinic", "demo-provider-password").status_code == 302
    home = provider.get("/provider").get_data(as_text=True)
    for name in ("Drew Halvorsen", "Taylor Brannigan", "Jamie Petrakis", "Avery Lindqvist"):
        assert name in home
