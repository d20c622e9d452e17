"""Managing providers, their weekly availability and time off."""

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.location import Location
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid
from clinic.services.lookup import get_referenced

PROVIDER_FIELDS = ("name", "role", "email", "max_concurrent", "active")


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
    _check_no_overlap(rows)
    return rows


def _check_no_overlap(rows: list[ProviderAvailability]) -> None:
    by_day = sorted(rows, key=lambda r: (r.weekday, r.start))
    for earlier, later in itertools.pairwise(by_day):
        if earlier.weekday == later.weekday and later.start < earlier.end:
            raise Invalid.field("availability", "Availability windows on the same weekday overlap")


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


def add_time_off(
    provider: Provider, start: datetime, end: datetime, reason: str, actor: Actor, now: datetime
) -> ProviderTimeOff:
    """Block a provider's time (leave, training)."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if end <= start:
        raise Invalid.field("end", "End must be after start")
    entry = ProviderTimeOff(provider=provider, start=start, end=end, reason=reason)
    db.session.add(entry)
    db.session.flush()
    record_event(actor, "provider.time_off.add", now, object_type="provider", object_id=provider.id)
    return entry


def list_providers() -> list[Provider]:
    query = select(Provider).options(selectinload(Provider.availability)).order_by(Provider.name)
    return list(db.session.scalars(query))
