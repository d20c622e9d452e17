"""Managing providers, their weekly availability and time off."""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from clinic.domain.localtime import zone
from clinic.domain.policy import Action
from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.extensions import db
from clinic.formatting import Place, Where, format_datetime_range
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid, NotFound
from clinic.services.locations import home_place
from clinic.services.lookup import get_referenced

PROVIDER_FIELDS = ("name", "role", "email", "max_concurrent", "active", "feed_full_names")


@dataclass(frozen=True)
class BookedVisit:
    """A visit still booked with a provider, without its patient: admins see no patient records."""

    start: datetime
    end: datetime
    kind: str
    location_name: str
    timezone: str
    locale: str

    def describe(self) -> str:
        """'Mon, Mar 8, 9:00 - 11:00 AM dose at Riverside': local time, as the location's locale writes it."""
        when = format_datetime_range(self.start, self.end, Place(zone(self.timezone), self.locale))
        return f"{when} {self.kind.replace('_', ' ')} at {self.location_name}"


@dataclass(frozen=True)
class TimeOffAdded:
    """New time off and the visits already booked inside it, which stay booked."""

    entry: ProviderTimeOff
    booked: list[BookedVisit]


def _check_email_free(email: str, provider_id: int | None = None) -> None:
    existing = db.session.scalar(select(Provider.id).where(Provider.email == email))
    if existing is not None and existing != provider_id:
        raise Invalid.field("email", "A provider with this e-mail already exists")


def _availability_rows(windows: list[dict[str, Any]]) -> list[ProviderAvailability]:
    rows = []
    for index, window in enumerate(windows):
        get_referenced(Location, window["location_id"], f"availability.{index}.location_id")
        rows.append(
            ProviderAvailability(
                weekday=window["weekday"],
                start=window["start"],
                end=window["end"],
                location_id=window["location_id"],
            )
        )
    if _first_overlap(rows) is not None:
        raise Invalid.field(
            "availability", "Availability windows on the same weekday at the same location overlap"
        )
    return rows


def _first_overlap(
    rows: Iterable[ProviderAvailability],
) -> tuple[ProviderAvailability, ProviderAvailability] | None:
    """Two windows of one weekday at one location that overlap, if any.

    Windows at different locations are compared only with their own location's: each is local wall-clock
    time of its location, and locations may be in different timezones.
    """
    ordered = sorted(rows, key=lambda r: (r.location_id, r.weekday, r.start))
    for earlier, later in itertools.pairwise(ordered):
        same_day = (earlier.location_id, earlier.weekday) == (later.location_id, later.weekday)
        if same_day and later.start < earlier.end:
            return earlier, later
    return None


def create_provider(data: dict[str, Any], actor: Actor, now: datetime) -> Provider:
    """Create a provider with their weekly availability."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    email = data["email"].strip().lower()
    _check_email_free(email)
    provider = Provider(
        name=data["name"],
        role=data["role"],
        email=email,
        max_concurrent=data.get("max_concurrent", 1),
        active=True,
        created_at=now,
    )
    provider.availability = _availability_rows(data.get("availability", []))
    db.session.add(provider)
    db.session.flush()
    record_event(actor, "provider.create", now, object_type="provider", object_id=provider.id)
    return provider


def update_provider(provider: Provider, changes: dict[str, Any], actor: Actor, now: datetime) -> Provider:
    """Change a provider's fields; a given availability list replaces the old one."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if "email" in changes:
        changes = {**changes, "email": changes["email"].strip().lower()}
        _check_email_free(changes["email"], provider.id)
    before = {field: getattr(provider, field) for field in PROVIDER_FIELDS}
    for field in PROVIDER_FIELDS:
        if field in changes:
            setattr(provider, field, changes[field])
    fields = changed_fields(before, {field: getattr(provider, field) for field in PROVIDER_FIELDS})
    if "availability" in changes:
        provider.availability = _availability_rows(changes["availability"])
        fields.append("availability")
    record_event(
        actor,
        "provider.update",
        now,
        object_type="provider",
        object_id=provider.id,
        details={"fields": fields},
    )
    return provider


def add_availability(
    provider: Provider, window: dict[str, Any], actor: Actor, now: datetime
) -> ProviderAvailability:
    """Add one weekly window (`weekday` 0-6, local `start` and `end`, `location_id`) to the provider's week.

    Refused when it ends before it starts or overlaps another window of the same weekday at that location.
    """
    authorize(actor, Action.CLINIC_CONFIGURE)
    location = get_referenced(Location, window["location_id"], "location_id")
    if window["start"] >= window["end"]:
        raise Invalid.field("end", "Must be later than the start")
    row = ProviderAvailability(
        weekday=window["weekday"], start=window["start"], end=window["end"], location_id=location.id
    )
    clash = _first_overlap([*provider.availability, row])
    if clash is not None:
        other = clash[0] if clash[1] is row else clash[1]
        raise Invalid.field(
            "start",
            f"Overlaps {WEEKDAY_KEYS[other.weekday].capitalize()} {other.start:%H:%M}-{other.end:%H:%M} "
            f"at {location.name}",
        )
    provider.availability.append(row)
    db.session.flush()
    record_event(
        actor,
        "provider.availability.add",
        now,
        object_type="provider",
        object_id=provider.id,
        details={"availability_id": row.id},
    )
    return row


