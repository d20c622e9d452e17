"""Property tests: random calendars in several timezones never make the planner break its own rules."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.domain.localtime import local_date_of, localize, to_local, utc_at
from clinic.domain.planning import (
    Interval,
    LocationRules,
    PatientRules,
    ProviderRules,
    Resources,
    SeriesRequest,
    plan_series,
)
from clinic.domain.protocols import BUILTIN_PROTOCOLS, build_protocol

TIMEZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata")
PROTOCOLS = (
    *BUILTIN_PROTOCOLS.values(),
    build_protocol("spravato-maintenance", {"interval_weeks": 2, "doses": 6}),
)
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def _quarter(q: int) -> time:
    # quarter-hour index 96 is the end of the day, written 00:00 in weekly hours
    return time(0) if q == 96 else time(q // 4, q % 4 * 15)


@st.composite
def weekly_hours(draw):
    closed_days = draw(st.sets(st.integers(0, 6), max_size=2))
    hours = {}
    for day in range(7):
        if day in closed_days:
            continue
        # opening at 05:00 or later keeps every window inside its own day, so the oracle below stays simple
        opens = draw(st.integers(5 * 4, 10 * 4))
        closes = draw(st.integers(opens + 12, 96))
        hours[day] = [(_quarter(opens), _quarter(closes))]
    return hours


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(TIMEZONES))
    spec = draw(st.sampled_from(PROTOCOLS))
    start = draw(st.dates(date(2026, 1, 1), date(2030, 12, 31)))
    start_time = _quarter(draw(st.integers(5 * 4, 20 * 4)))
    hours = draw(weekly_hours())
    closures = frozenset(start + timedelta(days=d) for d in draw(st.sets(st.integers(0, 90), max_size=6)))

    def intervals(max_size):
        found = []
        for offset, begin, minutes in draw(
            st.lists(
                st.tuples(st.integers(0, 80), st.integers(5 * 4, 22 * 4), st.integers(2, 16)),
                max_size=max_size,
            )
        ):
            begins = utc_at(start + timedelta(days=offset), _quarter(begin), tz)
            found.append(Interval(begins, begins + timedelta(minutes=15 * minutes)))
        return found

    chairs = {cid: intervals(4) for cid in range(1, draw(st.integers(1, 3)) + 1)}
    provider = ProviderRules(
        hours, max_concurrent=draw(st.integers(1, 2)), busy=intervals(3), time_off=intervals(2)
    )
    patient = PatientRules(intervals(3))
    request = SeriesRequest(spec, start, start_time)
    return tz, request, LocationRules(tz, hours, closures), provider, Resources(chairs), patient


def _now(request, tz):
    return utc_at(request.start_date - timedelta(days=1), time(0), tz)


def _inside_hours(occurrence, hours, tz) -> bool:
    day = local_date_of(occurrence.start, tz)
    for opens, closes in hours.get(day.weekday(), ()):
        end_day = day + timedelta(days=1) if closes == time(0) else day
        if localize(day, opens, tz) <= occurrence.start and occurrence.end <= localize(end_day, closes, tz):
            return True
    return False


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def _check_series_rules(spec, request, placed_doses, tz):
    dated = sorted((local_date_of(o.start, tz), o.phase_index) for o in placed_doses)
    for (day_a, phase_a), (day_b, phase_b) in pairwise(dated):
        need = min(spec.phases[phase_a].min_gap_days, spec.phases[phase_b].min_gap_days)
        assert (day_b - day_a).days >= need
        if spec.no_consecutive_days:
            assert (day_b - day_a).days >= 2
    blocks: dict[int, list[int]] = {}
    for day, phase in dated:
        blocks.setdefault((day - request.start_date).days // 7, []).append(phase)
    for phases in blocks.values():
        assert len(phases) <= min(spec.phases[p].per_week for p in phases)
    if spec.max_span_days is not None and dated:
        assert (dated[-1][0] - dated[0][0]).days <= spec.max_span_days


@SETTINGS
@given(scenarios())
def test_planned_series_respect_every_rule(scenario):
    tz, request, location, provider, resources, patient = scenario
    spec = request.protocol
    now = _now(request, tz)
    plan = plan_series(request, location, provider, resources, patient, now)
    assert plan == plan_series(request, location, provider, resources, patient, now)

    doses = [o for o in plan.occurrences if o.kind == "dose"]
    assert len(doses) == spec.total_doses
    assert len(plan.occurrences) == spec.total_doses + len(spec.follow_ups)
    assert plan.ok == all(o.status != "conflict" for o in plan.occurrences)

    placed = [o for o in plan.occurrences if o.status != "conflict"]
    preferred_days = [request.start_date + timedelta(days=day) for _, day in spec.dose_days()]
    for occurrence in plan.occurrences:
        assert occurrence.start.tzinfo is UTC and occurrence.original_start.tzinfo is UTC
        if occurrence.kind == "dose":
            assert local_date_of(occurrence.original_start, tz) == preferred_days[occurrence.index]
            assert (
                to_local(occurrence.original_start, tz).time()
                == localize(preferred_days[occurrence.index], request.start_time, tz).time()
            )
        if occurrence.status == "ok":
            assert occurrence.start == occurrence.original_start and not occurrence.reasons
        elif occurrence.status == "moved":
            assert occurrence.reasons and occurrence.start != occurrence.original_start
            shift = local_date_of(occurrence.start, tz) - local_date_of(occurrence.original_start, tz)
            assert abs(shift.days) <= 3
        else:
            assert occurrence.broken_rules and occurrence.chair_id is None

    for occurrence in placed:
        assert occurrence.start >= now
        assert local_date_of(occurrence.start, tz) not in location.closures
        assert local_date_of(occurrence.end - timedelta(microseconds=1), tz) not in location.closures
        assert _inside_hours(occurrence, location.opening_hours, tz)
        assert not any(_overlaps(occurrence.start, occurrence.end, b.start, b.end) for b in patient.busy)
        assert not any(_overlaps(occurrence.start, occurrence.end, b.start, b.end) for b in provider.time_off)
        others = [o for o in placed if o is not occurrence]
        assert not any(_overlaps(occurrence.start, occurrence.end, o.start, o.end) for o in others)
        if occurrence.kind == "dose":
            assert occurrence.chair_id in resources.chairs
            bookings = resources.chairs[occurrence.chair_id]
            assert not any(_overlaps(occurrence.start, occurrence.end, b.start, b.end) for b in bookings)
            if provider.max_concurrent == 1:
                busy = provider.busy
                assert not any(_overlaps(occurrence.start, occurrence.end, b.start, b.end) for b in busy)
        else:
            assert occurrence.chair_id is None

    _check_series_rules(spec, request, [o for o in placed if o.kind == "dose"], tz)


@SETTINGS
@given(
    tz=st.sampled_from(TIMEZONES),
    spec=st.sampled_from(PROTOCOLS),
    start=st.dates(date(2026, 1, 1), date(2030, 12, 31)),
    start_quarter=st.integers(7 * 4, 16 * 4),
    closure_offsets=st.sets(st.integers(0, 90), max_size=8),
)
def test_day_moves_keep_the_local_wall_clock(tz, spec, start, start_quarter, closure_offsets):
    # Same hours every day and nothing else booked: closures only ever move a visit to another day,
    # and the visit keeps its local time there, whatever DST does in between.
    hours = {day: [(time(7), time(19))] for day in range(7)}
    closures = frozenset(start + timedelta(days=d) for d in closure_offsets)
    start_time = _quarter(start_quarter)
    plan = plan_series(
        SeriesRequest(spec, start, start_time),
        LocationRules(tz, hours, closures),
        ProviderRules(hours),
        Resources({1: []}),
        PatientRules(),
        datetime(2025, 1, 1, tzinfo=UTC),
    )
    for occurrence in plan.occurrences:
        if occurrence.status != "conflict":
            assert to_local(occurrence.start, tz).time() == start_time
            assert local_date_of(occurrence.start, tz) not in closures
    _check_series_rules(
        spec,
        SeriesRequest(spec, start, start_time),
        [o for o in plan.occurrences if o.kind == "dose" and o.status != "conflict"],
        tz,
    )
