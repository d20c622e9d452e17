"""Trend: PHQ-9 change from the baseline, response and remission."""

from datetime import date, datetime, time, timedelta

import pytest

from clinic.domain.localtime import utc_at
from clinic.domain.monitoring import MeasurementError, response_status

NY = "America/New_York"
FIRST_DAY = date(2027, 3, 8)  # a Monday; US clocks spring forward on Sunday 2027-03-14


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return utc_at(day, time(hour, minute), NY)


def day(n: int) -> datetime:
    return at(FIRST_DAY + timedelta(days=n), 9)


def test_response_is_a_drop_of_at_least_half():
    summary = response_status([(day(0), 20), (day(7), 14), (day(28), 10)])
    assert (summary.baseline, summary.latest, summary.change) == (20, 10, -10)
    assert summary.percent_change == -50.0
    assert summary.response is True  # exactly half counts
    assert summary.remission is False  # 10 is not below 10
    assert response_status([(day(0), 20), (day(28), 11)]).response is False


def test_remission_is_latest_below_ten():
    summary = response_status([(day(0), 15), (day(28), 9)])
    assert (summary.remission, summary.response) == (True, False)
    assert summary.percent_change == -40.0


def test_trend_sorts_by_time_and_reports_worsening():
    summary = response_status([(day(28), 22), (day(0), 12), (day(7), 5)])
    assert (summary.baseline, summary.latest, summary.change, summary.percent_change) == (12, 22, 10, 83.3)
    assert (summary.baseline_at, summary.latest_at) == (day(0), day(28))
    assert not summary.response and not summary.remission


def test_a_baseline_alone_is_neither_response_nor_remission():
    summary = response_status([(day(0), 4)])
    assert (summary.change, summary.percent_change, summary.response, summary.remission) == (
        0,
        0.0,
        False,
        False,
    )
    zero = response_status([(day(0), 0), (day(7), 0)])
    assert (zero.percent_change, zero.response, zero.remission) == (None, False, True)


@pytest.mark.parametrize(
    ("totals", "field"),
    [
        ([], "phq9_totals"),
        ([(day(0), 28)], "phq9_totals[0]"),
        ([(day(0), 10), (datetime(2027, 3, 9), 5)], "phq9_totals[1]"),
        ([(day(0), 10), (day(1),)], "phq9_totals[1]"),
    ],
)
def test_trend_validation(totals, field):
    with pytest.raises(MeasurementError) as caught:
        response_status(totals)
    assert caught.value.field == field
