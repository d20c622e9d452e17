"""iCalendar subscription feeds (RFC 5545, RFC 7986) rendered from plain data.

The rules follow what real calendar clients do with a subscribed feed:

- Each event keeps its stable UID. The calendar has no UID and no METHOD, because a METHOD turns the feed into
  an iTIP message (an invitation), and some clients then offer to reply or skip the whole import.
- SEQUENCE and LAST-MODIFIED are written as the caller gives them; the caller raises both on every visible
  change of the event (clinic.services.feeds keeps, per feed, what each event last showed and does so for a
  ride, a location's text or a setting too, not only for a move). DTSTAMP is set equal to LAST-MODIFIED so
  that an unchanged feed is byte-identical: the ETag stays the same and clients get a 304.
- Times are written as local wall-clock time with TZID=<IANA zone of the location>, with one VTIMEZONE per
  zone. Visits keep their local time across a DST change, and clients that ignore VTIMEZONE (they map the
  IANA name) agree with clients that read it (they use the embedded rules).
- VTIMEZONEs cover the years the events span, with yearly RRULEs (or one part per change, each with its own
  DTSTART) and never RDATEs, onsets at the wall time under the old offset, so that ical.js, libical and
  Outlook read them alike (see `_vtimezone`). They are cached, because finding the transitions is slow.
- Cancelled visits stay in the feed as STATUS:CANCELLED for a grace period. A visit that just disappears is
  left behind by some clients, and STATUS:CANCELLED makes them cross it out.
- The feed covers a window (by default 30 days back, 12 months ahead; the caller picks a shorter one for a
  busy location) to stay below Google's limit of about 1 MB.
- VALARMs are written only when the patient opted in, and never on a cancelled visit. Each has a TRIGGER
  relative to the start (negative before it, positive after it: a ride pickup comes after the visit starts)
  and its own text.
- LOCATION is plain text; a directions link goes in URL and coordinates, when known, in GEO (RFC 5545
  3.8.1.6), which Apple and Outlook turn into a map.

Nothing here reads the clock: callers pass `now`.
"""

from __future__ import annotations

import calendar as calendar_module
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration

from clinic.domain.localtime import require_aware, zone

PRODID = "-//clinic//feed//EN"
STATUSES = frozenset({"CONFIRMED", "CANCELLED", "TENTATIVE"})
DEFAULT_REFRESH = timedelta(hours=1)
DEFAULT_BACK = timedelta(days=30)
DEFAULT_AHEAD = timedelta(days=365)
DEFAULT_CANCELLED_GRACE = timedelta(days=14)
MAX_ALARM_DISTANCE = timedelta(days=7)

Window = tuple[datetime, datetime]


@dataclass(frozen=True, order=True)
class FeedAlarm:
    """One VALARM: `trigger` is relative to the event's start (negative: before it), `description` is what
    the device shows when it fires."""

    trigger: timedelta
    description: str

    def __post_init__(self) -> None:
        if not self.description or not self.description.strip():
            raise ValueError("an alarm's description must not be empty")


@dataclass(frozen=True)
class FeedEvent:
    """One visit as it appears in a feed.

    `start`, `end` and `last_modified` must be timezone-aware; they are kept in UTC. `timezone` is the IANA
    zone of the location: DTSTART/DTEND are written as wall-clock time in that zone. `summary` must already
    be neutral ("Clinic visit"); preparation and ride notes go in `description`. `alarms` are one VALARM
    each; leave it empty unless the patient opted in. `url` is a link shown with the event (directions),
    `geo` the place's (latitude, longitude) when known.
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
    alarms: tuple[FeedAlarm, ...] = ()
    url: str = ""
    geo: tuple[float, float] | None = None

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
        if any(not isinstance(alarm, FeedAlarm) for alarm in self.alarms):
            raise ValueError("alarms must be FeedAlarm values")
        if any(abs(alarm.trigger) > MAX_ALARM_DISTANCE for alarm in self.alarms):
            raise ValueError("an alarm must fire within a week of the start")
        if self.geo is not None:
            latitude, longitude = self.geo
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValueError("geo must be a latitude in [-90, 90] and a longitude in [-180, 180]")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "last_modified", require_aware(self.last_modified, "last_modified"))
        # The same set of alarms always renders the same bytes, whatever order the caller listed them in.
        object.__setattr__(self, "alarms", tuple(sorted(set(self.alarms))))


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


@dataclass(frozen=True)
class _Transition:
    """One change of a zone's offset: `onset` is the local wall time it happens at under the OLD offset."""

    onset: datetime
    utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def kind(self) -> tuple:
        return (self.daylight, self.offset_from, self.offset_to, self.name)


