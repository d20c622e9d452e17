"""Plausible values: the dates, instants and timezones the clinic accepts from the people who type them.

A typo such as 0001-01-01, a year 9999 or the machine's own "localtime" zone is refused where it is entered,
not later, when a reminder, a feed or a list of visits is computed from it. The edges (API schemas, web
forms) check their input against these spans; each span is defined here once.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Generic, TypeVar
from zoneinfo import available_timezones

from dateutil.relativedelta import relativedelta

from clinic.domain.localtime import require_aware

T = TypeVar("T", date, datetime)


@dataclass(frozen=True)
class Span(Generic[T]):
    """A closed range of dates, or of aware instants: `earliest` and `latest` both belong to it."""

    earliest: T
    latest: T

    def __contains__(self, value: T) -> bool:
        # Aware instants compare without conversion to UTC, so 0001-01-01T00:00+01:00 is simply "too early"
        # instead of overflowing.
        return self.earliest <= value <= self.latest


# Any date or instant outside these is a typing error, whatever the field.
CALENDAR_DATES = Span(date(1900, 1, 1), date(2200, 1, 1))
CALENDAR_INSTANTS = Span(datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))

# Visits and pickups are booked, moved and rearranged within this window around now: far enough back to
# correct the record of a recent visit, far enough ahead for the longest maintenance series.
VISIT_LOOKBACK = relativedelta(years=2)
VISIT_LOOKAHEAD = relativedelta(years=3)

# The furthest-ahead timezone is UTC+14 (Line Islands): the date there is the latest anyone can call "today".
LATEST_UTC_OFFSET = timedelta(hours=14)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# The Spravato REMS began with the drug's FDA approval on 5 March 2019: no patient can be enrolled earlier.
SPRAVATO_REMS_START = date(2019, 3, 5)

# Names the tz database carries that are not places a clinic can be in: "Factory" is a placeholder zone
# (abbreviation "-00"), and "localtime" and "posixrules" are files some systems put beside the database that
# mirror whatever zone the machine happens to be set to.
NOT_PLACES = frozenset({"Factory", "localtime", "posixrules"})


def visit_instants(now: datetime) -> Span[datetime]:
    """When a visit may start or a pickup be planned: from `VISIT_LOOKBACK` before `now` to
    `VISIT_LOOKAHEAD` after it."""
    now = require_aware(now, "now")
    return Span(now - VISIT_LOOKBACK, now + VISIT_LOOKAHEAD)


def visit_days(now: datetime) -> Span[date]:
    """The local dates a series may start on or a location close on: the days of `visit_instants`."""
    instants = visit_instants(now)
    return Span(instants.earliest.date(), instants.latest.date())


def today_anywhere(now: datetime) -> date:
    """The latest date it is anywhere on Earth at `now`, so a clinic east of UTC can enter its own today."""
    return (require_aware(now, "now") + LATEST_UTC_OFFSET).date()


def birth_dates(now: datetime) -> Span[date]:
    """A date of birth: from 1900-01-01 up to today."""
    return Span(EARLIEST_BIRTH_DATE, today_anywhere(now))


def rems_enrolment_dates(now: datetime) -> Span[date]:
    """A Spravato REMS enrolment: not before the REMS began, and not in the future (an enrolment is
    recorded after it happened)."""
    return Span(SPRAVATO_REMS_START, today_anywhere(now))


def is_place_timezone(name: str) -> bool:
    """Whether `name` is an IANA timezone a location can be in (``America/New_York``, ``UTC``).

    Names are exact (case matters); file paths, "localtime" and "Factory" are not timezones of a place.
    """
    return name in _place_timezones()


@cache
def _place_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_PLACES
