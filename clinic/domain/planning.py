"""Series planning: a protocol becomes dated visits, and single visits or moves are checked against the rules.

Instants are aware UTC datetimes and intervals are half-open. Opening hours, provider availability and the
series start time are local wall-clock values in the location's timezone; clinic.domain.localtime turns them
into instants and owns the DST policy. Nothing here reads the clock: callers pass `now`.

Messages for staff ("Title: explanation", after a stable rule code) are English; the days and times in them
are written by the location's `wording` (clinic.domain.localtime.TimeWording), which the application builds
from the location's locale.

When the preferred slot of a visit breaks a rule, the planner searches the same day first in 15-minute steps
(nearest to the preferred time first, later before earlier at equal distance), then the nearby days
+1, -1, +2, -2, +3, -3 (preferred time first on each day). A moved dose never breaks the series rules
(minimum gap to the neighbouring doses, doses per 7-day block counted from the series start, no
consecutive days, maximum span) against the doses already placed; it also keeps them against the later
doses' preferred days unless no slot at all allows that, in which case the later doses move in turn.
A visit whose preferred start is before `now` is a conflict and is never moved.

A patient gets at most one dose per local day (the location's zone): a dose on a day the patient already has
another dose breaks `dose_same_day`, and the planner moves a series dose off such a day like any other rule.

Provider capacity counts the provider's dosing visits running at the same moment (the peak overlap inside
the visit), so back-to-back visits that each touch the new one only at different times count once.

Therapy sessions (a protocol's preparation and integration sessions, clinic.domain.therapy) are placed after
the doses, so they never push a dose away: each on the first day of its window (nearest the dose first) and
time (nearest the series' time first) that is open, with the provider working and free of every other visit,
and the patient free. They hold no chair; a session that fits nowhere in its window is a conflict.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal, TypedDict

from clinic.domain.localtime import (
    IsoWording,
    TimeWording,
    TzLike,
    WeeklyHours,
    WeeklyWindows,
    local_date_of,
    require_aware,
    shift_wall,
    utc_at,
    zone,
)
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.visits import THERAPY_KINDS, Modality, VisitKind

STEP_MINUTES = 15
SEARCH_DAYS = 3
DEFAULT_VISIT_MINUTES = 30

DOSE: Final = VisitKind.DOSE
FOLLOW_UP: Final = VisitKind.FOLLOW_UP
OK: Final = "ok"
MOVED: Final = "moved"
CONFLICT: Final = "conflict"

IN_PAST = "in_past"
CLOSED = "closed"
OUTSIDE_OPENING_HOURS = "outside_opening_hours"
PROVIDER_UNAVAILABLE = "provider_unavailable"
PROVIDER_TIME_OFF = "provider_time_off"
PROVIDER_CAPACITY = "provider_capacity"
PROVIDER_BUSY = "provider_busy"
NO_CHAIR = "no_chair"
PATIENT_OVERLAP = "patient_overlap"
DOSE_SAME_DAY = "dose_same_day"
MIN_GAP = "min_gap"
PER_WEEK = "per_week"
CONSECUTIVE_DAYS = "consecutive_days"
MAX_SPAN = "max_span"
_SERIES = "series"  # placeholder while searching: the detailed series rules are only spelled out on demand


@dataclass(frozen=True)
class Rule:
    """A broken rule: a stable machine `code` and a message for staff (no other patient's data)."""

    code: str
    message: str


@dataclass(frozen=True)
class Interval:
    """A half-open span of time [start, end); both ends are stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # Instants read from the database are in UTC already; a busy planning window holds a thousand
        # intervals, and converting each again was a good part of building them.
        if self.start.tzinfo is not UTC or self.end.tzinfo is not UTC:
            object.__setattr__(self, "start", require_aware(self.start, "start"))
            object.__setattr__(self, "end", require_aware(self.end, "end"))
        if self.end <= self.start:
            raise ValueError("interval must end after it starts")


@dataclass(frozen=True)
class LocationRules:
    """Opening hours (local, weekday 0 = Monday) and closure days of a location, and how its staff write
    the days and times in the rules' messages (`wording`; by default the same for every locale)."""

    timezone: str
    opening_hours: WeeklyHours
    closures: frozenset[date] = frozenset()
    wording: TimeWording | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProviderRules:
    """A provider's local availability at this location, time off, capacity, existing dosing visits (`busy`)
    and all their existing visits of any kind (`visits`: a therapy session needs the provider free)."""

    availability: WeeklyHours
    time_off: Sequence[Interval] = ()
    max_concurrent: int = 1
    busy: Sequence[Interval] = ()
    visits: Sequence[Interval] = ()


@dataclass(frozen=True)
class Resources:
    """Existing active bookings per chair id; only chairs of the protocol's kind at the location."""

    chairs: Mapping[int, Sequence[Interval]] = field(default_factory=dict)


@dataclass(frozen=True)
class PatientRules:
    """The patient's own active appointments, and the starts of their active dosing visits among them."""

    busy: Sequence[Interval] = ()
    doses: Sequence[datetime] = ()


@dataclass(frozen=True)
class SeriesRequest:
    """Enrol in `protocol` from local `start_date` at local wall-clock `start_time`; `doses_before` doses of
    the series were given already (a re-plan), which counts for "an integration session every k doses"."""

    protocol: ProtocolSpec
    start_date: date
    start_time: time
    doses_before: int = 0


@dataclass(frozen=True)
class PlannedDose:
    """Another dose of the same series, for checks of a single move."""

    start: datetime
    phase_index: int | None = None


@dataclass(frozen=True)
class Occurrence:
    """One planned visit; `original_start` is the preferred slot, `reasons` say why it was moved."""

    index: int
    kind: VisitKind
    phase_index: int | None
    start: datetime
    end: datetime
    chair_id: int | None
    status: Literal["ok", "moved", "conflict"]
    original_start: datetime
    reasons: tuple[str, ...] = ()
    broken_rules: tuple[Rule, ...] = ()
    modality: Modality = Modality.IN_PERSON
    # An integration session: the 1-based number of the dose it follows.
    after_dose: int | None = None


@dataclass(frozen=True)
class SeriesPlan:
    """The occurrences of a planned series: doses in order, then follow-ups, then therapy sessions (the
    preparation session, then the integration sessions in dose order)."""

    occurrences: list[Occurrence]

    @property
    def ok(self) -> bool:
        """True when no occurrence is a conflict."""
        return all(o.status != CONFLICT for o in self.occurrences)

    @property
    def conflicts(self) -> list[Occurrence]:
        """The occurrences that could not be placed."""
        return [o for o in self.occurrences if o.status == CONFLICT]


class _Timeline:
    """Sorted intervals with fast overlap queries."""

    def __init__(self, intervals: Sequence[Interval] = ()) -> None:
        self._items = sorted((i.start, i.end) for i in intervals)
        self._longest = max((e - s for s, e in self._items), default=timedelta(0))

    def add(self, start: datetime, end: datetime) -> None:
        insort(self._items, (start, end))
        self._longest = max(self._longest, end - start)

    def overlapping(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        found = []
        # items before `hi` start before `end`; walking back stops once no item can reach `start`
        index = bisect_left(self._items, (end,)) - 1
        while index >= 0 and self._items[index][0] + self._longest > start:
            if self._items[index][1] > start:
                found.append(self._items[index])
            index -= 1
        return found

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return bool(self.overlapping(start, end))

    def peak(self, start: datetime, end: datetime) -> int:
        """Largest number of intervals running at one moment inside [start, end)."""
        events = []
        for s, e in self.overlapping(start, end):
            events.append((max(s, start), 1))
            events.append((min(e, end), -1))
        # at equal times ends sort first: half-open intervals that touch do not run together
        running = best = 0
        for _, step in sorted(events):
            running += step
            best = max(best, running)
        return best


@dataclass
class _SeriesCheck:
    """Date-only rules of a dose against the other doses of its series (local dates, with phases)."""

    protocol: ProtocolSpec
    series_start: date
    phase: int
    others: list[tuple[date, int]]
    _ok: dict[date, bool] = field(default_factory=dict)

    def ok(self, day: date) -> bool:
        if day not in self._ok:
            self._ok[day] = not self._broken(day)
        return self._ok[day]

    def _broken(self, day: date) -> list[tuple[str, tuple]]:
        """The rules a dose on `day` breaks, each with the facts its message needs: the search asks this
        of many days and needs no words."""
        spec = self.protocol
        broken: list[tuple[str, tuple]] = []
        before = [o for o in self.others if o[0] <= day]
        after = [o for o in self.others if o[0] > day]
        neighbours = ([max(before)] if before else []) + ([min(after)] if after else [])
        for other_day, other_phase in neighbours:
            need = min(spec.phases[self.phase].min_gap_days, spec.phases[other_phase].min_gap_days)
            apart = abs((day - other_day).days)
            if apart < need:
                broken.append((MIN_GAP, (need, apart, other_day)))
        if spec.no_consecutive_days:
            touching = sorted(d for d, _ in self.others if abs((day - d).days) == 1)
            if touching:
                broken.append((CONSECUTIVE_DAYS, (touching[0],)))
        block = (day - self.series_start).days // 7
        in_block = [p for d, p in self.others if (d - self.series_start).days // 7 == block]
        cap = min(spec.phases[p].per_week for p in (self.phase, *in_block))
        if len(in_block) + 1 > cap:
            broken.append((PER_WEEK, (cap, block + 1, len(in_block) + 1)))
        if spec.max_span_days is not None:
            days = [d for d, _ in self.others] + [day]
            first = min(days)
            if (max(days) - first).days > spec.max_span_days:
                broken.append((MAX_SPAN, (spec.max_span_days, first)))
        return broken

    def rules(self, day: date, when: str, words: TimeWording) -> list[Rule]:
        """The series rules a dose on `day` (written `when`) breaks, worded with the location's `words`."""
        result = []
        for code, facts in self._broken(day):
            if code == MIN_GAP:
                need, apart, other_day = facts
                message = (
                    f"Minimum gap: doses must be at least {_count(need, 'day')} apart; {when} is "
                    f"{_count(apart, 'day')} from the dose on {words.day(other_day)}"
                )
            elif code == CONSECUTIVE_DAYS:
                message = (
                    f"Consecutive days: no doses on consecutive days; {when} is next to the dose on "
                    f"{words.day(facts[0])}"
                )
            elif code == PER_WEEK:
                cap, week, count = facts
                message = (
                    f"Doses per week: at most {cap} in week {week} of the series; {when} would make {count}"
                )
            else:
                span_days, first = facts
                message = (
                    f"Series span: all doses must fall within {_count(span_days, 'day')} of the first "
                    f"({words.day(first)}); {when} does not"
                )
            result.append(Rule(code, message))
        return result


def _count(number: int, noun: str) -> str:
    """'1 day', '2 days': a count with its noun in English."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# The message of each rule the context checks (the series rules word their own). The fields are written only
# when a template uses them (_MessageFields): a Babel format is tens of microseconds.
_MESSAGES: Final = {
    IN_PAST: "In the past: {when} has already passed",
    CLOSED: "Closed: the location is closed on {day}",
    OUTSIDE_OPENING_HOURS: "Outside opening hours: {span} is outside the location's opening hours",
    PROVIDER_UNAVAILABLE: "Provider unavailable: the provider is not working {span}",
    PROVIDER_TIME_OFF: "Provider time off: the provider is off during {span}",
    PROVIDER_BUSY: "Provider busy: the provider has another visit during {span}",
    PATIENT_OVERLAP: "Patient overlap: the patient already has a visit during {span}",
    DOSE_SAME_DAY: "One dose a day: the patient already has a dose on {day}",
    PROVIDER_CAPACITY: "Provider capacity: the provider already supervises {capacity} during {span}",
    NO_CHAIR: "No chair: no chair is free during {span}",
}
_NO_WANTED_CHAIR: Final = "No chair: the requested chair is not free during {span}"


class _MessageFields(dict[str, str]):
    """The fields of a rule's message, each written the first time a template asks for it."""

    def __init__(self, make: Mapping[str, Callable[[], str]]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self._make[key]()
        return value


class _Context:
    """The rules data of one planning or checking call, with the visits planned so far added in."""

    def __init__(
        self,
        location: LocationRules,
        provider: ProviderRules,
        resources: Resources,
        patient: PatientRules,
        now: datetime,
    ) -> None:
        self.tz = zone(location.timezone)
        self.words: TimeWording = location.wording or IsoWording(self.tz)
        self.now = require_aware(now, "now")
        self.closures = location.closures
        self.opening = WeeklyWindows(location.opening_hours, self.tz)
        self.availability = WeeklyWindows(provider.availability, self.tz)
        self.max_concurrent = provider.max_concurrent
        self.time_off = _Timeline(provider.time_off)
        self.provider_busy = _Timeline(provider.busy)
        self.provider_visits = _Timeline(provider.visits)
        self.patient = _Timeline(patient.busy)
        self.dose_days = {local_date_of(require_aware(d, "dose"), self.tz) for d in patient.doses}
        self.chairs = {cid: _Timeline(bookings) for cid, bookings in sorted(resources.chairs.items())}

    def free_chair(self, start: datetime, end: datetime, wanted: int | None = None) -> int | None:
        ids = [wanted] if wanted is not None else list(self.chairs)
        return next((c for c in ids if c in self.chairs and not self.chairs[c].overlaps(start, end)), None)

    def _closed(self, start: datetime, end: datetime) -> bool:
        if not self.closures:
            return False
        day, last = local_date_of(start, self.tz), local_date_of(end - timedelta(microseconds=1), self.tz)
        while day <= last:
            if day in self.closures:
                return True
            day += timedelta(days=1)
        return False

    def failures(
        self,
        start: datetime,
        end: datetime,
        kind: str,
        series: _SeriesCheck | None,
        first_only: bool,
        wanted_chair: int | None = None,
    ) -> tuple[list[str], int | None]:
        """Codes of the rules the slot breaks (only the first if `first_only`) and the chair it would get."""
        failed: list[str] = []

        def hit(code: str) -> bool:
            failed.append(code)
            return first_only

        day = local_date_of(start, self.tz)
        if start < self.now and hit(IN_PAST):
            return failed, None
        if self._closed(start, end) and hit(CLOSED):
            return failed, None
        if series is not None and not series.ok(day) and hit(_SERIES):
            return failed, None
        if kind == DOSE and day in self.dose_days and hit(DOSE_SAME_DAY):
            return failed, None
        if not self.opening.covers(start, end) and hit(OUTSIDE_OPENING_HOURS):
            return failed, None
        if not self.availability.covers(start, end) and hit(PROVIDER_UNAVAILABLE):
            return failed, None
        if self.time_off.overlaps(start, end) and hit(PROVIDER_TIME_OFF):
            return failed, None
        if kind in THERAPY_KINDS and self.provider_visits.overlaps(start, end) and hit(PROVIDER_BUSY):
            return failed, None
        if self.patient.overlaps(start, end) and hit(PATIENT_OVERLAP):
            return failed, None
        chair = None
        if kind == DOSE:
            if self.provider_busy.peak(start, end) >= self.max_concurrent and hit(PROVIDER_CAPACITY):
                return failed, None
            chair = self.free_chair(start, end, wanted_chair)
            if chair is None:
                hit(NO_CHAIR)
        return failed, chair

    def rules(
        self,
        codes: list[str],
        start: datetime,
        end: datetime,
        series: _SeriesCheck | None,
        wanted_chair: int | None = None,
    ) -> list[Rule]:
        """Spell out failed rule codes as Rules with messages in local time, worded for the location."""
        words = self.words
        fields = _MessageFields(
            {
                "when": lambda: words.moment(start),
                "span": lambda: words.span(start, end),
                "day": lambda: words.day(local_date_of(start, self.tz)),
                "capacity": lambda: _count(self.max_concurrent, "dosing visit"),
            }
        )
        result: list[Rule] = []
        for code in codes:
            if code == _SERIES:
                assert series is not None
                result.extend(series.rules(local_date_of(start, self.tz), fields["when"], words))
            else:
                template = (
                    _NO_WANTED_CHAIR if code == NO_CHAIR and wanted_chair is not None else _MESSAGES[code]
                )
                result.append(Rule(code, template.format_map(fields)))
        return result

    def moved_to(self, start: datetime, preferred_day: date) -> str:
        """Where a visit moved, as its reasons end: the time on its preferred day, else the day and time."""
        if local_date_of(start, self.tz) == preferred_day:
            return self.words.clock(start)
        return self.words.moment(start)

    def book(self, occurrence: Occurrence) -> None:
        """Count a planned visit against the patient and its provider, and a placed dose against its chair
        and the provider's capacity."""
        self.patient.add(occurrence.start, occurrence.end)
        if occurrence.status != CONFLICT:
            self.provider_visits.add(occurrence.start, occurrence.end)
        if occurrence.kind == DOSE and occurrence.status != CONFLICT:
            self.dose_days.add(local_date_of(occurrence.start, self.tz))
        if occurrence.kind == DOSE and occurrence.chair_id is not None:
            self.chairs[occurrence.chair_id].add(occurrence.start, occurrence.end)
            self.provider_busy.add(occurrence.start, occurrence.end)


def _candidates(preferred: datetime, tz: TzLike, day_ok: Callable[[date], bool]) -> Iterator[datetime]:
    """Starts to try after `preferred` fails, in search order (see the module docstring).

    Days failing `day_ok` (closures, series rules: nothing on that day can pass) are skipped whole.
    """
    local = preferred.astimezone(zone(tz))
    offsets = (0, *(sign * k for k in range(1, SEARCH_DAYS + 1) for sign in (1, -1)))
    days = [local.date() + timedelta(days=offset) for offset in offsets]
    yield from _starts_on([day for day in days if day_ok(day)], local.time(), tz, {preferred})


def _starts_on(days: Sequence[date], at: time, tz: TzLike, seen: set[datetime]) -> Iterator[datetime]:
    """Starts on each of `days` in turn, nearest to wall-clock `at` first (later before earlier), skipping
    those in `seen`."""
    base = timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)
    steps = [timedelta(0)]
    for k in range(1, 24 * 60 // STEP_MINUTES):
        steps += [timedelta(minutes=k * STEP_MINUTES), -timedelta(minutes=k * STEP_MINUTES)]
    for day in days:
        for step in steps:
            wall = base + step
            if timedelta(0) <= wall < timedelta(days=1):
                start = utc_at(day, (datetime.min + wall).time(), tz)
                # wall times inside a DST gap land on the same instant as a later step
                if start not in seen:
                    seen.add(start)
                    yield start


def _day_filter(ctx: _Context, kind: str, series: _SeriesCheck | None) -> Callable[[date], bool]:
    def day_ok(day: date) -> bool:
        if kind == DOSE and day in ctx.dose_days:
            return False
        return day not in ctx.closures and (series is None or series.ok(day))

    return day_ok


def _place(
    ctx: _Context,
    index: int,
    kind: VisitKind,
    phase_index: int | None,
    preferred: datetime,
    minutes: int,
    checks: Sequence[_SeriesCheck | None],
) -> Occurrence:
    """Place a visit at its preferred slot, else at the first candidate passing checks[0], then checks[1]."""
    length = timedelta(minutes=minutes)
    codes, chair = ctx.failures(preferred, preferred + length, kind, checks[0], first_only=False)
    if not codes:
        return Occurrence(index, kind, phase_index, preferred, preferred + length, chair, OK, preferred)
    broken = ctx.rules(codes, preferred, preferred + length, checks[0])
    if IN_PAST not in codes:
        for series in checks:
            day_ok = _day_filter(ctx, kind, series)
            for start in _candidates(preferred, ctx.tz, day_ok):
                if start < ctx.now:
                    continue
                failed, chair = ctx.failures(start, start + length, kind, series, first_only=True)
                if not failed:
                    target = ctx.moved_to(start, local_date_of(preferred, ctx.tz))
                    reasons = tuple(f"{rule.message}; moved to {target}" for rule in broken)
                    return Occurrence(
                        index, kind, phase_index, start, start + length, chair, MOVED, preferred, reasons
                    )
    return Occurrence(
        index, kind, phase_index, preferred, preferred + length, None, CONFLICT, preferred, (), tuple(broken)
    )


class _SessionFields(TypedDict):
    """The Occurrence fields only a therapy session sets."""

    modality: Modality
    after_dose: int | None


def _place_session(
    ctx: _Context,
    index: int,
    kind: VisitKind,
    days: Sequence[date],
    at: time,
    minutes: int,
    modality: Modality,
    after_dose: int | None = None,
) -> Occurrence:
    """Place a therapy session on the first of `days` (its window, nearest the dose first) at the first
    start nearest to local `at` passing every rule; a conflict names the rules broken at the first day."""
    length = timedelta(minutes=minutes)
    preferred = utc_at(days[0], at, ctx.tz)
    extra: _SessionFields = {"modality": modality, "after_dose": after_dose}
    codes, _ = ctx.failures(preferred, preferred + length, kind, None, first_only=False)
    if not codes:
        return Occurrence(index, kind, None, preferred, preferred + length, None, OK, preferred, **extra)
    broken = ctx.rules(codes, preferred, preferred + length, None)
    open_days = [day for day in days if day not in ctx.closures]
    for start in _starts_on(open_days, at, ctx.tz, {preferred}):
        if start >= ctx.now and not ctx.failures(start, start + length, kind, None, first_only=True)[0]:
            target = ctx.moved_to(start, days[0])
            reasons = tuple(f"{rule.message}; moved to {target}" for rule in broken)
            return Occurrence(
                index, kind, None, start, start + length, None, MOVED, preferred, reasons, **extra
            )
    end = preferred + length
    rules = tuple(broken)
    return Occurrence(index, kind, None, preferred, end, None, CONFLICT, preferred, (), rules, **extra)


def _plan_sessions(
    ctx: _Context, request: SeriesRequest, dose_days: list[date], occurrences: list[Occurrence]
) -> None:
    """Add the protocol's preparation and integration sessions to `occurrences` (and to the context)."""
    spec = request.protocol
    # (kind, window of days, minutes, modality, the dose an integration session follows)
    sessions: list[tuple[VisitKind, list[date], int, Modality, int | None]] = []
    if spec.preparation is not None:
        preparation = spec.preparation
        days = [dose_days[0] - timedelta(days=d) for d in preparation.days_before]
        sessions.append(
            (VisitKind.PREPARATION, days, preparation.duration_minutes, preparation.modality, None)
        )
    if spec.integration is not None:
        integration = spec.integration
        for number, day in enumerate(dose_days, start=1):
            if integration.follows(request.doses_before + number):
                days = [day + timedelta(days=d) for d in integration.days_after]
                sessions.append(
                    (VisitKind.INTEGRATION, days, integration.duration_minutes, integration.modality, number)
                )
    for kind, days, minutes, modality, after in sessions:
        occurrence = _place_session(
            ctx, len(occurrences), kind, days, request.start_time, minutes, modality, after
        )
        ctx.book(occurrence)
        occurrences.append(occurrence)


def preferred_dose_starts(
    protocol: ProtocolSpec, start_date: date, start_time: time, tz: TzLike
) -> list[datetime]:
    """UTC preferred starts of every dose: its default day at the series' local start time."""
    return [utc_at(start_date + timedelta(days=day), start_time, tz) for _, day in protocol.dose_days()]


def plan_series(
    request: SeriesRequest,
    location: LocationRules,
    provider: ProviderRules,
    resources: Resources,
    patient: PatientRules,
    now: datetime,
) -> SeriesPlan:
    """Plan every dose and follow-up of a series; each occurrence is ok, moved (with reasons) or a conflict.

    Doses are placed in order. Each is tried at its own preferred slot (not shifted by an earlier move);
    the series rules compare it with the doses already placed and the preferred days of the later ones,
    and only if no slot passes that, with the doses already placed alone.
    Follow-ups fall `days_after_last_dose` after the last dose's local date, at the series start time.
    Therapy sessions come last (see the module docstring).
    """
    spec = request.protocol
    ctx = _Context(location, provider, resources, patient, now)
    slots = spec.dose_days()
    preferred = preferred_dose_starts(spec, request.start_date, request.start_time, ctx.tz)
    pending = [(request.start_date + timedelta(days=day), phase) for phase, day in slots]
    placed: list[tuple[date, int]] = []
    occurrences: list[Occurrence] = []
    for k, ((phase, _), start) in enumerate(zip(slots, preferred, strict=True)):
        checks = [_SeriesCheck(spec, request.start_date, phase, placed + pending[k + 1 :])]
        if k + 1 < len(slots):
            # Fallback when no slot leaves the later doses where they are: respect only the doses already
            # placed and let the later ones move in turn (a Monday holiday in a Mon/Thu series becomes
            # Tue/Fri instead of a conflict).
            checks.append(_SeriesCheck(spec, request.start_date, phase, list(placed)))
        occurrence = _place(ctx, k, DOSE, phase, start, spec.chair_minutes, checks)
        ctx.book(occurrence)
        occurrences.append(occurrence)
        placed.append((local_date_of(occurrence.start, ctx.tz), phase))
    last_day = max(day for day, _ in placed)
    for rule in spec.follow_ups:
        start = utc_at(last_day + timedelta(days=rule.days_after_last_dose), request.start_time, ctx.tz)
        occurrence = _place(ctx, len(occurrences), FOLLOW_UP, None, start, rule.duration_minutes, [None])
        ctx.book(occurrence)
        occurrences.append(occurrence)
    _plan_sessions(ctx, request, [day for day, _ in placed], occurrences)
    return SeriesPlan(occurrences)


def _phase_at(protocol: ProtocolSpec, position: int) -> int:
    for index, phase in enumerate(protocol.phases):
        if position < phase.doses:
            return index
        position -= phase.doses
    return len(protocol.phases) - 1


class VisitCheck:
    """Every rule of one proposed visit, built once and asked about many starts (the slot finder).

    `rules(start)` is the answer of check_appointment; `fit(start)` stops at the first broken rule and says
    which chair the visit would get. The arguments are those of check_appointment.
    """

    def __init__(
        self,
        kind: str,
        location: LocationRules,
        provider: ProviderRules,
        resources: Resources | None,
        patient: PatientRules,
        now: datetime,
        *,
        protocol: ProtocolSpec | None = None,
        other_doses: Sequence[datetime | PlannedDose] = (),
        series_start_date: date | None = None,
        phase_index: int | None = None,
        duration_minutes: int | None = None,
        chair_id: int | None = None,
    ) -> None:
        self.kind = kind
        self._ctx = _Context(location, provider, resources or Resources(), patient, now)
        if duration_minutes is None:
            if kind == DOSE and protocol is None:
                raise ValueError("a dose without a protocol needs duration_minutes")
            duration_minutes = protocol.chair_minutes if kind == DOSE and protocol else DEFAULT_VISIT_MINUTES
        self.length = timedelta(minutes=duration_minutes)
        self._protocol = protocol if kind == DOSE else None
        self._others = [(require_aware(d.start), d.phase_index) for d in map(_as_planned, other_doses)]
        self._series_start = series_start_date
        self._phase = phase_index
        self._chair = chair_id

    @property
    def tz(self) -> TzLike:
        """The location's zone."""
        return self._ctx.tz

    def _series(self, start: datetime) -> _SeriesCheck | None:
        protocol = self._protocol
        if protocol is None:
            return None
        entries = [(at, phase, False) for at, phase in self._others]
        entries.append((start, self._phase, True))
        entries.sort(key=lambda e: (e[0], e[2]))
        dated = []
        for position, (at, phase, mine) in enumerate(entries):
            phase = _phase_at(protocol, position) if phase is None else phase
            if not 0 <= phase < len(protocol.phases):
                raise ValueError(f"phase index {phase} out of range for {protocol.code}")
            dated.append((local_date_of(at, self._ctx.tz), phase, mine))
        own_phase = next(p for _, p, mine in dated if mine)
        first_day = self._series_start or min(d for d, _, _ in dated)
        others = [(d, p) for d, p, mine in dated if not mine]
        return _SeriesCheck(protocol, first_day, own_phase, others)

    def rules(self, start: datetime) -> list[Rule]:
        """The rules the visit breaks when it starts at `start` (empty when it may be booked)."""
        start = require_aware(start, "start")
        end = start + self.length
        series = self._series(start)
        codes, _ = self._ctx.failures(
            start, end, self.kind, series, first_only=False, wanted_chair=self._chair
        )
        return self._ctx.rules(codes, start, end, series, self._chair)

    def fit(self, start: datetime) -> tuple[bool, int | None]:
        """Whether the visit may start at `start`, and the chair a dose would get there."""
        start = require_aware(start, "start")
        series = self._series(start)
        codes, chair = self._ctx.failures(
            start, start + self.length, self.kind, series, first_only=True, wanted_chair=self._chair
        )
        return not codes, chair


def check_appointment(
    start: datetime,
    kind: str,
    location: LocationRules,
    provider: ProviderRules,
    resources: Resources | None,
    patient: PatientRules,
    now: datetime,
    *,
    protocol: ProtocolSpec | None = None,
    other_doses: Sequence[datetime | PlannedDose] = (),
    series_start_date: date | None = None,
    phase_index: int | None = None,
    duration_minutes: int | None = None,
    chair_id: int | None = None,
) -> list[Rule]:
    """Return the rules a proposed visit breaks (empty when it may be booked).

    For a move, the busy lists and chair bookings must not contain the visit being moved. A dose needs a
    chair (`chair_id` if given, else any chair in `resources`) and provider capacity, and no other dose of
    the patient on its local day; with a `protocol` it is also checked against `other_doses` of its series
    (min gap, per week, consecutive days, span). Doses given as bare datetimes get their phase from their
    position in time order; weeks are counted from `series_start_date` (default: the earliest dose's local
    date). The visit lasts `duration_minutes`, by default the protocol's chair hold for a dose and 30
    minutes otherwise.
    """
    check = VisitCheck(
        kind,
        location,
        provider,
        resources,
        patient,
        now,
        protocol=protocol,
        other_doses=other_doses,
        series_start_date=series_start_date,
        phase_index=phase_index,
        duration_minutes=duration_minutes,
        chair_id=chair_id,
    )
    return check.rules(start)


def _as_planned(dose: datetime | PlannedDose) -> PlannedDose:
    return dose if isinstance(dose, PlannedDose) else PlannedDose(dose)


def choose_chair(resources: Resources, start: datetime, end: datetime) -> int | None:
    """The lowest chair id free for the whole of [start, end), or None."""
    free = (
        cid
        for cid, bookings in sorted(resources.chairs.items())
        if not _Timeline(bookings).overlaps(require_aware(start), require_aware(end))
    )
    return next(free, None)


def shift_following(starts: Sequence[datetime], delta: timedelta, tz: TzLike) -> list[datetime]:
    """Shift each start by `delta` read on the local wall clock, returning UTC instants.

    Whole days keep the local time of day across DST (Monday 09:00 + 7 days is Monday 09:00); the rest of
    `delta` changes the local time. Use localtime.wall_delta(old, new, tz) to get the delta of a moved visit.
    A result inside a spring-forward gap moves forward (see localtime).
    """
    return [shift_wall(s, delta, tz) for s in starts]
