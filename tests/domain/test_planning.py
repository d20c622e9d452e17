"""Series planning, single-visit checks and the DST policy, on hand-made calendars."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from clinic.domain.localtime import (
    is_ambiguous,
    is_nonexistent,
    local_date_of,
    localize,
    shift_wall,
    to_local,
    utc_at,
    wall_delta,
)
from clinic.domain.planning import (
    Interval,
    LocationRules,
    PatientRules,
    PlannedDose,
    ProviderRules,
    Resources,
    SeriesRequest,
    VisitCheck,
    check_appointment,
    choose_chair,
    plan_series,
    preferred_dose_starts,
    shift_following,
)
from clinic.domain.protocols import BUILTIN_PROTOCOLS, build_protocol
from clinic.domain.slots import find_slots, nearest_starts

NY = "America/New_York"
ALL_WEEK = {day: [(time(7), time(19))] for day in range(7)}
ALL_DAY = {day: [(time(0), time(0))] for day in range(7)}
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, tz: str = NY) -> datetime:
    return utc_at(day, time(hour, minute), tz)


def span(day: date, start: tuple[int, int], end: tuple[int, int], tz: str = NY) -> Interval:
    return Interval(at(day, *start, tz=tz), at(day, *end, tz=tz))


def plan(
    code="spravato-induction",
    start=date(2027, 3, 1),
    start_time=time(9),
    params=None,
    *,
    tz=NY,
    hours=ALL_WEEK,
    closures=(),
    provider=None,
    chairs=None,
    patient=(),
    now=NOW,
):
    return plan_series(
        SeriesRequest(build_protocol(code, params or {}), start, start_time),
        LocationRules(tz, hours, frozenset(closures)),
        provider or ProviderRules(hours, max_concurrent=2),
        Resources(chairs if chairs is not None else {1: [], 2: []}),
        PatientRules(tuple(patient)),
        now,
    )


def local_days(occurrences, tz=NY):
    return [local_date_of(o.start, tz) for o in occurrences]


def local_clock(occurrence, tz=NY):
    return to_local(occurrence.start, tz).strftime("%H:%M")


def doses(result):
    return [o for o in result.occurrences if o.kind == "dose"]


def follow_ups(result):
    return [o for o in result.occurrences if o.kind == "follow_up"]


# --- built-in protocols on open calendars -------------------------------------------------------------------


def test_spravato_induction_keeps_local_time_across_dst():
    result = plan()
    assert result.ok
    ds = doses(result)
    assert len(ds) == 12
    assert [d.isoformat() for d in local_days(ds)] == [
        "2027-03-01", "2027-03-04", "2027-03-08", "2027-03-11",
        "2027-03-15", "2027-03-18", "2027-03-22", "2027-03-25",
        "2027-03-29", "2027-04-05", "2027-04-12", "2027-04-19",
    ]  # fmt: skip
    assert {local_clock(o) for o in ds} == {"09:00"}
    # DST starts on 2027-03-14: 09:00 EST is 14:00 UTC, 09:00 EDT is 13:00 UTC
    assert [o.start.hour for o in ds[:4]] == [14] * 4
    assert [o.start.hour for o in ds[4:]] == [13] * 8
    assert all(o.status == "ok" and o.start == o.original_start for o in ds)
    assert all(o.end - o.start == timedelta(minutes=150) and o.chair_id == 1 for o in ds)
    assert [o.phase_index for o in ds] == [0] * 8 + [1] * 4
    fus = follow_ups(result)
    assert local_days(fus) == [date(2027, 4, 26), date(2027, 5, 17)]
    assert all(o.chair_id is None and o.end - o.start == timedelta(minutes=30) for o in fus)
    assert [o.index for o in result.occurrences] == list(range(14))


def test_iv_induction_never_consecutive_and_within_21_days():
    result = plan("iv-ketamine-induction")
    assert result.ok
    days = local_days(doses(result))
    assert days == [date(2027, 3, d) for d in (1, 3, 5, 8, 10, 12)]
    assert all((b - a).days >= 2 for a, b in pairwise(days))
    assert (days[-1] - days[0]).days <= 21
    assert local_days(follow_ups(result)) == [date(2027, 3, 19), date(2027, 4, 9)]
    assert all(o.end - o.start == timedelta(minutes=115) for o in doses(result))


def test_iv_induction_moves_keep_no_consecutive_days():
    # Wednesday closed: the infusion cannot go to Tuesday or Thursday (next to Mon and Fri)
    result = plan("iv-ketamine-induction", closures={date(2027, 3, 3)})
    days = local_days(doses(result))
    assert date(2027, 3, 3) not in days
    ordered = sorted(days)
    assert all((b - a).days >= 2 for a, b in pairwise(ordered))
    assert (ordered[-1] - ordered[0]).days <= 21


def test_maintenance_every_other_week():
    result = plan("spravato-maintenance", params={"interval_weeks": 2, "doses": 4})
    assert result.ok
    assert local_days(result.occurrences) == [date(2027, 3, 1) + timedelta(days=14 * k) for k in range(4)]
    assert follow_ups(result) == []


def test_booster_is_one_visit():
    result = plan("iv-ketamine-booster", start=date(2027, 6, 2), start_time=time(13, 30))
    assert result.ok
    [only] = result.occurrences
    assert local_clock(only) == "13:30" and only.chair_id == 1


# --- moves --------------------------------------------------------------------------------------------------


def test_closure_moves_dose_to_nearby_day_without_breaking_min_gap():
    result = plan(closures={date(2027, 3, 4)})
    ds = doses(result)
    moved = ds[1]
    assert moved.status == "moved"
    assert local_days([moved]) == [date(2027, 3, 5)]
    assert local_clock(moved) == "09:00"
    assert moved.original_start == at(date(2027, 3, 4), 9)
    assert moved.reasons == (
        "Closed: the location is closed on Thu 2027-03-04; moved to Fri 2027-03-05 09:00",
    )
    days = local_days(ds)
    assert all((b - a).days >= 3 for a, b in pairwise(days))
    assert result.ok


def test_monday_holiday_moves_the_following_dose_too():
    result = plan(closures={date(2027, 3, 8)})
    assert result.ok
    days = local_days(doses(result))
    assert days[2:5] == [date(2027, 3, 9), date(2027, 3, 12), date(2027, 3, 15)]
    assert doses(result)[3].reasons[0].startswith("Minimum gap:")


def test_busy_chair_uses_the_next_chair():
    busy = span(date(2027, 3, 1), (8, 0), (12, 0))
    result = plan("iv-ketamine-booster", chairs={3: [], 1: [busy]})
    [only] = result.occurrences
    assert only.status == "ok" and only.chair_id == 3


def test_all_chairs_busy_moves_later_the_same_day():
    busy = span(date(2027, 3, 1), (9, 0), (10, 30))
    result = plan("iv-ketamine-booster", chairs={1: [busy], 2: [busy]})
    [only] = result.occurrences
    # 10:30 (90 minutes later) is nearer than 07:00, the latest start that ends before 09:00
    assert only.status == "moved"
    assert to_local(only.start, NY).replace(tzinfo=None) == datetime(2027, 3, 1, 10, 30)
    assert only.reasons == ("No chair: no chair is free during Mon 2027-03-01 09:00-10:55; moved to 10:30",)


def test_provider_capacity_counts_concurrent_dosing_visits():
    busy = [span(date(2027, 3, 1), (8, 0), (10, 0))]
    full = plan("iv-ketamine-booster", provider=ProviderRules(ALL_WEEK, max_concurrent=1, busy=busy))
    [only] = full.occurrences
    assert only.status == "moved" and local_clock(only) == "10:00"
    assert only.reasons[0].startswith("Provider capacity:")
    roomy = plan("iv-ketamine-booster", provider=ProviderRules(ALL_WEEK, max_concurrent=2, busy=busy))
    assert roomy.occurrences[0].status == "ok"
    # two visits touching the new one at different times never run together with each other
    back_to_back = [span(date(2027, 3, 1), (8, 0), (9, 30)), span(date(2027, 3, 1), (9, 30), (11, 0))]
    result = plan(
        "iv-ketamine-booster", provider=ProviderRules(ALL_WEEK, max_concurrent=2, busy=back_to_back)
    )
    assert result.occurrences[0].status == "ok"


def test_provider_time_off_moves_the_dose():
    off = Interval(at(date(2027, 3, 4), 0), at(date(2027, 3, 5), 0))
    result = plan(provider=ProviderRules(ALL_WEEK, time_off=[off], max_concurrent=2))
    moved = doses(result)[1]
    assert moved.status == "moved" and local_days([moved]) == [date(2027, 3, 5)]
    assert moved.reasons[0].startswith("Provider time off:")


def test_provider_availability_limits_the_hold():
    mornings = {day: [(time(8), time(9, 30))] for day in range(7)}
    result = plan("iv-ketamine-booster", provider=ProviderRules(mornings, max_concurrent=1))
    [only] = result.occurrences
    assert only.status == "conflict"
    assert [r.code for r in only.broken_rules] == ["provider_unavailable"]


def test_patient_overlap_moves_the_dose():
    result = plan("iv-ketamine-booster", patient=[span(date(2027, 3, 1), (9, 0), (10, 0))])
    [only] = result.occurrences
    assert only.status == "moved" and local_clock(only) == "10:00"
    assert only.reasons[0].startswith("Patient overlap:")


def test_follow_up_moves_off_a_closure_day():
    result = plan("iv-ketamine-induction", closures={date(2027, 3, 19)})
    first = follow_ups(result)[0]
    assert first.status == "moved" and local_days([first]) == [date(2027, 3, 20)]


def test_doses_in_the_past_are_conflicts_not_moved():
    now = at(date(2027, 3, 5), 12)
    result = plan(now=now)
    ds = doses(result)
    assert [o.status for o in ds[:2]] == ["conflict", "conflict"]
    assert [r.code for r in ds[0].broken_rules] == ["in_past"]
    assert ds[0].start == ds[0].original_start and ds[0].chair_id is None
    assert all(o.status == "ok" for o in ds[2:])
    assert not result.ok and result.conflicts == ds[:2]


def test_never_moved_into_the_past():
    mornings = {day: [(time(7), time(13))] for day in range(7)}
    # the 115-minute infusion cannot start after 11:05 before the 13:00 close, so 08:30 is the only slot
    busy = span(date(2027, 3, 1), (10, 30), (11, 30))

    def booster(now):
        return plan(
            "iv-ketamine-booster",
            start_time=time(10, 30),
            hours=mornings,
            chairs={1: [busy]},
            provider=ProviderRules(mornings),
            now=now,
        ).occurrences[0]

    earlier = booster(at(date(2027, 3, 1), 7, 30))
    assert earlier.status == "moved" and local_clock(earlier) == "08:30"
    later = booster(at(date(2027, 3, 1), 8, 45))
    assert later.status == "moved"
    assert local_days([later]) == [date(2027, 3, 2)] and local_clock(later) == "10:30"


def test_nothing_fits_reports_every_broken_rule():
    day = date(2027, 3, 1)
    blocked = Interval(at(day - timedelta(days=5), 0), at(day + timedelta(days=5), 0))
    provider = ProviderRules(
        {0: [(time(8), time(9))]},
        time_off=[span(day, (6, 0), (7, 0))],
        max_concurrent=1,
        busy=[span(day, (6, 0), (6, 30))],
    )
    result = plan(
        "iv-ketamine-booster",
        start_time=time(6),
        closures={day},
        provider=provider,
        chairs={1: [blocked]},
        patient=[span(day, (6, 15), (6, 45))],
    )
    [only] = result.occurrences
    assert only.status == "conflict" and only.reasons == ()
    assert [r.code for r in only.broken_rules] == [
        "closed",
        "outside_opening_hours",
        "provider_unavailable",
        "provider_time_off",
        "patient_overlap",
        "provider_capacity",
        "no_chair",
    ]
    assert all("06:00" in r.message or "2027-03-01" in r.message for r in only.broken_rules)


# --- DST policy ---------------------------------------------------------------------------------------------


def test_spring_forward_gap_moves_forward():
    spring = date(2027, 3, 14)
    assert is_nonexistent(spring, time(2, 30), NY)
    local = localize(spring, time(2, 30), NY)
    assert local.replace(tzinfo=None) == datetime(2027, 3, 14, 3, 30)
    assert local.utcoffset() == timedelta(hours=-4)
    assert utc_at(spring, time(2, 30), NY) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert not is_nonexistent(spring, time(3, 30), NY)


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected"),
    [
        ("Europe/London", date(2027, 3, 28), time(1, 15), time(2, 15)),
        ("Australia/Sydney", date(2027, 10, 3), time(2, 0), time(3, 0)),
        ("Australia/Lord_Howe", date(2027, 10, 3), time(2, 10), time(2, 40)),
    ],
)
def test_gap_moves_forward_by_its_length(tz, day, wall, expected):
    assert is_nonexistent(day, wall, tz)
    assert localize(day, wall, tz).time() == expected


def test_fall_back_takes_the_first_occurrence():
    fall = date(2027, 11, 7)
    assert is_ambiguous(fall, time(1, 30), NY)
    assert not is_ambiguous(fall, time(3, 0), NY) and not is_nonexistent(fall, time(1, 30), NY)
    local = localize(fall, time(1, 30), NY)
    assert local.utcoffset() == timedelta(hours=-4) and local.fold == 0
    assert utc_at(fall, time(1, 30), NY) == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)


def test_series_starting_in_the_gap_uses_the_forward_time():
    result = plan("iv-ketamine-booster", start=date(2027, 3, 14), start_time=time(2, 30), hours=ALL_DAY)
    [only] = result.occurrences
    assert only.status == "ok" and local_clock(only) == "03:30"


def test_series_across_fall_back_keeps_wall_time():
    result = plan("spravato-maintenance", start=date(2027, 10, 25), start_time=time(1, 30), hours=ALL_DAY)
    assert result.ok
    assert {local_clock(o) for o in result.occurrences} == {"01:30"}
    assert [o.start.hour for o in result.occurrences] == [5, 5, 6, 6]


def test_shift_following_keeps_local_wall_clock():
    starts = preferred_dose_starts(BUILTIN_PROTOCOLS["spravato-induction"], date(2027, 3, 1), time(9), NY)[:4]
    week_later = shift_following(starts, timedelta(days=7), NY)
    assert [to_local(s, NY).replace(tzinfo=None) for s in week_later] == [
        datetime(2027, 3, 8, 9), datetime(2027, 3, 11, 9), datetime(2027, 3, 15, 9), datetime(2027, 3, 18, 9),
    ]  # fmt: skip
    old, new = starts[1], at(date(2027, 3, 5), 10, 30)
    delta = wall_delta(old, new, NY)
    assert delta == timedelta(days=1, hours=1, minutes=30)
    moved = shift_following(starts[2:], delta, NY)
    assert [to_local(s, NY).replace(tzinfo=None) for s in moved] == [
        datetime(2027, 3, 9, 10, 30), datetime(2027, 3, 12, 10, 30),
    ]  # fmt: skip
    # a shift landing in the spring-forward gap moves forward like any other wall time
    assert shift_wall(at(date(2027, 3, 13), 2, 30), timedelta(days=1), NY) == at(date(2027, 3, 14), 3, 30)


# --- single visits and moves --------------------------------------------------------------------------------


def _series_doses(code="spravato-induction"):
    return preferred_dose_starts(BUILTIN_PROTOCOLS[code], date(2027, 3, 1), time(9), NY)


def check(start, kind="dose", code="spravato-induction", others=(), **kwargs):
    kwargs.setdefault("series_start_date", date(2027, 3, 1))
    return check_appointment(
        start,
        kind,
        LocationRules(NY, ALL_WEEK, frozenset(kwargs.pop("closures", ()))),
        kwargs.pop("provider", ProviderRules(ALL_WEEK, max_concurrent=2)),
        Resources(kwargs.pop("chairs", {1: []})),
        PatientRules(tuple(kwargs.pop("patient", ()))),
        kwargs.pop("now", NOW),
        protocol=BUILTIN_PROTOCOLS[code] if code else None,
        other_doses=others,
        **kwargs,
    )


def codes(rules):
    return [r.code for r in rules]


def test_check_flags_min_gap_when_moving_a_dose_next_to_its_neighbour():
    starts = _series_doses()
    others = starts[:1] + starts[2:]
    assert check(starts[1], others=others) == []
    rules = check(at(date(2027, 3, 2), 9), others=others)
    assert codes(rules) == ["min_gap"]
    assert "Mon 2027-03-01" in rules[0].message and "Tue 2027-03-02 09:00" in rules[0].message


def test_check_flags_per_week():
    starts = _series_doses()
    # Mon 8 March to Sun 7 March: gaps of 3 and 4 days are fine, but week 1 would hold 3 doses
    rules = check(at(date(2027, 3, 7), 9), others=starts[:2] + starts[3:])
    assert codes(rules) == ["per_week"]


def test_check_uses_the_phase_of_each_dose():
    starts = _series_doses()
    others = [PlannedDose(s, 0 if i < 8 else 1) for i, s in enumerate(starts) if i != 9]
    # the second weekly dose (Mon 5 April) moved to Thursday: 4 days before the next Monday is too close
    # in the weekly phase; Wednesday keeps 5 days
    assert codes(check(at(date(2027, 4, 8), 9), others=others, phase_index=1)) == ["min_gap"]
    assert check(at(date(2027, 4, 7), 9), others=others, phase_index=1) == []
    # phases inferred from time order give the same answer
    bare = [s for i, s in enumerate(starts) if i != 9]
    assert codes(check(at(date(2027, 4, 8), 9), others=bare)) == ["min_gap"]
    # and moving it back into the week of the previous dose breaks the weekly count too
    assert codes(check(at(date(2027, 4, 1), 9), others=others, phase_index=1)) == ["min_gap", "per_week"]


def test_check_iv_consecutive_days_and_span():
    starts = _series_doses("iv-ketamine-induction")
    others = starts[:5]
    assert codes(check(at(date(2027, 3, 11), 9), code="iv-ketamine-induction", others=others)) == [
        "min_gap",
        "consecutive_days",
    ]
    assert codes(check(at(date(2027, 3, 24), 9), code="iv-ketamine-induction", others=others)) == ["max_span"]


def test_check_single_visit_rules():
    day = date(2027, 3, 4)
    assert check(at(day, 10), kind="follow_up", code=None) == []
    assert codes(check(at(day, 18, 45), kind="follow_up", code=None)) == [
        "outside_opening_hours",
        "provider_unavailable",
    ]
    assert codes(check(at(day, 10), kind="consult", code=None, closures={day})) == ["closed"]
    assert codes(check(at(day, 10), kind="follow_up", code=None, now=at(day, 11))) == ["in_past"]
    assert codes(check(at(day, 10), kind="integration", code=None, duration_minutes=600)) == [
        "outside_opening_hours",
        "provider_unavailable",
    ]
    with pytest.raises(ValueError, match="duration_minutes"):
        check(at(day, 10), code=None)


def test_check_requested_chair():
    day = date(2027, 3, 4)
    chairs = {1: [span(day, (9, 0), (10, 0))], 2: []}
    assert codes(check(at(day, 9), chairs=chairs, chair_id=1)) == ["no_chair"]
    assert check(at(day, 9), chairs=chairs, chair_id=2) == []
    assert check(at(day, 9), chairs=chairs) == []
    assert choose_chair(Resources(chairs), at(day, 9), at(day, 11, 30)) == 2
    assert codes(check(at(day, 9), chairs={}, code=None, duration_minutes=60)) == ["no_chair"]


def test_intervals_must_be_aware_and_forward():
    with pytest.raises(ValueError):
        Interval(datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10))
    with pytest.raises(ValueError):
        Interval(at(date(2027, 3, 1), 10), at(date(2027, 3, 1), 9))
    assert Interval(localize(date(2027, 3, 1), time(9), NY), at(date(2027, 3, 1), 10)).start.tzinfo is UTC


# --- one dose a day -----------------------------------------------------------------------------------------


def test_a_second_dose_on_the_same_local_day_breaks_dose_same_day():
    day = date(2027, 3, 4)
    earlier = at(day, 8)
    rules = check(at(day, 14), code=None, duration_minutes=120, patient=[span(day, (8, 0), (10, 0))])
    assert rules == []  # busy time alone does not count as a dose
    rules = check_appointment(
        at(day, 14),
        "dose",
        LocationRules(NY, ALL_WEEK),
        ProviderRules(ALL_WEEK, max_concurrent=2),
        Resources({1: []}),
        PatientRules((span(day, (8, 0), (10, 0)),), doses=(earlier,)),
        NOW,
        duration_minutes=120,
    )
    assert codes(rules) == ["dose_same_day"]
    assert rules[0].message == "One dose a day: the patient already has a dose on Thu 2027-03-04"
    # other kinds of visit on that day are fine
    assert (
        check_appointment(
            at(day, 14),
            "follow_up",
            LocationRules(NY, ALL_WEEK),
            ProviderRules(ALL_WEEK),
            None,
            PatientRules(doses=(earlier,)),
            NOW,
        )
        == []
    )


def test_dose_same_day_counts_local_days_not_utc_days():
    day = date(2027, 3, 4)

    def dose_rules(start, other):
        return codes(
            check_appointment(
                start,
                "dose",
                LocationRules(NY, ALL_DAY),
                ProviderRules(ALL_DAY, max_concurrent=2),
                Resources({1: []}),
                PatientRules(doses=(other,)),
                NOW,
                duration_minutes=60,
            )
        )

    # 21:00 in New York is already the next day in UTC, yet the same local day as 07:00
    assert dose_rules(at(day, 21), at(day, 7)) == ["dose_same_day"]
    # 20:00 on the 4th and 06:00 on the 5th are the same UTC day but different local days
    assert dose_rules(at(day + timedelta(days=1), 6), at(day, 20)) == []


def test_the_planner_moves_a_series_dose_off_a_day_with_another_dose():
    booster = at(date(2027, 3, 4), 13)  # the patient's other dose on the series' Thursday
    result = plan_series(
        SeriesRequest(BUILTIN_PROTOCOLS["spravato-induction"], date(2027, 3, 1), time(9)),
        LocationRules(NY, ALL_WEEK),
        ProviderRules(ALL_WEEK, max_concurrent=2),
        Resources({1: [], 2: []}),
        PatientRules((Interval(booster, booster + timedelta(hours=2)),), doses=(booster,)),
        NOW,
    )
    assert result.ok
    second = doses(result)[1]
    assert second.status == "moved"
    assert local_days([second]) == [date(2027, 3, 5)]
    assert "One dose a day" in second.reasons[0]
    assert date(2027, 3, 4) not in local_days(doses(result))


# --- free slots ---------------------------------------------------------------------------------------------


def _visit_check(kind="follow_up", **kwargs):
    return VisitCheck(
        kind,
        LocationRules(NY, WEEKDAYS_9_TO_12),
        ProviderRules(WEEKDAYS_9_TO_12, max_concurrent=1),
        Resources(kwargs.pop("chairs", {1: []})),
        PatientRules(**kwargs.pop("patient", {})),
        kwargs.pop("now", NOW),
        **kwargs,
    )


WEEKDAYS_9_TO_12 = {day: [(time(9), time(12))] for day in range(5)}


def test_free_slots_are_quarter_hours_inside_the_hours_that_pass_every_rule():
    day = date(2027, 3, 4)  # a Thursday
    taken = span(day, (9, 0), (10, 0))
    check_kwargs = {"chairs": {1: [taken]}, "duration_minutes": 60}
    slots = find_slots(_visit_check("dose", **check_kwargs), WEEKDAYS_9_TO_12, NY, day, 2)
    starts = [to_local(s.start, NY).strftime("%a %H:%M") for s in slots]
    assert starts == [
        "Thu 10:00", "Thu 10:15", "Thu 10:30", "Thu 10:45", "Thu 11:00",
        "Fri 09:00", "Fri 09:15", "Fri 09:30", "Fri 09:45", "Fri 10:00",
        "Fri 10:15", "Fri 10:30", "Fri 10:45", "Fri 11:00",
    ]  # fmt: skip
    assert all(s.chair_id == 1 and s.end - s.start == timedelta(hours=1) for s in slots)
    for slot in slots:
        assert _visit_check("dose", **check_kwargs).rules(slot.start) == []
    # nothing on the weekend, nothing already past, and the cap holds
    assert find_slots(_visit_check(), WEEKDAYS_9_TO_12, NY, date(2027, 3, 6), 2) == []
    assert find_slots(_visit_check(now=at(day, 11)), WEEKDAYS_9_TO_12, NY, day, 1)[0].start == at(day, 11)
    assert len(find_slots(_visit_check(), WEEKDAYS_9_TO_12, NY, day, 5, limit=7)) == 7
    # a follow-up holds no chair
    assert find_slots(_visit_check(), WEEKDAYS_9_TO_12, NY, day, 1)[0].chair_id is None


def test_free_slots_leave_out_a_day_with_another_dose_of_the_patient():
    day = date(2027, 3, 4)
    check = _visit_check("dose", duration_minutes=60, patient={"doses": (at(day, 9),)})
    slots = find_slots(check, WEEKDAYS_9_TO_12, NY, day, 2)
    assert {local_date_of(s.start, NY) for s in slots} == {date(2027, 3, 5)}


def test_nearest_starts_are_nearest_first_later_first_at_equal_distance():
    day = date(2027, 3, 4)
    check = _visit_check(chairs={}, patient={"busy": (span(day, (10, 0), (10, 30)),)})
    found = nearest_starts(check, WEEKDAYS_9_TO_12, NY, at(day, 10))
    assert [to_local(s, NY).strftime("%H:%M") for s in found] == ["10:30", "09:30", "10:45"]
    later = nearest_starts(check, WEEKDAYS_9_TO_12, NY, at(day, 10), accept=lambda s: s > at(day, 11))
    assert later[0] == at(day, 11, 15)
