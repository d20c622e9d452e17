"""Times, dates and phone numbers written for people: in a location's zone and locale (CLDR data through Babel
and phonenumbers), never in UTC and never in a pattern written by hand.

Every function takes the place whose conventions apply (anything with ``zone`` and ``locale``, a `Location`
or a `Place`), so a page for a Berlin clinic reads "Mo., 8. März, 14:30"
and one for Boston "Mon, Mar 8, 2:30 PM".
"""

from datetime import date, datetime, time
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, format_skeleton, tokenize_pattern
from babel.dates import format_time as babel_format_time

DEFAULT_LOCALE = "en_US"


class Where(Protocol):
    """A place whose conventions apply: its time zone and its CLDR locale."""

    @property
    def zone(self) -> ZoneInfo: ...

    @property
    def locale(self) -> str: ...


class Place(NamedTuple):
    """Conventions without a location row (a page that spans locations, a default)."""

    zone: ZoneInfo
    locale: str = DEFAULT_LOCALE


@lru_cache(maxsize=64)
def _locale(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


@lru_cache(maxsize=64)
def _uses_24_hours(name: str | None) -> bool:
    return "H" in _locale(name).time_formats["short"].pattern


def _local(instant: datetime, where: Where) -> datetime:
    return instant.astimezone(where.zone)


def format_time(instant: datetime | time | None, where: Where) -> str:
    """The wall-clock time of `instant` at `where` (``2:30 PM``, ``14:30``); a dash when there is none. A
    `time` is a wall-clock time already (opening hours, a series' start time) and is only written."""
    if instant is None:
        return "—"
    local = instant if isinstance(instant, time) else _local(instant, where)
    if _short_time_shows_only_the_minute(where.locale):
        return _minute_text(local.hour, local.minute, where.locale)
    return babel_format_time(local, "short", locale=_locale(where.locale))


# Fields of a time pattern that read nothing but the hour and minute (no seconds, no zone, no day period
# that names midnight or noon, which needs the exact instant).
_MINUTE_FIELDS = frozenset("hHkKma")


@lru_cache(maxsize=64)
def _short_time_shows_only_the_minute(name: str | None) -> bool:
    pattern = _locale(name).time_formats["short"].pattern
    return all(kind != "field" or value[0] in _MINUTE_FIELDS for kind, value in tokenize_pattern(pattern))


@lru_cache(maxsize=8192)
def _minute_text(hour: int, minute: int, locale_name: str | None) -> str:
    # Cached: a board or a day's list writes hundreds of times, and Babel takes tens of microseconds each.
    return babel_format_time(time(hour, minute), "short", locale=_locale(locale_name))


def format_day(day: date | datetime | None, where: Where, *, year: bool = True, style: str = "short") -> str:
    """A calendar day (``Mon, Mar 8, 2027``; ``Monday, March 8, 2027`` with style="full"); an instant is first
    taken to its local day."""
    if day is None:
        return "—"
    if isinstance(day, datetime):
        day = _local(day, where).date()
    return _day_text(day, where.locale, year, style)


@lru_cache(maxsize=4096)
def _day_text(day: date, locale_name: str | None, year: bool, style: str) -> str:
    # Cached: a long list repeats its days, and matching a skeleton to the locale's patterns is slow.
    locale = _locale(locale_name)
    if style == "full":
        if year:
            return babel_format_date(day, "full", locale=locale)
        return format_skeleton("MMMMEEEEd", day, locale=locale)
    return format_skeleton("yMMMEd" if year else "MMMEd", day, locale=locale)


def format_datetime(instant: datetime | None, where: Where, *, year: bool = False) -> str:
    """Day and time at `where` (``Mon, Mar 8, 2:30 PM``), the way the locale joins them."""
    if instant is None:
        return "—"
    return _joined(format_day(instant, where, year=year), format_time(instant, where), where.locale)


def _joined(day: str, time_text: str, locale_name: str | None) -> str:
    """A day and a time (or a stretch of time) joined the way the locale joins them."""
    pattern = _locale(locale_name).datetime_formats["medium"]
    pattern = getattr(pattern, "pattern", pattern)
    return pattern.replace("{1}", day).replace("{0}", time_text)


def format_time_range(start: datetime, end: datetime, where: Where) -> str:
    """A stretch of one day (``11:00 AM - 12:55 PM`` or ``11:00-12:55`` with the locale's own dash)."""
    skeleton = "Hm" if _uses_24_hours(where.locale) else "hm"
    return format_interval(
        _local(start, where), _local(end, where), skeleton, tzinfo=where.zone, locale=_locale(where.locale)
    )


def format_datetime_range(start: datetime, end: datetime, where: Where) -> str:
    """A stretch with its day (``Mon, Mar 8, 9:00 - 11:00 AM``), joined the way the locale joins a day and a
    time; a stretch over midnight writes both ends whole, with the locale's dash between them."""
    if _local(start, where).date() != _local(end, where).date():
        fallback = _locale(where.locale).interval_formats[None]
        return fallback.replace("{0}", format_datetime(start, where)).replace(
            "{1}", format_datetime(end, where)
        )
    return _joined(format_day(start, where, year=False), format_time_range(start, end, where), where.locale)


class LocalWording:
    """The days and times of the domain's messages (clinic.domain.localtime.TimeWording) as `where` writes
    them: ``Mon, Mar 8``, ``Mon, Mar 8, 9:00 AM``, ``9:00 AM``, ``Mon, Mar 8, 9:00 - 11:00 AM``."""

    __slots__ = ("where",)

    def __init__(self, where: Where) -> None:
        self.where = where

    def day(self, day: date) -> str:
        """A local day, without its year."""
        return format_day(day, self.where, year=False)

    def moment(self, instant: datetime) -> str:
        """An instant's local day and time."""
        return format_datetime(instant, self.where)

    def clock(self, instant: datetime) -> str:
        """An instant's local time of day."""
        return format_time(instant, self.where)

    def span(self, start: datetime, end: datetime) -> str:
        """A stretch with its day."""
        return format_datetime_range(start, end, self.where)


def zone_abbreviation(instant: datetime, where: Where) -> str:
    """The zone's short name at `instant` (``EST``, ``CEST``), which changes with daylight saving."""
    return _local(instant, where).tzname() or where.zone.key


def region_of(locale_name: str | None) -> str:
    """The country of a locale (``en_US`` -> ``US``), US when the locale names none."""
    return _locale(locale_name).territory or "US"


def format_phone(e164: str | None, where: Where | None = None) -> str:
    """A stored E.164 number as people dial it: national format for a number of the location's country
    (``(617) 555-0142``), international otherwise (``+49 30 123456``); empty when there is none."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = region_of(where.locale) if where is not None else None
    if home and phonenumbers.region_code_for_number(number) == home:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
