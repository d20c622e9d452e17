"""Calendar subscription feeds: secret tokens, what each feed shows, and the rendered bytes' cache.

A token is 256 random bits given out once; only its SHA-256 hash is stored, so the database cannot leak
working feed URLs. Issuing a new token revokes the old one: the old URL answers 404.

A feed's version lives in the database, so every worker agrees on it:

- each fetch reads a digest of every value the feed shows (the visits in the window, their rides, patients,
  chairs and locations, the owner's settings); the render cache is keyed by it and by the feed's revision,
  so a worker's cache only saves work and never serves an older body than another worker;
- when that digest is new, the feed compares each event with what it showed last time (one FeedEntry row
  per feed and visit): a visible change raises the event's SEQUENCE and LAST-MODIFIED (a ride or a phone
  number changes no appointment row, so the appointment's own SEQUENCE is not enough), and any change,
  a visit entering or leaving the window included, moves the feed's Last-Modified (FeedToken.changed_at)
  and its revision. Comparing what is shown, rather than bumping on writes, also covers changes no write
  announces: a visit sliding out of the window, a cancelled visit's grace period ending.

What each feed says: a patient's feed is neutral (titled "Clinic visit", the location's public name, never a
drug or a diagnosis) and tells the patient what to do (arrive by, fasting, the ride home), with alarms at the
fasting cut-off and before the pickup when the patient opted in; staff feeds (a provider's, a location's)
use staff wording (chair, check-in, REMS form, the patient's phone for the provider). Every clock time
carries the zone's abbreviation, every phone number is written as the location's country dials it.

A location's feed covers a shorter window (LOCATION_BACK, LOCATION_AHEAD) and at most LOCATION_MAX_EVENTS
visits, so that a busy clinic's feed stays well under the 1 MB Google Calendar accepts.
"""

import gzip
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from clinic.domain.ical import (
    DEFAULT_AHEAD,
    DEFAULT_BACK,
    FeedCalendar,
    FeedEvent,
    feed_etag,
    feed_window,
    render_feed,
)
from clinic.domain.policy import Action, Reach
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.feed import FeedEntry, FeedToken
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.rems_form import RemsForm
from clinic.models.transport import Transport
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import NotFound
from clinic.services.feed_events import calendar_name, feed_events, owner_label

CANCELLED_GRACE = timedelta(days=14)
# A location's feed: a busy clinic's visits over the default 13 months pass Google's limit of about 1 MB;
# about 100 days and a cap keep it far below, however busy the clinic.
LOCATION_BACK = timedelta(days=7)
LOCATION_AHEAD = timedelta(days=90)
LOCATION_MAX_EVENTS = 1500
CACHE_SIZE = 1024
LAST_FETCHED_GRANULARITY = timedelta(minutes=5)
_OWNER_COLUMN = {
    "patient": Appointment.patient_id,
    "provider": Appointment.provider_id,
    "location": Appointment.location_id,
}
_OWNER_MODEL = {"patient": Patient, "provider": Provider, "location": Location}


@dataclass(frozen=True)
class IssuedFeed:
    url: str
    webcal_url: str


@dataclass(frozen=True)
class RenderedFeed:
    """A feed ready to send: the identity and the gzip body, each with its own strong ETag."""

    body: bytes
    etag: str
    last_modified: datetime
    gzip_body: bytes
    gzip_etag: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_owner(owner_type: str, owner_id: int):
    """The patient, provider or location a feed belongs to, or NotFound."""
    owner = db.session.get(_OWNER_MODEL[owner_type], owner_id)
    if owner is None:
        raise NotFound(f"No {owner_type} with id {owner_id}")
    return owner


_OWNER_ACTION = {
    "patient": Action.PATIENT_FEED_MANAGE,
    "provider": Action.PROVIDER_FEED_MANAGE,
    "location": Action.LOCATION_FEED_MANAGE,
}


def _authorized_owner(owner_type: str, owner_id: int, actor: Actor):
    """The feed's owner if the actor may manage its feed; a provider manages only their own (else 404)."""
    granted = authorize(actor, _OWNER_ACTION[owner_type])
    if granted is Reach.SELF and owner_id != actor_provider_id(actor):
        raise NotFound(f"No {owner_type} with id {owner_id}")
    return feed_owner(owner_type, owner_id)


