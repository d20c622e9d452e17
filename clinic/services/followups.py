"""Follow-ups that are due but not booked: found by a sweep, and the patient asked to book."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic.domain import followups as rules
from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action
from clinic.domain.reminders import plan_follow_up_unbooked_notice
from clinic.domain.visits import SeriesStatus, VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from clinic.services.access import authorize_record
from clinic.services.actor import Actor
from clinic.services.appointments import place_visit
from clinic.services.errors import Conflict
from clinic.services.reminders import add_planned, plan_reminders, recipient_prefs, visit_facts

# Series started longer ago than this have finished induction and follow-ups.
ACTIVE_SERIES_LOOKBACK = timedelta(days=200)
BOOKING_SEARCH_DAYS = 14


def is_follow_up_booked(series: Series, due: datetime) -> bool:
    """Whether the series holds a follow-up visit that counts for a follow-up due at `due` (see
    `clinic.domain.followups`: within 7 local days either side, at the series' location)."""
    visits = [(a.start_at, a.status) for a in series.appointments if a.kind == "follow_up"]
    return rules.is_follow_up_booked(due, visits, series.location.zone)


def unbooked_follow_ups(now: datetime) -> list[Appointment]:
    """Cancelled or missed follow-up visits, due within a week or overdue by up to two weeks, not rebooked."""
    since = (now - ACTIVE_SERIES_LOOKBACK).date()
    series_list = db.session.scalars(
        select(Series)
        .options(selectinload(Series.appointments), selectinload(Series.location))
        .where(Series.status == SeriesStatus.ACTIVE, Series.start_date >= since)
    )
    found = []
    for series in series_list:
        for visit in series.appointments:
            if visit.kind != "follow_up" or visit.status not in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW):
                continue
            if not now - timedelta(days=14) <= visit.start_at <= now + timedelta(days=7):
                continue
            if not is_follow_up_booked(series, visit.start_at):
                found.append(visit)
    return found


def sweep_unbooked_follow_ups(now: datetime) -> int:
    """Plan one "your follow-up is due but not booked" message per missing follow-up (once, by its key)."""
    planned = 0
    for visit in unbooked_follow_ups(now):
        facts = visit_facts(visit, now)
        notices = plan_follow_up_unbooked_notice(facts, recipient_prefs(visit.patient, facts.timezone), now)
        planned += len(add_planned([(visit, notice) for notice in notices], now))
    return planned


def book_due_follow_up(series: Series, due: datetime, actor: Actor, now: datetime) -> Appointment:
    """One click: book the follow-up in the first free slot from its due date on, at the series' time."""
    authorize_record(actor, Action.FOLLOW_UP_BOOK, series, "series")
    tz = series.location.zone
    first_day = max(due.astimezone(tz).date(), (now + timedelta(hours=1)).astimezone(tz).date())
    for offset in range(BOOKING_SEARCH_DAYS):
        start = utc_at(first_day + timedelta(days=offset), series.start_time, tz)
        if start <= now:
            continue
        data = {
            "patient_id": series.patient_id,
            "kind": "follow_up",
            "location_id": series.location_id,
            "provider_id": series.provider_id,
            "start": start,
        }
        try:
            with db.session.begin_nested():
                appointment = place_visit(data, actor, now)
        except Conflict:
            continue
        appointment.series = series
        # planned again now that it belongs to the series: its monitoring plan may ask its questionnaires
        plan_reminders([appointment], now)
        return appointment
    raise Conflict(
        f"No free follow-up slot in the {BOOKING_SEARCH_DAYS} days from the due date; book it by hand"
    )
