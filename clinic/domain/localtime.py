"""Wall-clock helpers: local dates and times at a location become UTC instants and back.

DST policy (every conversion from a local date and time to an instant goes through `localize`):

- A wall time that does not exist because the clocks spring forward moves FORWARD by the length of the gap:
  02:30 on the US spring-forward day becomes 03:30 daylight time. The visit keeps its elapsed time after
  midnight instead of happening earlier than planned.
- An ambiguous wall time (the clocks fall back and the hour repeats) means the FIRST occurrence
  (fold=0, the earlier instant): 01:30 on the US fall-back day is 01:30 daylight time.
- Series keep wall-clock time, not elapsed time: shifting by N days keeps the local time of day
  (09:00 stays 09:00 across a DST change), see `shift_wall`.

Weekly hours (opening hours, provider availability) are local wall-clock ranges; an end of 00:00 means
midnight at the end of the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TzLike = str | ZoneInfo
WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]

_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def zone(tz: TzLike) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name (or the zone itself); ValueError for an unknown name."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown timezone: {tz!r}") from exc


def require_aware(instant: datetime, name: str = "instant") -> datetime:
    """Return `instant` converted to UTC; ValueError if it is naive."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


def _naive(day: date, at: time) -> datetime:
    if at.tzinfo is not None:
        raise ValueError("wall-clock time must be naive (no tzinfo)")
    return datetime.combine(day, at.replace(fold=0))


def localize(day: date, at: time, tz: TzLike) -> datetime:
    """Return the aware local datetime for wall time `at` on `day` in `tz`, applying the DST policy."""
    z = zone(tz)
    # fold=0 uses the offset in force before a transition; inside a spring-forward gap that offset maps to
    # the instant after the gap, and the round trip through UTC yields the forward-moved wall time.
    return _naive(day, at).replace(tzinfo=z).astimezone(UTC).astimezone(z)


def utc_at(day: date, at: time, tz: TzLike) -> datetime:
    """Return the UTC instant of wall time `at` on `day` in `tz` (see `localize` for the DST policy)."""
    return localize(day, at, tz).astimezone(UTC)


def is_nonexistent(day: date, at: time, tz: TzLike) -> bool:
    """True when `at` on `day` falls in a spring-forward gap in `tz`."""
    return localize(day, at, tz).replace(tzinfo=None) != _naive(day, at)


def is_ambiguous(day: date, at: time, tz: TzLike) -> bool:
    """True when `at` on `day` occurs twice in `tz` (the repeated hour when clocks fall back)."""
    z = zone(tz)
    naive = _naive(day, at)
    first = naive.replace(tzinfo=z)
    second = naive.replace(tzinfo=z, fold=1)
    return first.utcoffset() != second.utcoffset() and not is_nonexistent(day, at, z)


def to_utc(instant: datetime) -> datetime:
    """Return an aware datetime converted to UTC; ValueError if naive."""
    return require_aware(instant)


def to_local(instant: datetime, tz: TzLike) -> datetime:
    """Return an aware instant as an aware datetime in `tz`."""
    return require_aware(instant).astimezone(zone(tz))


def local_date_of(instant: datetime, tz: TzLike) -> date:
    """Return the local calendar date of an instant in `tz`."""
    return to_local(instant, tz).date()


def local_time_of(instant: datetime, tz: TzLike) -> time:
    """Return the local wall-clock time (naive) of an instant in `tz`."""
    return to_local(instant, tz).time()


def wall_delta(old: datetime, new: datetime, tz: TzLike) -> timedelta:
    """Return the wall-clock difference between two instants as read on local clocks in `tz`.

    Moving a visit from Monday 09:00 to Tuesday 10:00 is one day and one hour, whatever DST does in between.
    """
    z = zone(tz)
    return to_local(new, z).replace(tzinfo=None) - to_local(old, z).replace(tzinfo=None)


def shift_wall(instant: datetime, delta: timedelta, tz: TzLike) -> datetime:
    """Return the UTC instant whose local wall-clock reading is that of `instant` plus `delta`.

    Whole days keep the local time of day; a result inside a spring-forward gap moves forward (DST policy).
    """
    z = zone(tz)
    target = to_local(instant, z).replace(tzinfo=None) + delta
    return utc_at(target.date(), target.time(), z)


