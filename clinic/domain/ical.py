"""iCalendar subscription feeds (RFC 5545, RFC 7986) rendered from plain data.

The rules follow what real calendar clients do with a subscribed feed:

- Each event keeps its stable UID. The calendar has no UID and no METHOD, because a METHOD turns the feed into
  an iTIP message (an invitation), and some clients then offer to reply or skip the whole import.
- SEQUENCE and LAST-MODIFIED go up on every change. DTSTAMP is set equal to LAST-MODIFIED so that an unchanged
  feed is byte-identical: the ETag stays the same and clients get a 304.
- Times are written as local wall-clock time with TZID=<IANA zone of the location>, with one VTIMEZONE per
  zone. Visits keep their local time across a DST change, and clients that ignore VTIMEZONE (they map the
  IANA name) agree with clients that read it (they use the embedded rules).
- VTIMEZONEs only cover the years the events span, and they are cached, because building one from zoneinfo
  means searching for the transitions.
- Cancelled visits stay in the feed as STATUS:CANCELLED for a grace period. A visit that just disappears is
  left behind by some clients, and STATUS:CANCELLED makes them cross it out.
- The feed covers a window (30 days back, 12 months ahead) to stay far below Google's limit of about 1 MB.
- VALARMs are written only when the patient opted in, and never on a cancelled visit.

Nothing here reads the clock: callers pass `now`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from icalendar import Alarm, Calendar, Event, Timezone, vDuration

from clinic.domain.localtime import require_aware, zone

PRODID = "-//clinic//feed//EN"
STATUSES = frozenset({"CONFIRMED", "CANCELLED", "TENTATIVE"})
DEFAULT_REFRESH = timedelta(hours=1)
DEFAULT_BACK = timedelta(days=30)
DEFAULT_AHEAD = timedelta(days=365)
DEFAULT_CANCELLED_GRACE = timedelta(days=14)

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class FeedEvent:
    """One visit as it appears in a feed.

    `start`, `end` and `last_modified` must be timezone-aware; they are kept in UTC. `timezone` is the IANA
    zone of the location: DTSTART/DTEND are written as wall-clock time in that zone. `summary` must already
    be neutral ("Clinic visit"); preparation and ride notes go in `description`. `alarms` are offsets before
    the start, one VALARM each; leave it empty unless the patient opted in.
    """

    uid: str
    sequence: int
    start: datetime
    end: datetime
    timezone: str
    summary: str
    location: str
    description: str
    status: str
    last_modified: datetime
    alarms: tuple[timedelta, ...] = ()

    def __post_init__(self) -> None:
        if not self.uid or not self.uid.strip():
            raise ValueError("uid must not be empty")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, not {self.status!r}")
        zone(self.timezone)  # unknown zone names fail here, not half-way through rendering
        start = require_aware(self.start, "start")
        end = require_aware(self.end, "end")
        if end <= start:
            raise ValueError("end must be after start")
        if any(alarm < timedelta(0) for alarm in self.alarms):
            raise ValueError("alarms are durations before the start and must not be negative")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "last_modified", require_aware(self.last_modified, "last_modified"))
        # The same set of alarms always renders the same bytes, whatever order the caller listed them in.
        object.__setattr__(self, "alarms", tuple(sorted(set(self.alarms), reverse=True)))


@dataclass(frozen=True)
class FeedCalendar:
    """A whole feed: the calendar's display name, its events and the suggested polling interval."""

    name: str
    events: Sequence[FeedEvent] = field(default_factory=tuple)
    refresh: timedelta = DEFAULT_REFRESH

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ValueError("name must not be empty")
        if self.refresh <= timedelta(0):
            raise ValueError("refresh must be positive")
        events = tuple(self.events)
        uids = [event.uid for event in events]
        if len(set(uids)) != len(uids):
            # Clients merge events by UID, so a duplicate would silently hide one of the visits.
            raise ValueError("event UIDs must be unique within a feed")
        object.__setattr__(self, "events", events)


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """Return the VTIMEZONE for `tzid` covering 1 January `first_year` to the end of `last_year`.

    Cached because the transition search in icalendar is far slower than rendering an event. The component
    is shared between renders and must never be modified.
    """
    component = Timezone.from_tzinfo(
        zone(tzid), tzid=tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    # icalendar adds a COMMENT naming the covered dates; it is noise in every client and it is not needed.
    component.pop("COMMENT", None)
    return component


def _vevent(event: FeedEvent) -> Event:
    tz = zone(event.timezone)
    component = Event()
    component.add("UID", event.uid)
    component.add("SEQUENCE", event.sequence)
    # DTSTAMP equals LAST-MODIFIED (not the time of rendering) so that an unchanged feed is byte-identical.
    component.add("DTSTAMP", event.last_modified)
    component.add("LAST-MODIFIED", event.last_modified)
    # Wall-clock time with an explicit TZID: the TZID is exactly the zone name given (never an alias that
    # icalendar derives), so it always matches a VTIMEZONE of the feed; UTC zones are not turned into `Z`.
    tzid = {"TZID": event.timezone}
    component.add("DTSTART", event.start.astimezone(tz).replace(tzinfo=None), parameters=tzid)
    component.add("DTEND", event.end.astimezone(tz).replace(tzinfo=None), parameters=tzid)
    component.add("SUMMARY", event.summary)
    component.add("LOCATION", event.location)
    component.add("DESCRIPTION", event.description)
    component.add("STATUS", event.status)
    if event.status != "CANCELLED":
        # Some clients still fire alarms of a cancelled event; nobody should be told to leave for it.
        for before in event.alarms:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", event.summary)
            alarm.add("TRIGGER", -before)
            component.add_component(alarm)
    return component


def _zone_years(events: Sequence[FeedEvent]) -> dict[str, tuple[int, int]]:
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        tz = zone(event.timezone)
        first = event.start.astimezone(tz).year
        last = event.end.astimezone(tz).year
        if event.timezone in years:
            known_first, known_last = years[event.timezone]
            first, last = min(first, known_first), max(last, known_last)
        years[event.timezone] = (first, last)
    return years


def render_feed(calendar: FeedCalendar) -> bytes:
    """Return the feed as iCalendar bytes (UTF-8, CRLF line endings, lines folded at 75 octets).

    The same `calendar` always gives the same bytes: events are ordered by start, then UID, and no value
    depends on the clock or on chance.
    """
    feed = Calendar()
    feed.add("VERSION", "2.0")
    feed.add("PRODID", PRODID)
    feed.add("CALSCALE", "GREGORIAN")
    # NAME (RFC 7986) and X-WR-CALNAME (what Google and Apple read) both carry the display name.
    feed.calendar_name = calendar.name
    # REFRESH-INTERVAL (RFC 7986, needs VALUE=DURATION) and X-PUBLISHED-TTL (Outlook, Apple) ask clients to
    # poll at this rate; Google ignores both and polls on its own schedule.
    feed.add("REFRESH-INTERVAL", vDuration(calendar.refresh), parameters={"VALUE": "DURATION"})
    feed.add("X-PUBLISHED-TTL", vDuration(calendar.refresh))
    # VTIMEZONEs come before the events that use them, in a fixed order.
    for tzid, (first_year, last_year) in sorted(_zone_years(calendar.events).items()):
        feed.add_component(_vtimezone(tzid, first_year, last_year))
    for event in sorted(calendar.events, key=lambda e: (e.start, e.uid)):
        feed.add_component(_vevent(event))
    return feed.to_ical()


def feed_etag(body: bytes) -> str:
    """Return a strong ETag for a rendered feed: the quoted SHA-256 hex digest of the bytes."""
    return f'"{hashlib.sha256(body).hexdigest()}"'


def feed_window(now: datetime, back: timedelta = DEFAULT_BACK, ahead: timedelta = DEFAULT_AHEAD) -> Window:
    """Return the (start, end) instants, in UTC, of the events a feed fetched at `now` should carry."""
    if back < timedelta(0) or ahead < timedelta(0):
        raise ValueError("back and ahead must not be negative")
    now = require_aware(now, "now")
    return now - back, now + ahead


def in_window(event_start: datetime, event_end: datetime, window: Window) -> bool:
    """Return whether an event overlaps the half-open window [start, end).

    An event that ends exactly when the window starts, or starts exactly when it ends, is outside.
    """
    start = require_aware(event_start, "event_start")
    end = require_aware(event_end, "event_end")
    window_start = require_aware(window[0], "window start")
    window_end = require_aware(window[1], "window end")
    return start < window_end and end > window_start


def keep_cancelled(cancelled_at: datetime, now: datetime, grace: timedelta = DEFAULT_CANCELLED_GRACE) -> bool:
    """Return whether a cancelled event still belongs in the feed at `now`.

    `cancelled_at` is when it was cancelled (its last modification). It is kept while less than `grace` has
    passed, so that clients that already synced it see STATUS:CANCELLED; from exactly `grace` on it is left
    out. A cancellation time in the future (clock skew between hosts) keeps it.
    """
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    return require_aware(now, "now") - require_aware(cancelled_at, "cancelled_at") < grace
