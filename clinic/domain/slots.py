"""Free times: the starts of a visit, on the local quarter hours of a location's opening hours, that pass
every rule a booking checks (clinic.domain.planning.VisitCheck).

Candidates are only generated inside the opening hours; each one is then asked of the same check a booking
makes, so a slot listed here is one that booking would accept with the same rules data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.domain.localtime import WeeklyHours, day_windows, local_date_of, require_aware, zone
from clinic.domain.planning import DOSE, STEP_MINUTES, VisitCheck

DEFAULT_DAYS = 7
MAX_DAYS = 31
MAX_SLOTS = 200
SUGGESTIONS = 3
# How far from the asked day suggestions for a refused move may lie.
SUGGESTION_DAYS = 14

_STEP = timedelta(minutes=STEP_MINUTES)


@dataclass(frozen=True)
class Slot:
    """A start that passes every rule; a dose's `chair_id` is the chair booking it would get."""

    start: datetime
    end: datetime
    chair_id: int | None


def _next_quarter(instant: datetime, tz: ZoneInfo) -> datetime:
    """`instant` rounded up to the next quarter hour of the local clock."""
    local = instant.astimezone(tz)
    past = timedelta(
        minutes=local.minute % STEP_MINUTES, seconds=local.second, microseconds=local.microsecond
    )
    return instant if not past else instant + (_STEP - past)


def candidate_starts(
    hours: WeeklyHours, tz_name: str, first_day: date, days: int, length: timedelta
) -> Iterator[datetime]:
    """UTC starts on the local quarter hours of each day's opening hours where a visit of `length` fits,
    day by day from local `first_day` for `days` days, earliest first."""
    tz = zone(tz_name)
    for offset in range(days):
        for opens, closes in day_windows(hours, first_day + timedelta(days=offset), tz):
            start = _next_quarter(opens, tz)
            while start + length <= closes:
                yield start
                start += _STEP


def find_slots(
    check: VisitCheck,
    hours: WeeklyHours,
    tz_name: str,
    first_day: date,
    days: int,
    *,
    limit: int = MAX_SLOTS,
    day_ok: Callable[[date], bool] | None = None,
) -> list[Slot]:
    """The first `limit` starts from local `first_day` over `days` days that pass `check`, earliest first.

    `day_ok` leaves out whole local days a booking would refuse for reasons outside the scheduling rules
    (a Spravato dose before the patient's REMS enrolment).
    """
    slots: list[Slot] = []
    tz = zone(tz_name)
    for start in candidate_starts(hours, tz_name, first_day, days, check.length):
        if day_ok is not None and not day_ok(local_date_of(start, tz)):
            continue
        passes, chair = check.fit(start)
        if passes:
            slots.append(Slot(start, start + check.length, chair if check.kind == DOSE else None))
            if len(slots) >= limit:
                break
    return slots


def nearest_starts(
    check: VisitCheck,
    hours: WeeklyHours,
    tz_name: str,
    asked: datetime,
    *,
    limit: int = SUGGESTIONS,
    days: int = SUGGESTION_DAYS,
    accept: Callable[[datetime], bool] | None = None,
) -> list[datetime]:
    """Up to `limit` starts passing `check` (and `accept`, if given) nearest to `asked`, within `days`
    local days either side; nearest first, the later one first at equal distance (as the planner)."""
    asked = require_aware(asked, "asked")
    first_day = local_date_of(asked, zone(tz_name)) - timedelta(days=days)
    candidates = sorted(
        candidate_starts(hours, tz_name, first_day, 2 * days + 1, check.length),
        key=lambda start: (abs(start - asked), start < asked),
    )
    found: list[datetime] = []
    for start in candidates:
        if start == asked:
            continue
        if check.fit(start)[0] and (accept is None or accept(start)):
            found.append(start)
            if len(found) >= limit:
                break
    return found
