"""The visit lifecycle: one vocabulary, its predicates, and the transition rules with `now` frozen."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.domain.reminders import ReminderStatus
from clinic.domain.transport import TransportStatus
from clinic.domain.visits import (
    DOSE_GIVEN,
    HOLDS_SLOT,
    OPEN,
    SessionInputError,
    TransitionRefused,
    VisitStatus,
    check_in_broken,
    check_in_window,
    in_order,
    no_show_refusal,
    require_reason,
    require_status,
    undo_check_in_refusal,
)

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=150)
HOUR = timedelta(minutes=60)


def test_the_vocabulary_and_its_predicates():
    assert [s.value for s in VisitStatus] == [
        "scheduled",
        "confirmed",
        "checked_in",
        "completed",
        "cancelled",
        "no_show",
    ]
    assert (
        {s for s in VisitStatus if s.holds_slot}
        == HOLDS_SLOT
        == set(VisitStatus)
        - {
            VisitStatus.CANCELLED,
            VisitStatus.NO_SHOW,
        }
    )
    assert {s for s in VisitStatus if s.is_open} == OPEN == {VisitStatus.SCHEDULED, VisitStatus.CONFIRMED}
    assert {s for s in VisitStatus if s.dose_given} == DOSE_GIVEN
    assert VisitStatus("checked_in").label == "checked in"
    assert in_order(OPEN, VisitStatus) == ("scheduled", "confirmed")
    assert [s.value for s in TransportStatus] == ["missing", "arranged", "confirmed", "verified"]
    assert [s for s in TransportStatus if s.is_safe] == [TransportStatus.CONFIRMED, TransportStatus.VERIFIED]
    assert [s.value for s in ReminderStatus] == ["pending", "sent", "failed", "cancelled", "skipped"]
    with pytest.raises(ValueError):
        VisitStatus("done")


def test_check_in_opens_an_hour_before_the_start_and_closes_at_the_scheduled_end():
    assert check_in_window(START, END, HOUR) == (START - HOUR, END)
    for now in (START - HOUR, START, END):
        assert check_in_broken(START, END, now, opens_before=HOUR) == []
    for now in (START - HOUR - timedelta(seconds=1), END + timedelta(seconds=1), START - timedelta(days=2)):
        assert [b.code for b in check_in_broken(START, END, now, opens_before=HOUR)] == [
            "outside_check_in_window"
        ]


def test_check_in_lists_the_window_and_the_missing_ride_together():
    broken = check_in_broken(START, END, START - timedelta(days=2), ride_refusal="No ride home is arranged")
    assert [b.code for b in broken] == ["outside_check_in_window", "transport_missing"]
    assert [b.code for b in check_in_broken(START, END, START, ride_refusal="No ride")] == [
        "transport_missing"
    ]


def test_a_check_in_takes_an_aware_now():
    with pytest.raises(ValueError):
        check_in_broken(START, END, datetime(2027, 3, 8, 14, 0))


@pytest.mark.parametrize("status", [VisitStatus.COMPLETED, VisitStatus.CANCELLED, VisitStatus.NO_SHOW])
def test_moves_a_closed_visit_cannot_make(status):
    with pytest.raises(TransitionRefused, match=f"that is {status.label} cannot be checked in"):
        require_status(status, OPEN, "checked in")


def test_undo_check_in_only_from_checked_in_and_before_the_dose():
    undo_check_in_refusal(VisitStatus.CHECKED_IN, dose_recorded=False)
    with pytest.raises(TransitionRefused) as refused:
        undo_check_in_refusal(VisitStatus.CHECKED_IN, dose_recorded=True)
    assert [b.code for b in refused.value.broken] == ["dose_recorded"]
    with pytest.raises(TransitionRefused):
        undo_check_in_refusal(VisitStatus.SCHEDULED, dose_recorded=False)


def test_a_no_show_once_the_start_has_passed_on_an_open_visit():
    no_show_refusal(VisitStatus.SCHEDULED, START, START)
    with pytest.raises(TransitionRefused, match="start time has passed"):
        no_show_refusal(VisitStatus.CONFIRMED, START, START - timedelta(seconds=1))
    with pytest.raises(TransitionRefused):
        no_show_refusal(VisitStatus.CHECKED_IN, START, START + HOUR)


def test_a_reason_is_stripped_and_never_empty():
    assert require_reason("  wrong patient ") == "wrong patient"
    for blank in (None, "", "   "):
        with pytest.raises(SessionInputError) as error:
            require_reason(blank, "override_reason")
        assert error.value.field == "override_reason"
