"""Free times to book a visit: every start that passes each rule booking it would check."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from clinic.domain.localtime import utc_at
from clinic.domain.planning import LocationRules, VisitCheck
from clinic.domain.policy import Action
from clinic.domain.rems import is_rems_enrolled_for
from clinic.domain.slots import DEFAULT_DAYS, SUGGESTION_DAYS, find_slots, nearest_starts
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.services.access import authorize, authorize_reference, require_own_provider
from clinic.services.actor import Actor
from clinic.services.appointments import DEFAULT_MINUTES, dose_spec_of
from clinic.services.lookup import get_referenced
from clinic.services.planning_inputs import load_planning_inputs


@dataclass(frozen=True)
class FreeSlot:
    """A free time in the location's local time; a dose's chair is the one booking it would get."""

    start: datetime
    end: datetime
    chair_id: int | None


@dataclass(frozen=True)
class _SlotCheck:
    """What a booking of the asked visit would check, built once for a window of local days."""

    rules: LocationRules
    check: VisitCheck
    day_ok: Callable[[date], bool] | None


def _slot_check(query: dict[str, Any], actor: Actor, first_day: date, days: int, now: datetime) -> _SlotCheck:
    authorize(actor, Action.VISIT_BOOK)
    location = get_referenced(Location, query["location_id"], "location_id")
    provider = get_referenced(Provider, query["provider_id"], "provider_id")
    require_own_provider(actor, Action.VISIT_BOOK, provider.id)
    patient = None
    if query.get("patient_id") is not None:
        authorize_reference(actor, Action.VISIT_BOOK, query["patient_id"])
        patient = get_referenced(Patient, query["patient_id"], "patient_id")
    kind = query["kind"]
    spec = dose_spec_of(query, None) if kind == "dose" else None
    minutes = spec.chair_minutes if spec else query.get("duration_minutes") or DEFAULT_MINUTES[kind]
    tz = location.zone
    window_start = utc_at(first_day, time(0), tz)
    window_end = utc_at(first_day + timedelta(days=days), time(0), tz)
    inputs = load_planning_inputs(
        location,
        provider,
        patient,
        spec.chair_kind if spec else None,
        window_start - timedelta(days=1),
        window_end + timedelta(days=1),
    )
    # The very check a single booking makes (place_visit), built once for the whole window.
    check = VisitCheck(
        kind,
        inputs.location,
        inputs.provider,
        inputs.resources,
        inputs.patient,
        now,
        duration_minutes=minutes,
    )
    day_ok = None
    if spec is not None and spec.rems_required and patient is not None:
        enrolled_on = patient.rems_enrolled_on

        def day_ok(day: date) -> bool:
            return is_rems_enrolled_for(enrolled_on, day)

    return _SlotCheck(inputs.location, check, day_ok)


def free_slots(query: dict[str, Any], actor: Actor, now: datetime) -> list[FreeSlot]:
    """Starts of a visit of `kind` with a provider at a location, every 15 minutes of the opening hours
    over `days` local days from `from` (default: today there), that pass every rule booking checks.

    With a patient, the patient's own visits and doses count too (no overlap, one dose a day) and a
    Spravato dose needs their REMS enrolment by that day. At most 200 slots, earliest first.
    """
    location = get_referenced(Location, query["location_id"], "location_id")
    tz = location.zone
    first_day: date = query.get("from") or now.astimezone(tz).date()
    days = query.get("days") or DEFAULT_DAYS
    found = _slot_check(query, actor, first_day, days, now)
    slots = find_slots(
        found.check, found.rules.opening_hours, location.timezone, first_day, days, day_ok=found.day_ok
    )
    return [FreeSlot(s.start.astimezone(tz), s.end.astimezone(tz), s.chair_id) for s in slots]


def suggest_visit_starts(query: dict[str, Any], actor: Actor, now: datetime) -> list[datetime]:
    """Up to three starts nearest to the asked one (`query["start"]`) where booking the visit passes every
    rule, in the location's local time: what a refused booking offers instead."""
    location = get_referenced(Location, query["location_id"], "location_id")
    tz = location.zone
    asked: datetime = query["start"]
    first_day = asked.astimezone(tz).date() - timedelta(days=SUGGESTION_DAYS)
    found = _slot_check(query, actor, first_day, 2 * SUGGESTION_DAYS + 1, now)
    day_ok = found.day_ok
    starts = nearest_starts(
        found.check,
        found.rules.opening_hours,
        location.timezone,
        asked,
        accept=(lambda start: day_ok(start.astimezone(tz).date())) if day_ok else None,
    )
    return [start.astimezone(tz) for start in starts]
