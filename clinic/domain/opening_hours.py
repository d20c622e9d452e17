"""Opening hours: the rule every edge checks a location's weekly hours against, and how a day's spans are
written by people ("08:00-12:00, 13:00-18:00").

Stored form: ``{"mon": [["08:00", "12:00"], ["13:00", "18:00"]], ...}``: local wall-clock spans per weekday,
sorted, none overlapping, each opening before it closes. A weekday that is missing or has no spans is closed.
"""

import itertools
import re
from datetime import time

from clinic.domain.weekdays import WEEKDAY_KEYS

_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_NAMES = dict(zip(WEEKDAY_KEYS, _NAMES, strict=True))
SHAPE_MESSAGE = (
    'Give an object of weekday (mon..sun) -> list of [start, end] times, e.g. {"mon": [["08:00", "18:00"]]}'
)
TIME_MESSAGE = "Use a 24-hour time written HH:MM, e.g. 09:30"
SPANS_TEXT_MESSAGE = "Write each span as HH:MM-HH:MM, separated by commas, e.g. 08:00-12:00, 13:00-18:00"

# A hyphen or an en dash between the times (word processors turn one into the other).
_SPAN_TEXT = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")


class OpeningHoursError(ValueError):
    """Hours that break the rule: `errors` maps each bad weekday (``_schema``: the shape) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def clock_time(value: object) -> time:
    """A wall-clock time written ``HH:MM`` (24-hour); ValueError otherwise."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(TIME_MESSAGE)
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(TIME_MESSAGE) from None


def day_spans(day: str, spans: object) -> list[list[str]]:
    """One weekday's spans, sorted and written ``HH:MM``; ValueError with a message naming the weekday when
    a span is not two times, opens at or after it closes, or overlaps another span of the day."""
    name = WEEKDAY_NAMES[day]
    if not isinstance(spans, list):
        raise ValueError(f"{name}: {SHAPE_MESSAGE}")
    parsed = []
    for span in spans:
        if not isinstance(span, list | tuple) or len(span) != 2:
            raise ValueError(f"{name}: {SHAPE_MESSAGE}")
        try:
            opens, closes = clock_time(span[0]), clock_time(span[1])
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        if opens >= closes:
            raise ValueError(f"{name}: {span[0]}-{span[1]} opens at or after it closes")
        parsed.append((opens, closes))
    parsed.sort()
    for (first_opens, first_closes), (opens, closes) in itertools.pairwise(parsed):
        if opens < first_closes:
            raise ValueError(f"{name}: {_text(opens, closes)} overlaps {_text(first_opens, first_closes)}")
    return [[opens.strftime("%H:%M"), closes.strftime("%H:%M")] for opens, closes in parsed]


def opening_hours(value: object) -> dict[str, list[list[str]]]:
    """Weekly hours checked against the rule and normalised (days in week order, spans sorted);
    OpeningHoursError naming every bad weekday otherwise."""
    if not isinstance(value, dict):
        raise OpeningHoursError({"_schema": [SHAPE_MESSAGE]})
    errors: dict[str, list[str]] = {}
    result: dict[str, list[list[str]]] = {}
    for day, spans in value.items():
        if day not in WEEKDAY_NAMES:
            errors[str(day)] = ["Unknown weekday; use mon, tue, wed, thu, fri, sat or sun"]
            continue
        try:
            result[day] = day_spans(day, spans)
        except ValueError as error:
            errors[day] = [str(error)]
    if errors:
        raise OpeningHoursError(errors)
    return {day: result[day] for day in WEEKDAY_KEYS if day in result}


def parse_spans_text(day: str, text: str) -> list[list[str]]:
    """A weekday's spans as people type them (``08:00-12:00, 13:00-18:00``; empty means closed), checked
    by `day_spans`; ValueError with a message naming the weekday otherwise."""
    spans = []
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        match = _SPAN_TEXT.match(part)
        if match is None:
            raise ValueError(f"{WEEKDAY_NAMES[day]}: {SPANS_TEXT_MESSAGE}")
        spans.append([_padded(match.group(1)), _padded(match.group(2))])
    return day_spans(day, spans)


def spans_text(spans: list[list[str]] | None) -> str:
    """A weekday's stored spans written for a person: ``08:00-12:00, 13:00-18:00`` ("" when closed)."""
    return ", ".join(f"{opens}-{closes}" for opens, closes in spans or [])


def _padded(clock: str) -> str:
    # "8:00" is how people write it; the stored form is always HH:MM.
    return clock.zfill(5)


def _text(opens: time, closes: time) -> str:
    return f"{opens.strftime('%H:%M')}-{closes.strftime('%H:%M')}"


def week_summary(hours: dict[str, list[list[str]]]) -> list[str]:
    """The week's hours in a few words, consecutive days with the same spans together:
    ``["Mon-Fri 08:00-12:00, 13:00-18:00", "Sat 09:00-13:00"]`` (empty when the location never opens)."""
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAY_KEYS:
        text = spans_text(hours.get(day))
        if groups and groups[-1][1] == text and groups[-1][0][-1] == _previous(day):
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    lines = []
    for days, text in groups:
        if not text:
            continue
        first, last = WEEKDAY_NAMES[days[0]][:3], WEEKDAY_NAMES[days[-1]][:3]
        lines.append(f"{first} {text}" if len(days) == 1 else f"{first}-{last} {text}")
    return lines


def _previous(day: str) -> str:
    return WEEKDAY_KEYS[WEEKDAY_KEYS.index(day) - 1]
