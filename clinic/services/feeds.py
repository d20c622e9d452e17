"""Calendar subscription feeds: secret tokens, what each feed shows, and the rendered bytes' cache.

A token is 256 random bits given out once; only its SHA-256 hash is stored, so the database cannot leak
working feed URLs. Issuing a new token revokes the old one: the old URL answers 404.

A feed's version lives in the database, so every worker agrees on it:

- every transaction that changes what a feed shows bumps its owner's `feed_versions` row before it commits
  (clinic.services.feed_versions: an ORM flush hook, so no writer can forget), and changes that reach every
  feed (a chair, a location) the global row; each fetch reads those two rows with the token, in one
  statement. The render cache is keyed by them, by the feed's revision and by the window of the fetch, so a
  worker's cache only saves work and never serves an older body than another worker;
- the window's bounds and the cancelled visits' grace cut-off are whole UTC days (`_window_parameters`): time
  passing writes no row, so a visit entering or leaving the window, or a cancelled visit's grace period
  ending, shows on the first fetch of the next day;
- when the version is new, the feed compares each event with what it showed last time (one FeedEntry row
  per feed and visit): a visible change raises the event's SEQUENCE and LAST-MODIFIED (a ride or a phone
  number changes no appointment row, so the appointment's own SEQUENCE is not enough), and any change,
  a visit entering or leaving the window included, moves the feed's Last-Modified (FeedToken.changed_at)
  and its revision. A write that changes nothing shown costs one render and leaves the bytes as they were.

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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from functools import cache, lru_cache
from typing import Any
from typing import cast as typed

from flask import current_app
from sqlalchemy import CursorResult, Table, and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from clinic.database import DriverRead, outside_transaction
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
from clinic.models.feed import GLOBAL_OWNER, FeedEntry, FeedToken, FeedVersion
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.rems_form import RemsForm
from clinic.models.transport import Transport
from clinic.services import feed_versions  # noqa: F401 - its flush hook keeps the versions read here
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor
from clinic.services.audit import record_event, record_event_soon
from clinic.services.errors import NotFound
from clinic.services.feed_events import calendar_name, feed_events
from clinic.write_behind import write_soon

CANCELLED_GRACE = timedelta(days=14)
# A location's feed: a busy clinic's visits over the default 13 months pass Google's limit of about 1 MB;
# about 100 days and a cap keep it far below, however busy the clinic.
LOCATION_BACK = timedelta(days=7)
LOCATION_AHEAD = timedelta(days=90)
LOCATION_MAX_EVENTS = 1500
CACHE_SIZE = 1024
# Token hash -> kind of owner, so that a fetch knows which statement to send (`_lookup`).
OWNER_TYPES_KEPT = 100_000
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
    """A feed ready to send: the identity and the gzip body, each with its own strong ETag, and its
    Last-Modified also as the HTTP date every answer carries (formatted once, not per fetch)."""

    body: bytes
    etag: str
    last_modified: datetime
    gzip_body: bytes
    gzip_etag: str
    http_last_modified: str = field(init=False)

    def __post_init__(self) -> None:
        http_date = format_datetime(self.last_modified.replace(microsecond=0), usegmt=True)
        object.__setattr__(self, "http_last_modified", http_date)


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
    statement = (
        update(FeedToken)
        .where(
            FeedToken.owner_type == owner_type, FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_(None)
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE gives a CursorResult, which has the row count; Session.execute is typed for any statement.
    result = typed("CursorResult[Any]", db.session.execute(statement))
    # What a revoked feed showed is never compared again.
    revoked = select(FeedToken.id).where(
        FeedToken.owner_type == owner_type, FeedToken.owner_id == owner_id, FeedToken.revoked_at.is_not(None)
    )
    db.session.execute(delete(FeedEntry).where(FeedEntry.feed_id.in_(revoked.scalar_subquery())))
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


def feed_span(owner_type: str) -> tuple[timedelta, timedelta]:
    """How far back and ahead an owner's feed reaches: shorter for a location (a whole clinic's visits)."""
    if owner_type == "location":
        return LOCATION_BACK, LOCATION_AHEAD
    return DEFAULT_BACK, DEFAULT_AHEAD


def _max_events(owner_type: str) -> int | None:
    return LOCATION_MAX_EVENTS if owner_type == "location" else None


def _window_parameters(owner_type: str, now: datetime) -> dict[str, datetime]:
    """What `_visible` binds for a fetch of an owner's feed at `now`: the window, from the start of the UTC
    day `back` before to the end of the UTC day `ahead` after, and the cut-off for cancelled visits (whole
    days ago). All change once a day at most: with the feed's stored version they make its cache key.
    The same dictionary serves every fetch of the day (read, never changed)."""
    return _window_of_day(owner_type, now.astimezone(UTC).date())


@lru_cache(maxsize=16)
def _window_of_day(owner_type: str, today: date) -> dict[str, datetime]:
    # The spans are whole days, so any moment of the UTC day gives the same bounds as its midnight.
    day = datetime.combine(today, time(0), tzinfo=UTC)
    window_start, window_end = feed_window(day, *feed_span(owner_type))
    return {
        "window_from": datetime.combine(window_start.date(), time(0), tzinfo=UTC),
        "window_until": datetime.combine(window_end.date() + timedelta(days=1), time(0), tzinfo=UTC),
        "grace_cutoff": day - CANCELLED_GRACE,
    }


def _visible(owner_type: str, owner_id):
    """The owner's visits in the window, cancelled ones for the grace period. `owner_id` is a value or a
    column of an enclosing query; the bounds are bound by name (`_window_parameters`), so each statement is
    built once."""
    return and_(
        _OWNER_COLUMN[owner_type] == owner_id,
        Appointment.start_at >= bindparam("window_from"),
        Appointment.start_at < bindparam("window_until"),
        or_(Appointment.status != VisitStatus.CANCELLED, Appointment.updated_at >= bindparam("grace_cutoff")),
    )


class _FeedCache:
    """Rendered feeds by (feed, feed revision, version of what it shows and window). The version is read
    from the database on every fetch, so a change anywhere makes a new key and nothing is invalidated by
    hand; the same key gives the same bytes on every worker, because rendering depends only on the database
    and the window."""

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


# Every database value a feed shows but its owner's settings: which visits are in it, their changes (SEQUENCE,
# updated_at, status, check-in), their rides, REMS forms, patients' names and phones, chairs and locations
# (name, public name, address, phone, zone, locale). A write to any of their tables bumps the feeds it reaches
# (clinic.services.feed_versions.WATCHED; a test holds the two together).
_SHOWN_COLUMNS = (
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
# The owner's settings a feed shows: a patient's alarms, whether a provider's feed names patients in full,
# the owner's name (`owner_label`).
_SETTINGS_COLUMNS = {
    "patient": (Patient.calendar_alarms, Patient.first_name),
    "provider": (Provider.feed_full_names, Provider.name),
    "location": (Location.name,),
}


@cache
def _lookup_statement(owner_type: str) -> DriverRead:
    """The feed a token hash opens and what its version is made of, in one statement: whether the owner still
    exists, the owner's feed_versions row and the global row (a missing row counts as 0). One statement per
    kind of owner (its owner table); each reads three rows by primary key and one by a unique index."""
    owner_table = typed(Table, _OWNER_MODEL[owner_type].__table__)
    owner_version = (
        select(FeedVersion.version)
        .where(FeedVersion.owner_type == FeedToken.owner_type, FeedVersion.owner_id == FeedToken.owner_id)
        .correlate(FeedToken)
        .scalar_subquery()
    )
    everyone, everyone_id = GLOBAL_OWNER
    global_version = (
        select(FeedVersion.version)
        .where(FeedVersion.owner_type == everyone, FeedVersion.owner_id == everyone_id)
        .scalar_subquery()
    )
    statement = select(
        FeedToken.id,
        FeedToken.owner_type,
        FeedToken.owner_id,
        FeedToken.token_hash,
        FeedToken.revoked_at,
        FeedToken.revision,
        FeedToken.last_fetched_at,
        exists().where(owner_table.c.id == FeedToken.owner_id).label("owner_exists"),
        func.coalesce(owner_version, 0).label("owner_version"),
        func.coalesce(global_version, 0).label("global_version"),
    ).where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.owner_type == owner_type)
    return DriverRead(statement)


_OWNER_TYPE_OF = select(FeedToken.owner_type).where(FeedToken.token_hash == bindparam("token_hash"))


@dataclass(frozen=True)
class _Found:
    """A feed token's row as a fetch reads it, with the version of what its feed shows: the owner's and the
    global feed_versions and the window of the fetch (None when the owner is gone)."""

    id: int
    owner_type: str
    owner_id: int
    token_hash: str
    revoked_at: datetime | None
    revision: int
    last_fetched_at: datetime | None
    version: tuple | None


def _lookup(token_hash: str, now: datetime) -> _Found | None:
    """The token's row and its feed's version.

    On PostgreSQL that is one statement, outside any transaction: a cached feed costs one round trip, with no
    BEGIN or COMMIT to wait for. The statement depends on the kind of owner, which a token never changes:
    each worker remembers it per token hash, and asks for it (one more round trip) on a token's first fetch.
    Elsewhere (SQLite) the same statements run in the request's session.
    """
    engine = db.engine
    on_server = engine.dialect.name == "postgresql"
    owner_types: dict[str, str] = current_app.extensions.setdefault("clinic.feed_owner_types", {})
    owner_type = owner_types.get(token_hash)
    if owner_type is None:
        if on_server:
            with outside_transaction(engine) as connection:
                owner_type = connection.execute(_OWNER_TYPE_OF, {"token_hash": token_hash}).scalar()
        else:
            owner_type = db.session.execute(_OWNER_TYPE_OF, {"token_hash": token_hash}).scalar()
        if owner_type is None:
            return None
        if len(owner_types) >= OWNER_TYPES_KEPT:
            owner_types.clear()
        owner_types[token_hash] = owner_type
    read = _lookup_statement(owner_type)
    bound = {"token_hash": token_hash}
    row = read.first(engine, bound) if on_server else db.session.execute(read.statement, bound).first()
    if row is None:
        return None
    feed_id, kind, owner_id, found_hash, revoked_at, revision, fetched_at, owner_exists, owner, everyone = row
    version = None
    if owner_exists:
        # The window is part of the version: time passing writes no row, but moves visits in and out.
        version = (owner, everyone, *_window_parameters(owner_type, now).values())
    return _Found(feed_id, kind, owner_id, found_hash, revoked_at, revision, fetched_at, version)


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

    The entries of visits the feed no longer shows go (one that comes back counts as seen for the first
    time), so what is kept, and read on each render, is bounded by the window, not by the feed's history.
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
        left = sorted(entries.keys() - {event.uid for event in shown})
        if left:
            db.session.execute(
                delete(FeedEntry).where(FeedEntry.feed_id == token.id, FeedEntry.uid.in_(left))
            )
    return events, token.changed_at


@dataclass(frozen=True)
class FeedFetch:
    """What a fetch found: which feed (for the audit row) and the feed ready to send."""

    feed_id: int
    owner_type: str
    owner_id: int
    last_fetched_at: datetime | None
    rendered: RenderedFeed


def fetch_feed(token: str, now: datetime) -> FeedFetch | None:
    """The feed a token opens, ready to send; None for an unknown or revoked token (compared in constant
    time).

    Every fetch reads the feed's version from the database together with the token (`_lookup`), so a
    revoked token answers 404 at once and every worker sees a change at once; the rendered feed comes from
    this worker's cache unless that version is new to it (`_render`).
    """
    digest = _hash(token)
    found = _lookup(digest, now)
    if found is None or found.revoked_at is not None or not hmac.compare_digest(found.token_hash, digest):
        return None
    rendered = None if found.version is None else _cache().get((found.id, found.revision, found.version))
    if rendered is None:
        rendered = _render(found, now)
    return FeedFetch(found.id, found.owner_type, found.owner_id, found.last_fetched_at, rendered)


def _render(found: _Found, now: datetime) -> RenderedFeed:
    """The feed's bytes (plain and gzip), ETags and Last-Modified, rendered and put in the cache.

    The visits are loaded and compared with what the feed showed last time (`_versioned`): an event whose
    visible text or times changed (a ride, a location's phone, an alarm setting, a move) gets a higher
    SEQUENCE and a new LAST-MODIFIED, and the feed's Last-Modified moves whenever an event changed, appeared
    or left the window.
    """
    owner = feed_owner(found.owner_type, found.owner_id)
    token = db.session.get_one(FeedToken, found.id)
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
        .where(_visible(token.owner_type, token.owner_id))
        .order_by(Appointment.start_at, Appointment.id)
    )
    limit = _max_events(token.owner_type)
    parameters = _window_parameters(token.owner_type, now)
    visits = list(db.session.scalars(statement if limit is None else statement.limit(limit), parameters))
    changes = {
        visit.uid: max(visit.updated_at, visit.transport.updated_at if visit.transport else visit.updated_at)
        for visit in visits
    }
    events, last_modified = _versioned(token, feed_events(token.owner_type, owner, visits), changes, now)
    body = render_feed(FeedCalendar(calendar_name(token.owner_type, owner), events))
    # mtime=0: the same feed always compresses to the same bytes, so its gzip ETag is stable too.
    compressed = gzip.compress(body, compresslevel=6, mtime=0)
    result = RenderedFeed(body, feed_etag(body), last_modified, compressed, feed_etag(compressed))
    _cache().put((token.id, token.revision, found.version), result)
    return result


_TOKENS = typed(Table, FeedToken.__table__)
_TOUCH_FETCHED = (
    update(_TOKENS)
    .where(
        _TOKENS.c.id == bindparam("feed"),
        # Batches from several workers may land out of order: the time only moves forward.
        or_(_TOKENS.c.last_fetched_at.is_(None), _TOKENS.c.last_fetched_at < bindparam("at")),
    )
    .values(last_fetched_at=bindparam("at"))
)


def record_fetch(fetched: FeedFetch, remote_addr: str, now: datetime) -> None:
    """Audit a feed fetch: which feed, when, from where; never the token. The row (and the feed's "last
    synced" time) is written within moments in a batch, so the fetch waits for no commit of its own."""
    # Calendars poll every few minutes from several devices; refreshing the "last synced" time at most every
    # few minutes spares each fetch an UPDATE that all workers would queue on for the same row. Until the
    # queued one is written, this worker remembers it rather than queueing another per fetch.
    touched = current_app.extensions.setdefault("clinic.feed_touched", {})
    last = max(filter(None, (fetched.last_fetched_at, touched.get(fetched.feed_id))), default=None)
    if last is None or now - last >= LAST_FETCHED_GRANULARITY:
        if len(touched) >= CACHE_SIZE:
            touched.clear()
        touched[fetched.feed_id] = now
        write_soon(_TOUCH_FETCHED, {"feed": fetched.feed_id, "at": now})
    record_event_soon(
        Actor(user=None, remote_addr=remote_addr, label=f"{fetched.owner_type}-feed"),
        "feed.fetch",
        now,
        object_type=fetched.owner_type,
        object_id=fetched.owner_id,
        details={"feed_id": fetched.feed_id},
    )