def remove_availability(provider: Provider, availability_id: int, actor: Actor, now: datetime) -> None:
    """Take one weekly window out of the provider's week (visits already booked in it stay)."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    row = next((r for r in provider.availability if r.id == availability_id), None)
    if row is None:
        raise NotFound(f"No availability with id {availability_id}")
    provider.availability.remove(row)
    db.session.flush()
    record_event(
        actor,
        "provider.availability.remove",
        now,
        object_type="provider",
        object_id=provider.id,
        details={"availability_id": availability_id},
    )


def add_time_off(
    provider: Provider, start: datetime, end: datetime, reason: str, actor: Actor, now: datetime
) -> TimeOffAdded:
    """Block a provider's time (leave, training) from `start` to `end` (aware instants).

    Nothing can be booked with the provider inside it from now on; visits already booked there stay, and are
    returned so the caller can say how many need moving.
    """
    authorize(actor, Action.CLINIC_CONFIGURE)
    if end <= start:
        raise Invalid.field("end", "Must be later than the start")
    entry = ProviderTimeOff(provider=provider, start=start, end=end, reason=reason.strip())
    db.session.add(entry)
    db.session.flush()
    booked = booked_visits(provider.id, start, end)
    record_event(
        actor,
        "provider.time_off.add",
        now,
        object_type="provider",
        object_id=provider.id,
        details={"time_off_id": entry.id, "booked_visits": len(booked)},
    )
    return TimeOffAdded(entry, booked)


def remove_time_off(provider: Provider, time_off_id: int, actor: Actor, now: datetime) -> None:
    """Delete one stretch of the provider's time off; the time becomes bookable again."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    entry = next((t for t in provider.time_off if t.id == time_off_id), None)
    if entry is None:
        raise NotFound(f"No time off with id {time_off_id}")
    provider.time_off.remove(entry)
    db.session.flush()
    record_event(
        actor,
        "provider.time_off.remove",
        now,
        object_type="provider",
        object_id=provider.id,
        details={"time_off_id": time_off_id},
    )


def booked_visits(provider_id: int, start: datetime, end: datetime) -> list[BookedVisit]:
    """The visits that still hold the provider's time between `start` and `end`, earliest first.

    Reads columns only, never a visit row, so no patient record is loaded (and none is shown to an admin).
    """
    rows = db.session.execute(
        select(
            Appointment.start_at,
            Appointment.end_at,
            Appointment.kind,
            Location.name,
            Location.timezone,
            Location.locale,
        )
        .join(Location, Location.id == Appointment.location_id)
        .where(
            Appointment.provider_id == provider_id,
            Appointment.holds_slot,
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
        .order_by(Appointment.start_at)
    )
    return [BookedVisit(*row) for row in rows]


def booked_counts(provider: Provider) -> dict[int, int]:
    """For each of the provider's time off entries, how many visits are still booked inside it."""
    rows = db.session.execute(
        select(ProviderTimeOff.id, func.count(Appointment.id))
        .join(
            Appointment,
            and_(
                Appointment.provider_id == ProviderTimeOff.provider_id,
                Appointment.holds_slot,
                Appointment.start_at < ProviderTimeOff.end,
                Appointment.end_at > ProviderTimeOff.start,
            ),
        )
        .where(ProviderTimeOff.provider_id == provider.id)
        .group_by(ProviderTimeOff.id)
    )
    return {time_off_id: count for time_off_id, count in rows}


def provider_place(provider: Provider | None) -> Where:
    """Where a provider's time off is entered and shown: the location of their first weekly window, else the
    clinic's first location."""
    if provider is not None and provider.availability:
        return provider.availability[0].location
    return home_place()


def provider_zone(provider: Provider | None) -> ZoneInfo:
    """The timezone a provider's time off is entered and shown in (see `provider_place`)."""
    return provider_place(provider).zone


def list_providers() -> list[Provider]:
    """Every provider, by name, with their weekly availability loaded."""
    query = (
        select(Provider)
        .options(selectinload(Provider.availability).selectinload(ProviderAvailability.location))
        .order_by(Provider.name)
    )
    return list(db.session.scalars(query))
