"""Managing chairs and Spravato rooms."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from clinic.domain.policy import Action
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Conflict, Invalid
from clinic.services.lookup import get_referenced

CHAIR_FIELDS = ("name", "kind", "active", "location_id")
# A visit still to come or in the chair now: it holds the chair until it ends.
UPCOMING = (VisitStatus.SCHEDULED, VisitStatus.CONFIRMED, VisitStatus.CHECKED_IN)


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


def upcoming_visit_counts(chair_ids: list[int], now: datetime) -> dict[int, int]:
    """Chair id -> how many visits hold it from `now` on (booked, or in the chair now); chairs without any
    are left out. Counted without loading the visits, so an admin's page reads no patient record."""
    if not chair_ids:
        return {}
    rows = db.session.execute(
        select(Appointment.chair_id, func.count(Appointment.id))
        .where(
            Appointment.chair_id.in_(chair_ids),
            Appointment.status.in_([status.value for status in UPCOMING]),
            Appointment.end_at > now,
        )
        .group_by(Appointment.chair_id)
    )
    # Every row has a chair: the query selects by chair.
    return {chair_id: count for chair_id, count in rows if chair_id is not None}


def update_chair(chair: Chair, changes: dict[str, Any], actor: Actor, now: datetime) -> Chair:
    """Rename, re-kind, move or retire a chair. A chair that visits still hold stays active and where it
    is (Conflict naming how many visits) until they are moved or cancelled."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    location_id = changes.get("location_id", chair.location_id)
    moving = location_id != chair.location_id
    location = get_referenced(Location, location_id, "location_id") if moving else chair.location
    if "name" in changes or moving:
        _check_name_free(location_id, changes.get("name", chair.name), chair.id)
    retiring = changes.get("active") is False and chair.active
    if retiring or moving:
        held = upcoming_visit_counts([chair.id], now).get(chair.id, 0)
        if held:
            visits = "1 upcoming visit" if held == 1 else f"{held} upcoming visits"
            what = "deactivated" if retiring else "moved to another location"
            raise Conflict(
                f"{chair.name} still has {visits}: move or cancel them before it is {what}",
                conflicts=[{"code": "chair_has_visits", "message": f"{visits} in this chair"}],
            )
    before = {field: getattr(chair, field) for field in CHAIR_FIELDS}
    for field in ("name", "kind", "active"):
        if field in changes:
            setattr(chair, field, changes[field])
    chair.location = location
    after = {**{field: getattr(chair, field) for field in CHAIR_FIELDS}, "location_id": location.id}
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
