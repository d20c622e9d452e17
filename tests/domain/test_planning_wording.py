"""The planner's reasons: the days and times in them as the location's locale writes them, counts with their
plurals, and the rule's code and "Title: explanation" shape kept."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.domain.localtime import utc_at
from clinic.domain.planning import (
    Interval,
    LocationRules,
    PatientRules,
    ProviderRules,
    Resources,
    SeriesRequest,
    check_appointment,
    plan_series,
    preferred_dose_starts,
)
from clinic.domain.protocols import BUILTIN_PROTOCOLS
from clinic.formatting import LocalWording, Place

NY = "America/New_York"
ALL_WEEK = {day: [(time(7), time(19))] for day in range(7)}
ALL_DAY = {day: [(time(0), time(0))] for day in range(7)}
NOW = datetime(2027, 1, 1, tzinfo=UTC)
NNBSP, THIN = "\u202f", "\u2009"  # CLDR's spaces: before AM/PM, around an interval's dash

# (zone, locale) -> what the reasons say when dose 2 (Thu 4 March, 09:00) meets a closure and moves to Friday
CLOSED_AND_MOVED = {
    (NY, "en_US"): f"Closed: the location is closed on Thu, Mar 4; moved to Fri, Mar 5, 9:00{NNBSP}AM",
    ("Europe/London", "en_GB"): "Closed: the location is closed on Thu 4 Mar; moved to Fri 5 Mar, 09:00",
    (
        "Europe/Berlin",
        "de_DE",
    ): "Closed: the location is closed on Do., 4. März; moved to Fr., 5. März, 09:00",
}
# ... when the provider is busy until 10:30 and a 115-minute infusion moves to later that day
CAPACITY_AND_MOVED = {
    (NY, "en_US"): (
        "Provider capacity: the provider already supervises 1 dosing visit during "
        f"Mon, Mar 1, 9:00{THIN}–{THIN}10:55{NNBSP}AM; moved to 10:30{NNBSP}AM"
    ),
    ("Europe/London", "en_GB"): (
        "Provider capacity: the provider already supervises 1 dosing visit during "
        "Mon 1 Mar, 09:00–10:55; moved to 10:30"
    ),
    ("Europe/Berlin", "de_DE"): (
        "Provider capacity: the provider already supervises 1 dosing visit during "
        "Mo., 1. März, 09:00–10:55 Uhr; moved to 10:30"
    ),
}


def location(tz: str = NY, locale: str | None = "en_US", closures=(), hours=ALL_WEEK) -> LocationRules:
    wording = LocalWording(Place(ZoneInfo(tz), locale)) if locale else None
    return LocationRules(tz, hours, frozenset(closures), wording)


def plan(code: str, where: LocationRules, start=date(2027, 3, 1), provider=None, now=NOW):
    return plan_series(
        SeriesRequest(BUILTIN_PROTOCOLS[code], start, time(9)),
        where,
        provider or ProviderRules(where.opening_hours, max_concurrent=2),
        Resources({1: [], 2: []}),
        PatientRules(()),
        now,
    )


def check(start: datetime, where: LocationRules, **kwargs):
    return check_appointment(
        start,
        "dose",
        where,
        kwargs.pop("provider", ProviderRules(where.opening_hours, max_concurrent=2)),
        Resources({1: []}),
        PatientRules(tuple(kwargs.pop("patient", ()))),
        NOW,
        **kwargs,
    )


@pytest.mark.parametrize(("tz", "locale"), list(CLOSED_AND_MOVED))
def test_a_moved_dose_says_why_and_where_in_the_locations_own_words(tz, locale):
    moved = plan("spravato-induction", location(tz, locale, closures={date(2027, 3, 4)})).occurrences[1]
    assert moved.status == "moved"
    assert moved.reasons == (CLOSED_AND_MOVED[tz, locale],)


@pytest.mark.parametrize(("tz", "locale"), list(CAPACITY_AND_MOVED))
def test_a_stretch_of_time_and_a_move_on_the_same_day_are_written_by_the_locale(tz, locale):
    busy = Interval(utc_at(date(2027, 3, 1), time(9), tz), utc_at(date(2027, 3, 1), time(10, 30), tz))
    provider = ProviderRules(ALL_WEEK, max_concurrent=1, busy=[busy])
    [only] = plan("iv-ketamine-booster", location(tz, locale), provider=provider).occurrences
    assert only.status == "moved"
    assert only.reasons == (CAPACITY_AND_MOVED[tz, locale],)


def test_a_conflict_keeps_its_code_and_title_in_every_locale():
    too_late = datetime(2027, 3, 2, tzinfo=UTC)
    us = plan("iv-ketamine-booster", location(), now=too_late).occurrences[0]
    de = plan("iv-ketamine-booster", location("Europe/Berlin", "de_DE"), now=too_late).occurrences[0]
    assert us.status == de.status == "conflict"
    assert [(r.code, r.message) for r in us.broken_rules] == [
        ("in_past", f"In the past: Mon, Mar 1, 9:00{NNBSP}AM has already passed")
    ]
    assert [(r.code, r.message) for r in de.broken_rules] == [
        ("in_past", "In the past: Mo., 1. März, 09:00 has already passed")
    ]


def test_a_reason_across_the_spring_forward_change_shows_the_local_time():
    # Sat 13 March is closed; Sunday is the day New York's clocks spring forward: 09:00 is still 9:00 AM
    # there (13:00 UTC, not 14:00 as on Saturday)
    [moved] = plan(
        "iv-ketamine-booster", location(closures={date(2027, 3, 13)}), start=date(2027, 3, 13)
    ).occurrences
    assert moved.start == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)
    assert moved.reasons == (
        f"Closed: the location is closed on Sat, Mar 13; moved to Sun, Mar 14, 9:00{NNBSP}AM",
    )
    # a visit over the change: 01:30 EST plus 115 minutes ends at 04:25 EDT, not at 03:25
    start = utc_at(date(2027, 3, 14), time(1, 30), NY)
    rules = check(
        start,
        location(hours=ALL_DAY),
        provider=ProviderRules(ALL_DAY, max_concurrent=2),
        patient=[Interval(start, start + timedelta(hours=1))],
        duration_minutes=115,
    )
    assert [(r.code, r.message) for r in rules] == [
        (
            "patient_overlap",
            "Patient overlap: the patient already has a visit during "
            f"Sun, Mar 14, 1:30{THIN}–{THIN}4:25{NNBSP}AM",
        )
    ]


def test_a_visit_over_midnight_writes_both_ends_whole():
    start = utc_at(date(2027, 3, 1), time(23, 30), "Europe/Berlin")
    where = location("Europe/Berlin", "de_DE", hours=ALL_DAY)
    rules = check(
        start,
        where,
        provider=ProviderRules(ALL_DAY, max_concurrent=2),
        patient=[Interval(start, start + timedelta(hours=1))],
        duration_minutes=60,
    )
    assert [r.message for r in rules] == [
        "Patient overlap: the patient already has a visit during "
        f"Mo., 1. März, 23:30{THIN}–{THIN}Di., 2. März, 00:30"
    ]


@pytest.mark.parametrize("locale", ["en_US", None])
def test_counts_take_their_plural(locale):
    where = location(locale=locale)
    spec = BUILTIN_PROTOCOLS["spravato-induction"]
    starts = preferred_dose_starts(spec, date(2027, 3, 1), time(9), NY)
    others = starts[:1] + starts[2:]  # dose 2 (Thu 4 March) is the one being moved

    def gap_message(day: int) -> str:
        [rule] = check(
            utc_at(date(2027, 3, day), time(9), NY),
            where,
            protocol=spec,
            other_doses=others,
            series_start_date=date(2027, 3, 1),
        )
        assert rule.code == "min_gap"
        return rule.message

    assert "at least 3 days apart;" in gap_message(2) and " is 1 day from the dose on " in gap_message(2)
    assert " is 2 days from the dose on " in gap_message(3)
    assert "(s)" not in gap_message(2) + gap_message(3)
    busy = [Interval(starts[0], starts[0] + timedelta(hours=2))]
    one = check(
        starts[0], where, provider=ProviderRules(ALL_WEEK, max_concurrent=1, busy=busy), duration_minutes=60
    )
    two = check(
        starts[0],
        where,
        provider=ProviderRules(ALL_WEEK, max_concurrent=2, busy=busy * 2),
        duration_minutes=60,
    )
    assert " supervises 1 dosing visit during " in one[0].message
    assert " supervises 2 dosing visits during " in two[0].message


def test_without_a_wording_the_domain_writes_one_way_for_every_locale():
    moved = plan("spravato-induction", location(locale=None, closures={date(2027, 3, 4)})).occurrences[1]
    assert moved.reasons == (
        "Closed: the location is closed on Thu 2027-03-04; moved to Fri 2027-03-05 09:00",
    )


def test_series_rules_name_the_other_dose_in_the_locations_words():
    spec = BUILTIN_PROTOCOLS["iv-ketamine-induction"]  # no doses on consecutive days, all within 21 days
    starts = preferred_dose_starts(spec, date(2027, 3, 1), time(9), "Europe/London")
    where = location("Europe/London", "en_GB")
    rules = check(starts[0] + timedelta(days=1), where, protocol=spec, other_doses=starts[:1] + starts[2:])
    assert (
        "consecutive_days",
        "Consecutive days: no doses on consecutive days; Tue 2 Mar, 09:00 is next to the dose on Mon 1 Mar",
    ) in [(r.code, r.message) for r in rules]
    late = check(starts[-1] + timedelta(days=12), where, protocol=spec, other_doses=starts[:-1])
    assert (
        "max_span",
        "Series span: all doses must fall within 21 days of the first (Mon 1 Mar); Wed 24 Mar, 09:00 "
        "does not",
    ) in [(r.code, r.message) for r in late]
