"""Managing locations and their closure days."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.location import Location, LocationClosure
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid, NotFound

LOCATION_FIELDS = ("name", "timezone", "address", "phone", "opening_hours", "allowed_transport_modes")


def _check_name_free(name: str, location_id: int | None = None) -> None:
    existing = db.session.scalar(select(Location.id).where(Location.name == name))
    if existing is not None and existing != location_id:
        raise Invalid.field("name", "A location with this name already exists")


def create_location(data: dict[str, Any], actor: Actor, now: datetime) -> Location:
    """Create a location from validated fields."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    _check_name_free(data["name"])
    location = Location(created_at=now, **{k: v for k, v in data.items() if k in LOCATION_FIELDS})
    db.session.add(location)
    db.session.flush()
    record_event(actor, "location.create", now, object_type="location", object_id=location.id)
    return location


def update_location(location: Location, changes: dict[str, Any], actor: Actor, now: datetime) -> Location:
    """Change a location's fields."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if "name" in changes:
        _check_name_free(changes["name"], location.id)
    before = {field: getattr(location, field) for field in LOCATION_FIELDS}
    for field in LOCATION_FIELDS:
        if field in changes:
            setattr(location, field, changes[field])
    after = {field: getattr(location, field) for field in LOCATION_FIELDS}
    record_event(
        actor,
        "location.update",
        now,
        object_type="location",
        object_id=location.id,
        details={"fields": changed_fields(before, after)},
    )
    return location


def list_locations() -> list[Location]:
    return list(db.session.scalars(select(Location).order_by(Location.name)))


def add_closure(location: Location, day: date, reason: str, actor: Actor, now: datetime) -> LocationClosure:
    """Close a location for a day (a holiday, a training day)."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if any(closure.date == day for closure in location.closures):
        raise Invalid.field("date", f"{day.isoformat()} is already a closure day")
    closure = LocationClosure(location=location, date=day, reason=reason)
    db.session.add(closure)
    db.session.flush()
    record_event(
        actor,
        "location.closure.add",
        now,
        object_type="location",
        object_id=location.id,
        details={"date": day.isoformat()},
    )
    return closure


def remove_closure(location: Location, closure_id: int, actor: Actor, now: datetime) -> None:
    """Reopen a closure day."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    closure = next((c for c in location.closures if c.id == closure_id), None)
    if closure is None:
        raise NotFound(f"No closure with id {closure_id} at this location")
    location.closures.remove(closure)
    record_event(
        actor,
        "location.closure.remove",
        now,
        object_type="location",
        object_id=location.id,
        details={"date": closure.date.isoformat()},
    )