def _revoke_active(owner_type: str, owner_id: int, now: datetime) -> int:
    result = db.session.execute(
        update(FeedToken)
        .where(
            FeedToken.owner_type == owner_type, FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_(None)
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def issue_feed(owner_type: str, owner_id: int, actor: Actor, now: datetime) -> IssuedFeed:
    """A new subscription URL for the owner; any earlier URL stops working."""
    _authorized_owner(owner_type, owner_id, actor)
    _revoke_active(owner_type, owner_id, now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        FeedToken(owner_type=owner_type, owner_id=owner_id, token_hash=_hash(token), created_at=now)
    )
    record_event(actor, "feed.issue", now, object_type=owner_type, object_id=owner_id)
    url = f"{current_app.config['CLINIC_BASE_URL'].rstrip('/')}/feeds/{token}.ics"
    return IssuedFeed(url=url, webcal_url="webcal://" + url.split("://", 1)[1])


def revoke_feed(owner_type: str, owner_id: int, actor: Actor, now: datetime) -> None:
    """Stop the owner's feed URL from working."""
    _authorized_owner(owner_type, owner_id, actor)
    if not _revoke_active(owner_type, owner_id, now):
        raise NotFound("There is no active calendar feed to revoke")
    record_event(actor, "feed.revoke", now, object_type=owner_type, object_id=owner_id)


def active_feed(owner_type: str, owner_id: int) -> FeedToken | None:
    return db.session.scalar(
        select(FeedToken).where(
            FeedToken.owner_type == owner_type, FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_(None)
        )
    )


def resolve_feed_token(token: str) -> FeedToken | None:
    """The active feed a token opens, compared in constant time; None for unknown or revoked tokens."""
    digest = _hash(token)
    row = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def feed_span(owner_type: str) -> tuple[timedelta, timedelta]:
    """How far back and ahead an owner's feed reaches: shorter for a location (a whole clinic's visits)."""
    if owner_type == "location":
        return LOCATION_BACK, LOCATION_AHEAD
    return DEFAULT_BACK, DEFAULT_AHEAD


def _max_events(owner_type: str) -> int | None:
    return LOCATION_MAX_EVENTS if owner_type == "location" else None


def _visible(owner_type: str, owner_id: int, now: datetime):
    """Visits in the window; cancelled ones stay for the grace period (day-aligned: a stable cache key)."""
    back, ahead = feed_span(owner_type)
    window_start, window_end = feed_window(now, back, ahead)
    day = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    grace_cutoff = day - CANCELLED_GRACE
    return and_(
        _OWNER_COLUMN[owner_type] == owner_id,
        Appointment.start_at >= datetime.combine(window_start.date(), time(0), tzinfo=now.tzinfo),
        Appointment.start_at < window_end,
        or_(Appointment.status != VisitStatus.CANCELLED, Appointment.updated_at >= grace_cutoff),
    )


class _FeedCache:
    """Rendered feeds by (feed, feed revision, version of what it shows). The version is read from the
    database on every fetch, so a change anywhere makes a new key and nothing is invalidated by hand; the
    same key gives the same bytes on every worker, because rendering depends only on the database."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[tuple, RenderedFeed] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> RenderedFeed | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple, value: RenderedFeed) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _cache() -> _FeedCache:
    """One cache per app (and so per worker process and per database)."""
    return current_app.extensions.setdefault("clinic.feed_cache", _FeedCache(CACHE_SIZE))


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _version(token: FeedToken, owner, condition) -> str:
    """A digest of every database value the feed shows: which visits are in it, their changes (SEQUENCE,
    updated_at, status, check-in), their rides, REMS forms, patients' names and phones, chairs and locations
    (name, public name, address, phone, zone, locale), and the owner's feed settings. One indexed query; no
    rendering."""
    statement = (
        select(
            Appointment.id,
            Appointment.sequence,
            Appointment.updated_at,
            Appointment.status,
            Appointment.checked_in_at,
            RemsForm.submitted_at,
            # The values shown rather than when they changed: two changes within one clock tick still differ.
            Transport.status,
            Transport.mode,
            Transport.contact_name,
            Transport.contact_phone,
            Transport.pickup_at,
            Patient.first_name,
            Patient.last_name,
            Patient.phone,
            Chair.name,
            Location.id,
            Location.name,
            Location.public_name,
            Location.address,
            Location.phone,
            Location.timezone,
            Location.locale,
        )
        .join(Location, Location.id == Appointment.location_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .outerjoin(Transport, Transport.appointment_id == Appointment.id)
        .outerjoin(Chair, Chair.id == Appointment.chair_id)
        .outerjoin(RemsForm, RemsForm.appointment_id == Appointment.id)
        .where(condition)
        .order_by(Appointment.start_at, Appointment.id)
    )
    limit = _max_events(token.owner_type)
    rows = db.session.execute(statement if limit is None else statement.limit(limit)).all()
    settings = (
        getattr(owner, "calendar_alarms", None),
        getattr(owner, "feed_full_names", None),
        owner_label(owner),
    )
    return _digest((tuple(tuple(row) for row in rows), settings))


def _shown(event: FeedEvent) -> str:
    """A digest of what a client shows of an event: everything but its SEQUENCE and LAST-MODIFIED."""
    return _digest(
        (
            event.uid,
            event.start,
            event.end,
            event.timezone,
            event.summary,
            event.location,
            event.description,
            event.status,
            event.alarms,
        )
    )


def _later(now: datetime, previous: datetime | None) -> datetime:
    """`now` in whole seconds (what HTTP dates and iCalendar times carry), and at least a second after
    `previous`, so a change always moves the date a client compares, even within one second or with a
    clock behind another host's."""
    moment = now.replace(microsecond=0)
    if previous is not None and moment <= previous.replace(microsecond=0):
        moment = previous.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def _versioned(token: FeedToken, shown: list[FeedEvent], changes: dict[str, datetime], now: datetime):
    """The events with the SEQUENCE and LAST-MODIFIED this feed gives them, and the feed's Last-Modified.

    What the feed last showed of each visit is kept per feed (FeedEntry). A visit seen for the first time
    keeps its own SEQUENCE and newest change; one whose visible text or times differ from last time gets a
    higher SEQUENCE and LAST-MODIFIED `now`; the feed's Last-Modified moves when any event changed, appeared
    or left. Runs with the feed's row locked, so two workers noticing one change record it once.
    """
    entries = {
        entry.uid: entry
        for entry in db.session.scalars(select(FeedEntry).where(FeedEntry.feed_id == token.id))
    }
    events = []
    for event in shown:
        digest = _shown(event)
        entry = entries.get(event.uid)
        if entry is None:
            entry = FeedEntry(
                feed_id=token.id,
                uid=event.uid,
                digest=digest,
                sequence=event.sequence,
                modified_at=changes[event.uid],
            )
            db.session.add(entry)
        elif entry.digest != digest:
            entry.digest = digest
            entry.sequence = max(event.sequence, entry.sequence + 1)
            entry.modified_at = _later(now, entry.modified_at)
        events.append(replace(event, sequence=entry.sequence, last_modified=entry.modified_at))
    content = _digest(sorted((event.uid, _shown(event)) for event in shown))
    if token.content_digest != content:
        if token.content_digest is None:
            # First render of this feed: its date is that of its newest visit, or when it was issued.
            first = max((event.last_modified for event in events), default=token.created_at)
            token.changed_at = first.replace(microsecond=0)
        else:
            token.changed_at = _later(now, token.changed_at)
        token.content_digest = content
        token.revision += 1
    return events, token.changed_at


def rendered_feed(token: FeedToken, now: datetime) -> RenderedFeed:
    """The feed's bytes (plain and gzip), ETags and Last-Modified: from the cache unless what it shows
    changed.

    Every fetch reads the feed's version from the database (`_version`), so every worker sees a change at
    once. When the version is new to this worker, the visits are loaded and compared with what the feed
    showed last time (`_versioned`): an event whose visible text or times changed (a ride, a location's
    phone, an alarm setting, a move) gets a higher SEQUENCE and a new LAST-MODIFIED, and the feed's
    Last-Modified moves whenever an event changed, appeared or left the window.
    """
    owner = feed_owner(token.owner_type, token.owner_id)
    condition = _visible(token.owner_type, token.owner_id, now)
    version = _version(token, owner, condition)
    cached = _cache().get((token.id, token.revision, version))
    if cached is not None:
        return cached
    db.session.refresh(token, with_for_update=True)
    statement = (
        select(Appointment)
        .options(
            selectinload(Appointment.location),
            selectinload(Appointment.patient),
            selectinload(Appointment.provider),
            selectinload(Appointment.transport),
            selectinload(Appointment.series),
            selectinload(Appointment.chair),
        )
        .where(condition)
        .order_by(Appointment.start_at, Appointment.id)
    )
    limit = _max_events(token.owner_type)
    visits = list(db.session.scalars(statement if limit is None else statement.limit(limit)))
    changes = {
        visit.uid: max(visit.updated_at, visit.transport.updated_at if visit.transport else visit.updated_at)
        for visit in visits
    }
    events, last_modified = _versioned(token, feed_events(token.owner_type, owner, visits), changes, now)
    body = render_feed(FeedCalendar(calendar_name(token.owner_type, owner), events))
    # mtime=0: the same feed always compresses to the same bytes, so its gzip ETag is stable too.
    compressed = gzip.compress(body, compresslevel=6, mtime=0)
    result = RenderedFeed(body, feed_etag(body), last_modified, compressed, feed_etag(compressed))
    _cache().put((token.id, token.revision, version), result)
    return result


def record_fetch(token: FeedToken, remote_addr: str, now: datetime) -> None:
    """Audit a feed fetch: which feed, when, from where; never the token."""
    # Calendars poll every few minutes from several devices; refreshing the "last synced" time at most every
    # few minutes spares each fetch an UPDATE that all workers would queue on for the same row.
    if token.last_fetched_at is None or now - token.last_fetched_at >= LAST_FETCHED_GRANULARITY:
        token.last_fetched_at = now
    record_event(
        Actor(user=None, remote_addr=remote_addr, label=f"{token.owner_type}-feed"),
        "feed.fetch",
        now,
        object_type=token.owner_type,
        object_id=token.owner_id,
        details={"feed_id": token.id},
    )
