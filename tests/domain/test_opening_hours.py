"""The opening-hours rule both edges check a location's week against."""

import pytest

from clinic.domain.opening_hours import (
    OpeningHoursError,
    opening_hours,
    parse_spans_text,
    spans_text,
    week_summary,
)


def test_hours_are_normalised_in_week_order_with_sorted_spans():
    hours = {"sat": [["09:00", "13:00"]], "mon": [("13:00", "18:00"), ["08:00", "12:00"]], "tue": []}
    assert opening_hours(hours) == {
        "mon": [["08:00", "12:00"], ["13:00", "18:00"]],
        "tue": [],
        "sat": [["09:00", "13:00"]],
    }


def test_every_bad_weekday_is_named_with_its_own_message():
    hours = {
        "mon": [["08:00", "12:00"], ["11:00", "15:00"]],
        "tue": [["18:00", "08:00"]],
        "wed": [["9:00", "12:00"]],
        "thu": "all day",
        "fun": [],
    }
    with pytest.raises(OpeningHoursError) as refused:
        opening_hours(hours)
    assert refused.value.errors == {
        "mon": ["Monday: 11:00-15:00 overlaps 08:00-12:00"],
        "tue": ["Tuesday: 18:00-08:00 opens at or after it closes"],
        "wed": ["Wednesday: Use a 24-hour time written HH:MM, e.g. 09:30"],
        "thu": [refused.value.errors["thu"][0]],
        "fun": ["Unknown weekday; use mon, tue, wed, thu, fri, sat or sun"],
    }
    assert refused.value.errors["thu"][0].startswith("Thursday: Give an object of weekday")
    with pytest.raises(OpeningHoursError) as not_a_week:
        opening_hours([["08:00", "18:00"]])
    assert list(not_a_week.value.errors) == ["_schema"]


def test_touching_spans_do_not_overlap():
    assert opening_hours({"fri": [["08:00", "12:00"], ["12:00", "16:00"]]})["fri"] == [
        ["08:00", "12:00"],
        ["12:00", "16:00"],
    ]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("08:00-12:00, 13:00-18:00", [["08:00", "12:00"], ["13:00", "18:00"]]),
        ("13:00 - 18:00; 8:00-12:00", [["08:00", "12:00"], ["13:00", "18:00"]]),
        ("08:00\u201312:00", [["08:00", "12:00"]]),
        ("", []),
        (" , ", []),
    ],
)
def test_a_day_is_typed_as_spans_separated_by_commas(text, spans):
    assert parse_spans_text("mon", text) == spans
    assert parse_spans_text("mon", spans_text(spans)) == spans


@pytest.mark.parametrize("text", ["nine to five", "08:00", "08:00-12:00 13:00-18:00", "24:00-25:00"])
def test_an_unreadable_day_names_the_weekday(text):
    with pytest.raises(ValueError, match=r"^Sunday: "):
        parse_spans_text("sun", text)


def test_the_week_is_summarised_with_consecutive_equal_days_together():
    two_spans = [["08:00", "12:00"], ["13:00", "18:00"]]
    hours = {"mon": two_spans, "tue": two_spans, "wed": [["08:00", "18:00"]], "fri": [["08:00", "18:00"]]}
    assert week_summary(hours) == [
        "Mon-Tue 08:00-12:00, 13:00-18:00",
        "Wed 08:00-18:00",
        "Fri 08:00-18:00",
    ]
    assert week_summary({}) == []
