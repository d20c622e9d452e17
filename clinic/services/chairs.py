"""Managing chairs and Spravato rooms."""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid
from clinic.services.lookup import get_referenced


def _check_name_free(location_id: int, name: str, chair_id: int | None = None) -> None:
    existing = db.session.scalar(select(Chair.id).where(Chair.location_id == location_id, Chair.name == name))
    if existing is not None and existing != chair_id:
        raise Invalid.field("name", "This location already has a chair with this name")


def create_chair(data: dict[str, Any], actor: Actor, now: datetime) -> Chair:
    """Add a chair or room to a location."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    location = get_referenced(Location, data["location_id"], "location_id")
    _check_name_free(location.id, data["name"])
    chair = Chair(location=location, name=data["name"], kind=data.get("kind", "infusion_chair"), active=True)
    db.session.add(chair)
    db.session.flush()
    record_event(actor, "chair.create", now, object_type="chair", object_id=chair.id)
    return chair


def update_chair(chair: Chair, changes: dict[str, Any], actor: Actor, now: datetime) -> Chair:
    """Rename, re-kind or retire a chair."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if "name" in changes:
        _check_name_free(chair.location_id, changes["name"], chair.id)
    before = {"name": chair.name, "kind": chair.kind, "active": chair.active}
    for field in before:
        if field in changes:
            setattr(chair, field, changes[field])
    after = {"name": chair.name, "kind": chair.kind, "active": chair.active}
    record_event(
        actor,
        "chair.update",
        now,
        object_type="chair",
        object_id=chair.id,
        details={"fields": changed_fields(before, after)},
    )
    return chair


def list_chairs(location_id: int | None = None) -> list[Chair]:
    query = select(Chair).order_by(Chair.location_id, Chair.name)
    if location_id is not None:
        query = query.where(Chair.location_id == location_id)
    return list(db.session.scalars(query))
