"""Parsing FHIR search parameters: references, tokens and dates with their comparison prefixes.

A refused parameter raises `Invalid` naming it, which the FHIR edge answers as a 400 OperationOutcome.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from clinic.services.errors import Invalid

MAX_ID = 2**63 - 1
# The search result parameters a client may send and that change nothing here (the answer is always JSON).
FORMAT_VALUES = frozenset({"json", "application/json", "application/fhir+json"})


class BadSearch(Invalid):
    """A search parameter that is unknown, repeated where it may not be, or malformed: a 400."""

    status = 400
    title = "Invalid search"


def refuse(name: str, message: str) -> BadSearch:
    return BadSearch(f"{name}: {message}", errors={name: [message]})


def check_known(args, known: set[str]) -> None:
    """Refuse parameters the search does not support (FHIR's strict handling), naming each one."""
    for name in args:
        if name == "_format" and all(v in FORMAT_VALUES for v in args.getlist(name)):
            continue
        if name not in known:
            supported = ", ".join(sorted(known))
            raise refuse(name, f"not a supported search parameter here (supported: {supported})")


def single(args, name: str) -> str | None:
    """The one value of a parameter that may appear once, or None when absent."""
    values = args.getlist(name)
    if len(values) > 1:
        raise refuse(name, "give this parameter once")
    return values[0].strip() if values else None


def reference_id(name: str, value: str, resource_type: str) -> int:
    """The id of a reference written as `7` or `Patient/7`."""
    text = value.removeprefix(f"{resource_type}/")
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise refuse(name, f"give a {resource_type} id, as 7 or {resource_type}/7")
    return int(text)


def tokens(name: str, value: str, system: str, known: set[str]) -> set[str]:
    """The codes of a token parameter (`code`, `system|code`, comma-separated alternatives)."""
    codes = set()
    for part in value.split(","):
        given_system, bar, code = part.strip().rpartition("|")
        if bar and given_system not in ("", system):
            raise refuse(name, f"codes are from {system}")
        if code not in known:
            supported = ", ".join(sorted(known))
            raise refuse(name, f"{code or 'an empty code'} is not supported (supported: {supported})")
        codes.add(code)
    return codes


class Prefix(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"


_DATE = re.compile(
    r"^(?P<prefix>[a-z]{2})?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateBound:
    """One `date` parameter: a prefix and the range its value stands for (a year, a month, a day, a minute
    or a second). A value without an offset is read in the wall-clock time of the record's own place."""

    prefix: Prefix
    start: datetime  # naive when the value had no offset
    step: relativedelta

    def range_in(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The value's range [low, high) as instants, reading an offset-less value in `zone`."""
        if self.start.tzinfo is not None:
            return self.start, self.start + self.step
        return self.start.replace(tzinfo=zone), (self.start + self.step).replace(tzinfo=zone)

    def matches(self, instant: datetime, zone: tzinfo) -> bool:
        """Whether an instant (a visit's start) satisfies the parameter (FHIR's rules for a point in time)."""
        low, high = self.range_in(zone)
        inside = low <= instant < high
        return {
            Prefix.EQ: inside,
            Prefix.NE: not inside,
            Prefix.GT: instant >= high,
            Prefix.GE: instant >= low,
            Prefix.LT: instant < low,
            Prefix.LE: instant < high,
        }[self.prefix]


def date_bound(name: str, value: str) -> DateBound:
    """Parse `ge2027-03-08`, `2027-03`, `lt2027-03-08T09:00:00-05:00` and the like."""
    match = _DATE.match(value.strip())
    if match is None:
        raise refuse(name, "give a date as [prefix]YYYY[-MM[-DD[Thh:mm[:ss][offset]]]], e.g. ge2027-03-08")
    parts = match.groupdict()
    try:
        prefix = Prefix(parts["prefix"] or "eq")
    except ValueError:
        raise refuse(name, f"supported prefixes: {', '.join(Prefix)}") from None
    fields = [int(parts[key]) if parts[key] else None for key in ("year", "month", "day", "hour", "minute")]
    second = int(parts["second"]) if parts["second"] else None
    year, month, day, hour, minute = fields
    if second is not None:
        step = relativedelta(seconds=1)
    elif hour is not None:
        step = relativedelta(minutes=1)
    elif day is not None:
        step = relativedelta(days=1)
    elif month is not None:
        step = relativedelta(months=1)
    else:
        step = relativedelta(years=1)
    try:
        start = datetime(year, month or 1, day or 1, hour or 0, minute or 0, second or 0)
        if parts["offset"]:
            start = datetime.fromisoformat(start.isoformat() + parts["offset"].replace("Z", "+00:00"))
        start + step  # the end of the range must exist too (not past year 9999)
    except (ValueError, OverflowError):
        raise refuse(name, f"{value} is not a valid date or time") from None
    return DateBound(prefix, start, step)


# How far a wall-clock time can be from UTC, to narrow a database query before the exact, per-place check.
_WIDEST_OFFSET = timedelta(hours=15)


def utc_window(bounds: list[DateBound]) -> tuple[datetime | None, datetime | None]:
    """A UTC window holding every instant that could satisfy all the bounds (None: unbounded)."""
    low: datetime | None = None
    high: datetime | None = None
    for bound in bounds:
        start, end = bound.range_in(UTC)
        if bound.prefix in (Prefix.EQ, Prefix.GE, Prefix.GT):
            edge = _shifted(end if bound.prefix is Prefix.GT else start, -_WIDEST_OFFSET)
            low = edge if low is None or edge is None else max(low, edge)
        if bound.prefix in (Prefix.EQ, Prefix.LE, Prefix.LT):
            edge = _shifted(start if bound.prefix is Prefix.LT else end, _WIDEST_OFFSET)
            high = edge if high is None or edge is None else min(high, edge)
    return low, high


def _shifted(instant: datetime, delta: timedelta) -> datetime | None:
    """The instant moved by delta, or None (no limit) past the calendar's first or last day."""
    try:
        return instant.astimezone(UTC) + delta
    except OverflowError:
        return None