def day_windows(hours: WeeklyHours, day: date, tz: TzLike) -> list[tuple[datetime, datetime]]:
    """Return the weekly `hours` of local `day` as UTC (start, end) pairs, skipping empty ranges."""
    z = zone(tz)
    windows = []
    for opens, closes in hours.get(day.weekday(), ()):
        start = utc_at(day, opens, z)
        # 00:00 as a closing time means the end of the day, not its start
        end_day = day + timedelta(days=1) if closes == time(0) else day
        end = utc_at(end_day, closes, z)
        if end > start:
            windows.append((start, end))
    return windows


class WeeklyWindows:
    """Weekly local hours as merged UTC windows, answering "is [start, end) inside the hours?"."""

    def __init__(self, hours: WeeklyHours, tz: TzLike) -> None:
        self._hours = hours
        self._tz = zone(tz)
        self._cache: dict[date, list[tuple[datetime, datetime]]] = {}

    def windows_around(self, day: date) -> list[tuple[datetime, datetime]]:
        """Merged UTC windows of local `day` and its neighbours (cached)."""
        windows = self._cache.get(day)
        if windows is None:
            # neighbouring days join windows that meet at midnight (a late shift running past 00:00)
            raw = sorted(
                w for d in (-1, 0, 1) for w in day_windows(self._hours, day + timedelta(days=d), self._tz)
            )
            windows = []
            for start, end in raw:
                if windows and start <= windows[-1][1]:
                    windows[-1] = (windows[-1][0], max(windows[-1][1], end))
                else:
                    windows.append((start, end))
            self._cache[day] = windows
        return windows

    def covers(self, start: datetime, end: datetime) -> bool:
        """True when the whole of [start, end) lies inside one stretch of the hours."""
        day = local_date_of(start, self._tz)
        return any(ws <= start and end <= we for ws, we in self.windows_around(day))


def format_date(day: date) -> str:
    """Format a date as 'Mon 2027-03-01' independent of the process locale."""
    return f"{_WEEKDAY_ABBR[day.weekday()]} {day.isoformat()}"


def format_local(instant: datetime, tz: TzLike) -> str:
    """Format an instant as local 'Mon 2027-03-01 09:00' in `tz`."""
    local = to_local(instant, tz)
    return f"{format_date(local.date())} {local:%H:%M}"


def format_clock(instant: datetime, tz: TzLike) -> str:
    """Format an instant as local 'HH:MM' in `tz`."""
    return f"{to_local(instant, tz):%H:%M}"


class TimeWording(Protocol):
    """How the people at a location write a day and a time in a sentence (the staff's reasons and notes).

    The domain words its messages and asks this for the times in them; the application passes one that
    writes them the way the location's locale does (clinic.formatting), so the domain needs no locale data.
    """

    def day(self, day: date) -> str:
        """A local calendar day."""
        ...

    def moment(self, instant: datetime) -> str:
        """An instant as its local day and time."""
        ...

    def clock(self, instant: datetime) -> str:
        """An instant as its local time of day only (the day is clear from the sentence)."""
        ...

    def span(self, start: datetime, end: datetime) -> str:
        """The stretch [start, end) with its local day."""
        ...


@dataclass(frozen=True)
class IsoWording:
    """Times written the same way whatever the locale ('Mon 2027-03-01 09:00'): the wording of a caller
    that gives none."""

    tz: TzLike

    def day(self, day: date) -> str:
        """'Mon 2027-03-01'."""
        return format_date(day)

    def moment(self, instant: datetime) -> str:
        """'Mon 2027-03-01 09:00'."""
        return format_local(instant, self.tz)

    def clock(self, instant: datetime) -> str:
        """'09:00'."""
        return format_clock(instant, self.tz)

    def span(self, start: datetime, end: datetime) -> str:
        """'Mon 2027-03-01 09:00-11:00'."""
        return f"{format_local(start, self.tz)}-{format_clock(end, self.tz)}"