def _state(tz: ZoneInfo, instant: datetime) -> tuple:
    local = instant.astimezone(tz)
    return (local.utcoffset(), bool(local.dst()), local.tzname())


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[_Transition]:
    """Every change of offset, DST flag or abbreviation between two UTC instants, to the second.

    zoneinfo does not list its transitions, so they are found by stepping a day at a time and bisecting.
    """
    found = []
    step = timedelta(days=1)
    here, state = start, _state(tz, start)
    while here < end:
        there = here + step
        if _state(tz, there) != state:
            low, high = here, there  # the change happens in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _state(tz, middle) == state:
                    low = middle
                else:
                    high = middle
            new_state = _state(tz, high)
            found.append(
                _Transition(
                    onset=(high + state[0]).replace(tzinfo=None),
                    utc=high,
                    offset_from=state[0],
                    offset_to=new_state[0],
                    name=new_state[2] or "",
                    daylight=new_state[1],
                )
            )
            state = new_state
        here = there
    return found


def _byday_candidates(onset: datetime) -> set[str]:
    """How RRULE BYDAY can name the onset's day: the nth weekday of the month, and -1 in the last week."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[onset.weekday()]
    names = {f"{(onset.day - 1) // 7 + 1}{weekday}"}
    if onset.day + 7 > calendar_module.monthrange(onset.year, onset.month)[1]:
        names.add(f"-1{weekday}")
    return names


def _runs(transitions: list[_Transition]) -> list[tuple[list[_Transition], str | None]]:
    """Group each kind of transition into runs one yearly RRULE describes exactly: the same month, wall time
    and BYDAY in consecutive years. Returns each run with its BYDAY (None when the run is a single onset)."""
    by_kind: dict[tuple, list[_Transition]] = {}
    for transition in transitions:
        by_kind.setdefault(transition.kind, []).append(transition)
    runs: list[tuple[list[_Transition], str | None]] = []
    for group in by_kind.values():
        run: list[_Transition] = []
        names: set[str] = set()
        for transition in group:
            candidates = _byday_candidates(transition.onset)
            if run:
                last = run[-1]
                if (
                    transition.onset.year == last.onset.year + 1
                    and transition.onset.month == last.onset.month
                    and transition.onset.time() == last.onset.time()
                    and names & candidates
                ):
                    run.append(transition)
                    names &= candidates
                    continue
                runs.append((run, min(names) if len(run) > 1 else None))
            run, names = [transition], candidates
        if run:
            runs.append((run, min(names) if len(run) > 1 else None))
    return sorted(runs, key=lambda item: item[0][0].utc)


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """Return the VTIMEZONE for `tzid` covering 1 January `first_year` to the end of `last_year`.

    Written so that ical.js (Thunderbird), libical and Outlook read it alike:

    - each STANDARD/DAYLIGHT part has its own DTSTART and, when the change repeats on the same rule in
      consecutive years, a yearly RRULE (the form Outlook writes and maps to its own rules); never RDATEs,
      because ical.js ignores DTSTART when a part has RDATEs;
    - DTSTART is the wall time the change happens at under the old offset (RFC 5545 3.6.5): 02:00 for the
      New York spring-forward, not 03:00;
    - a rule that stops within the years covered (the zone changed its rules) gets an UNTIL, and the parts
      start with the last change of the year before, so every instant covered has a part in force;
    - a zone without changes in those years gets one STANDARD part with its fixed offset.

    Cached because finding the transitions is far slower than rendering an event. The component is shared
    between renders and must never be modified.
    """
    tz = zone(tzid)
    start = datetime(first_year - 1, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("TZID", tzid)
    transitions = _transitions(tz, start, end)
    if not transitions:
        offset, _, name = _state(tz, start)
        standard = TimezoneStandard()
        standard.add("DTSTART", datetime(1970, 1, 1))
        standard.add("TZOFFSETFROM", offset)
        standard.add("TZOFFSETTO", offset)
        standard.add("TZNAME", name or tzid)
        component.add_component(standard)
        return component
    for run, byday in _runs(transitions):
        first = run[0]
        part = TimezoneDaylight() if first.daylight else TimezoneStandard()
        part.add("DTSTART", first.onset)
        part.add("TZOFFSETFROM", first.offset_from)
        part.add("TZOFFSETTO", first.offset_to)
        part.add("TZNAME", first.name)
        if byday is not None:
            rule: dict = {"FREQ": "YEARLY", "BYMONTH": first.onset.month, "BYDAY": byday}
            if run[-1].onset.year < last_year:
                # The rule ended inside the years covered; UNTIL is in UTC inside a VTIMEZONE.
                rule["UNTIL"] = run[-1].utc
            part.add("RRULE", rule)
        component.add_component(part)
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
    if event.url:
        component.add("URL", event.url)
    if event.geo is not None:
        component.add("GEO", event.geo)
    component.add("DESCRIPTION", event.description)
    component.add("STATUS", event.status)
    if event.status != "CANCELLED":
        # Some clients still fire alarms of a cancelled event; nobody should be told to leave for it.
        for planned in event.alarms:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", planned.description)
            alarm.add("TRIGGER", planned.trigger)
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
