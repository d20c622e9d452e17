"""Calendar subscription feeds: secret tokens, what each feed shows, and the rendered bytes' cache.

A token is 256 random bits given out once; only its SHA-256 hash is stored, so the database cannot leak
working feed URLs. Issuing a new token revokes the old one: the old URL answers 404.
"""

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from clinic.domain.ical import FeedCalendar, FeedEvent, feed_etag, feed_window, render_feed
from clinic.domain.localtime import format_clock
from clinic.domain.policy import Action, Reach
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.transport import TransportStatus
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.feed import FeedToken
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import NotFound
from clinic.services.protocols import visit_protocol

CANCELLED_GRACE = timedelta(days=14)
PATIENT_ALARMS = (timedelta(hours=2),)
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
    body: bytes
    etag: str
    last_modified: datetime


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


def _visible(owner_type: str, owner_id: int, now: datetime):
    """Visits in the window; cancelled ones stay for the grace period (day-aligned: a stable cache key)."""
    window_start, window_end = feed_window(now)
    day = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    grace_cutoff = day - CANCELLED_GRACE
    return and_(
        _OWNER_COLUMN[owner_type] == owner_id,
        Appointment.start_at >= datetime.combine(window_start.date(), time(0), tzinfo=now.tzinfo),
        Appointment.start_at < window_end,
        or_(Appointment.status != VisitStatus.CANCELLED, Appointment.updated_at >= grace_cutoff),
    )


class _FeedCache:
    """Rendered feeds by (owner, day, visit count, sum of sequences, last change): any change to a visit in
    the feed makes a new key, so nothing needs to be invalidated by hand."""

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


def rendered_feed(token: FeedToken, now: datetime) -> RenderedFeed:
    """The feed's bytes, ETag and Last-Modified: from the cache unless a visit in it changed."""
    owner = feed_owner(token.owner_type, token.owner_id)
    condition = _visible(token.owner_type, token.owner_id, now)
    # Every change to a visit bumps its SEQUENCE, so the sum moves even when two changes share a timestamp.
    summary = select(
        func.count(Appointment.id), func.sum(Appointment.sequence), func.max(Appointment.updated_at)
    ).where(condition)
    count, versions, changed = db.session.execute(summary).one()
    flags = (
        getattr(owner, "calendar_alarms", None),
        getattr(owner, "feed_full_names", None),
        _owner_label(owner),
    )
    key = (token.owner_type, token.owner_id, now.date(), count, versions, changed, flags)
    cached = _cache().get(key)
    if cached is not None:
        return cached
    visits = list(
        db.session.scalars(
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
    )
    body = render_feed(
        FeedCalendar(_calendar_name(token.owner_type, owner), _events(token.owner_type, owner, visits))
    )
    result = RenderedFeed(body, feed_etag(body), changed or token.created_at)
    _cache().put(key, result)
    return result


def _owner_label(owner) -> str:
    return getattr(owner, "name", None) or getattr(owner, "first_name", "")


def _calendar_name(owner_type: str, owner) -> str:
    if owner_type == "patient":
        return "My clinic visits"
    if owner_type == "provider":
        return f"Clinic schedule · {owner.name}"
    return f"{owner.name} · all chairs"


def _events(owner_type: str, owner, visits: list[Appointment]) -> list[FeedEvent]:
    specs: dict[int | None, ProtocolSpec | None] = {}
    events = []
    for visit in visits:
        if visit.series_id not in specs or visit.series_id is None:
            specs[visit.series_id] = visit_protocol(visit)
        spec = specs[visit.series_id] if visit.kind == "dose" else None
        events.append(
            FeedEvent(
                uid=visit.uid,
                sequence=visit.sequence,
                start=visit.start_at,
                end=visit.end_at,
                timezone=visit.location.timezone,
                summary=_summary(owner_type, owner, visit),
                location=f"{visit.location.name}, {visit.location.address}".strip(", "),
                description=_description(owner_type, visit, spec),
                status="CANCELLED" if visit.status == VisitStatus.CANCELLED else "CONFIRMED",
                last_modified=visit.updated_at,
                alarms=PATIENT_ALARMS if owner_type == "patient" and owner.calendar_alarms else (),
            )
        )
    return events


def _patient_label(visit: Appointment, full_names: bool) -> str:
    patient = visit.patient
    return patient.full_name if full_names else f"{patient.first_name[:1]}. {patient.last_name[:1]}."


def _summary(owner_type: str, owner, visit: Appointment) -> str:
    if owner_type == "patient":
        return "Clinic visit"  # neutral: a shared or glanced-at calendar must not reveal the treatment
    kind = visit.kind.replace("_", " ").capitalize() + (f" {visit.dose_number}" if visit.dose_number else "")
    label = _patient_label(visit, owner_type == "provider" and owner.feed_full_names)
    prefix = f"{visit.chair.name}: " if owner_type == "location" and visit.chair else ""
    return f"{prefix}{kind} · {label}"


def _description(owner_type: str, visit: Appointment, spec: ProtocolSpec | None) -> str:
    tz = visit.location.timezone
    lines = []
    if owner_type == "patient":
        lines.append(f"Please arrive by {format_clock(visit.start_at - timedelta(minutes=15), tz)}.")
        if spec is not None:
            food = format_clock(visit.start_at - timedelta(minutes=spec.fasting_food_minutes), tz)
            liquid = format_clock(visit.start_at - timedelta(minutes=spec.fasting_liquid_minutes), tz)
            lines.append(f"No food after {food}; no liquids after {liquid}.")
    if visit.transport is not None:
        ride = visit.transport
        pickup = format_clock(ride.pickup_at, tz)
        if ride.status == TransportStatus.MISSING:
            lines.append(f"Ride home: not arranged yet - you cannot drive yourself. Pickup about {pickup}.")
        else:
            who = ride.contact_name or ride.mode.replace("_", " ")
            lines.append(f"Ride home: {who} ({ride.status}), pickup about {pickup}.")
    if visit.status == VisitStatus.CANCELLED:
        lines.append("This visit is cancelled.")
    if visit.location.phone:
        lines.append(f"Questions: {visit.location.phone}")
    return "\n".join(lines)


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
