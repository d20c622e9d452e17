"""The follow-up matching rule: a visit holding its slot within 7 local days either side of the due date."""

from datetime import date, datetime, time, timedelta

import pytest

from clinic.domain.followups import (
    MATCHING_STATUSES,
    FollowUpWindow,
    follow_up_matches,
    follow_up_window,
    is_follow_up_booked,
)
from clinic.domain.localtime import utc_at

NY = "America/New_York"
DUE = date(2027, 5, 3)
SECOND = timedelta(seconds=1)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return utc_at(day, time(hour, minute), NY)


WINDOW = follow_up_window(at(DUE), NY)


def test_the_window_runs_from_midnight_7_days_before_to_midnight_8_days_after_the_due_date():
    assert FollowUpWindow(at(date(2027, 4, 26)), at(date(2027, 5, 11))) == WINDOW


@pytest.mark.parametrize(
    ("start", "counts"),
    [
        (at(date(2027, 4, 26)) - SECOND, False),  # just before the window's start
        (at(date(2027, 4, 26)), True),  # exactly at the window's start
        (at(DUE, 10), True),
        (at(date(2027, 5, 10), 23, 59), True),  # the 7th day after, late in the day
        (at(date(2027, 5, 11)) - SECOND, True),  # just before the window's end
        (at(date(2027, 5, 11)), False),  # exactly at the window's end
    ],
)
def test_the_edges_of_the_window(start, counts):
    assert follow_up_matches(WINDOW, start, "scheduled") is counts
    assert is_follow_up_booked(at(DUE), [(start, "scheduled")], NY) is counts


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        ("scheduled", True),
        ("confirmed", True),
        ("checked_in", True),
        ("completed", True),
        ("cancelled", False),
        ("no_show", False),
    ],
)
def test_only_a_visit_that_holds_its_slot_counts(status, counts):
    assert follow_up_matches(WINDOW, at(DUE, 10), status) is counts
    assert (status in MATCHING_STATUSES) is counts


def test_the_window_is_made_of_local_days_whatever_the_hour_of_the_due_instant():
    # a missed visit at 10:00 is "due" at 10:00; the window is still whole local days
    assert follow_up_window(at(DUE, 10), NY) == WINDOW
    assert follow_up_window(at(DUE, 23, 59), NY) == WINDOW


def test_the_window_follows_local_clocks_across_a_dst_change():
    # US clocks spring forward on Sunday 2027-03-14: the window opens at 05:00 UTC and ends at 04:00 UTC
    window = follow_up_window(at(date(2027, 3, 15)), NY)
    assert window.start == datetime.fromisoformat("2027-03-08T05:00:00+00:00")
    assert window.end == datetime.fromisoformat("2027-03-23T04:00:00+00:00")


def test_booked_when_any_visit_counts():
    outside = (at(date(2027, 5, 12), 10), "scheduled")
    cancelled = (at(DUE, 10), "cancelled")
    assert is_follow_up_booked(at(DUE), [], NY) is False
    assert is_follow_up_booked(at(DUE), [outside, cancelled], NY) is False
    assert is_follow_up_booked(at(DUE), [outside, cancelled, (at(DUE, 15), "confirmed")], NY) is True


def test_times_must_be_aware():
    with pytest.raises(ValueError, match="due"):
        follow_up_window(datetime(2027, 5, 3), NY)
    with pytest.raises(ValueError):
        follow_up_matches(WINDOW, datetime(2027, 5, 3, 10), "scheduled")
