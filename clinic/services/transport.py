"""Rides home: created with each dosing visit, checked at check-in and discharge, chased when at risk."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from clinic.domain.policy import Action
from clinic.domain.reminders import plan_ride_missing_notice
from clinic.domain.transport import (
    SAFE,
    CallOutcome,
    RideDetails,
    TransportStatus,
    in_digest,
    is_at_risk,
    moved_pickup,
    ride_errors,
    ride_link_spent,
)
from clinic.domain.visits import OPEN, VisitStatus, in_order
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from clinic.models.transport import Transport
from clinic.services.access import authorize_record, provider_scope
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid
from clinic.services.protocols import visit_protocol
from clinic.services.reminders import add_planned, recipient_prefs, visit_facts

AT_RISK_WINDOW = timedelta(hours=48)
CALL_OUTCOMES = tuple(CallOutcome)


def needs_ride(appointment: Appointment) -> bool:
    spec = visit_protocol(appointment)
    return bool(spec and spec.needs_ride)


def ensure_transports(
    appointments: Iterable[Appointment], default_ride: dict[str, Any] | None, now: datetime
) -> list[Transport]:
    """Give every new dosing visit that needs a ride its transport record: the default ride if there is one
    (arranged; the caller passes the series' default ride, else the patient's), else missing. The pickup
    defaults to the expected discharge time.

    One query finds the visits that already have a ride and one insert writes the new ones.
    """
    appointments = list(appointments)
    ids = [a.id for a in appointments]
    existing = set(
        db.session.scalars(select(Transport.appointment_id).where(Transport.appointment_id.in_(ids)))
    )
    ride = default_ride or {}
    created = []
    for appointment in appointments:
        if appointment.id in existing:
            continue
        # Known to have no ride yet: say so, so neither reading `transport` later nor giving the visit its
        # new ride below (which would first load the old one to replace it) asks the database anything.
        set_committed_value(appointment, "transport", None)
        if appointment.kind != "dose" or not needs_ride(appointment):
            continue
        created.append(
            Transport(
                appointment=appointment,
                status=TransportStatus.ARRANGED if ride else TransportStatus.MISSING,
                mode=ride.get("mode"),
                contact_name=ride.get("contact_name"),
                contact_phone=ride.get("contact_phone"),
                pickup_at=appointment.end_at,
                updated_by_label="default ride" if ride else "",
                created_at=now,
                updated_at=now,
            )
        )
    db.session.add_all(created)
    return created


def check_default_ride(ride: dict[str, Any] | None, allowed_modes: list[str]) -> None:
    """A series' default ride must be complete enough to count as arranged."""
    if not ride:
        return
    details = RideDetails(
        TransportStatus.ARRANGED, ride.get("mode"), ride.get("contact_name"), ride.get("contact_phone")
    )
    errors = ride_errors(details, tuple(allowed_modes))
    if errors:
        raise Invalid(
            "The default ride is incomplete", errors={f"default_ride.{k}": v for k, v in errors.items()}
        )


def set_series_ride(
    series: Series, ride: dict[str, Any] | None, actor: Actor, now: datetime
) -> list[Transport]:
    """Give a series its default ride (None clears it) and apply it to every future dose of the series whose
    ride is still missing; a dose with a ride of its own keeps it. Returns the rides it filled in."""
    authorize_record(actor, Action.RIDE_MANAGE, series, "series")
    check_default_ride(ride, series.location.allowed_transport_modes)
    series.default_ride = dict(ride) if ride else None
    filled: list[Transport] = []
    if ride:
        missing = db.session.scalars(
            select(Transport)
            .join(Transport.appointment)
            .where(
                Appointment.series_id == series.id,
                Appointment.start_at > now,
                Appointment.status.in_(in_order(OPEN, VisitStatus)),
                Transport.status == TransportStatus.MISSING,
            )
            .order_by(Appointment.start_at)
        )
        for transport in missing:
            transport.mode = ride["mode"]
            transport.contact_name = ride.get("contact_name")
            transport.contact_phone = ride.get("contact_phone")
            transport.status = TransportStatus.ARRANGED
            transport.updated_by_label = "series default"
            transport.updated_at = now
            filled.append(transport)
    record_event(
        actor,
        "series.ride",
        now,
        object_type="series",
        object_id=series.id,
        details={"cleared": not ride, "visits": [t.appointment_id for t in filled]},
    )
    return filled


def follow_moved_visits(moved: dict[Appointment, datetime]) -> None:
    """After a move, each pickup moves with its visit (`moved` maps a visit to its old end)."""
    for appointment, old_end in moved.items():
        if appointment.transport is not None:
            appointment.transport.pickup_at = moved_pickup(
                appointment.transport.pickup_at, old_end, appointment.end_at
            )


def update_transport(
    appointment: Appointment, data: dict[str, Any], actor: Actor, now: datetime
) -> Transport:
    """Record the ride home: mode, contact, pickup time and status; the location decides which modes count."""
    authorize_record(actor, Action.RIDE_MANAGE, appointment, "appointment")
    if not needs_ride(appointment) or appointment.transport is None:
        raise Conflict("This visit does not need a ride home")
    transport = appointment.transport
    details = RideDetails(
        data["status"], data.get("mode"), data.get("contact_name"), data.get("contact_phone")
    )
    errors = ride_errors(details, tuple(appointment.location.allowed_transport_modes))
    if errors:
        raise Invalid("The ride details are incomplete or not accepted here", errors=errors)
    before = transport.status
    # ride_errors accepted the status, so it is one of TransportStatus.
    transport.status, transport.mode = TransportStatus(details.status), details.mode
    transport.contact_name, transport.contact_phone = details.contact_name, details.contact_phone
    transport.pickup_at = data.get("pickup_at") or transport.pickup_at
    transport.updated_by_label, transport.updated_at = actor.name, now
    record_event(
        actor,
        "transport.update",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"from": before, "to": transport.status, "mode": transport.mode},
    )
    return transport


def at_risk_rides(now: datetime, window: timedelta, location_id: int | None = None) -> list[Appointment]:
    """Open dosing visits starting within `window` whose ride is not confirmed, soonest first."""
    query = (
        select(Appointment)
        .join(Transport, Transport.appointment_id == Appointment.id)
        .options(
            contains_eager(Appointment.transport),
            selectinload(Appointment.patient),
            selectinload(Appointment.location),
        )
        .where(
            Appointment.kind == "dose",
            Appointment.is_open,
            Appointment.start_at > now,
            Appointment.start_at <= now + window,
            Transport.status.not_in(in_order(SAFE, TransportStatus)),
        )
        .order_by(Appointment.start_at, Appointment.id)
    )
    if location_id is not None:
        query = query.where(Appointment.location_id == location_id)
    visits = list(db.session.scalars(query))
    return [a for a in visits if is_at_risk(a.start_at, _ride(a).status, now, window)]


def _ride(appointment: Appointment) -> Transport:
    """The ride of a visit known to have one: at_risk_rides joins it; ride links open only for such visits."""
    assert appointment.transport is not None
    return appointment.transport


def rides_at_risk_for(
    actor: Actor, now: datetime, window: timedelta, location_id: int | None = None
) -> list[Appointment]:
    """The at-risk list as the actor may see it: a provider's own visits, or all for the front desk."""
    own = provider_scope(actor, Action.RIDE_READ)
    visits = at_risk_rides(now, window, location_id)
    return visits if own is None else [v for v in visits if v.provider_id == own]


def missing_rides_for_digest(provider_id: int, now: datetime) -> list[Appointment]:
    """The provider's visits still without a confirmed ride 24 hours before."""
    return [
        a
        for a in at_risk_rides(now, timedelta(hours=24))
        if a.provider_id == provider_id and in_digest(a.start_at, _ride(a).status, now)
    ]


def record_call_outcome(appointment: Appointment, outcome: str, actor: Actor, now: datetime) -> Transport:
    """One click on the call list: what the call about the ride achieved."""
    authorize_record(actor, Action.RIDE_MANAGE, appointment, "appointment")
    transport = appointment.transport
    if transport is None:
        raise Conflict("This visit does not need a ride home")
    if outcome not in CALL_OUTCOMES:
        raise Invalid.field("outcome", f"Must be one of {', '.join(CALL_OUTCOMES)}")
    if outcome == CallOutcome.CONFIRMED:
        details = RideDetails(
            TransportStatus.CONFIRMED, transport.mode, transport.contact_name, transport.contact_phone
        )
        errors = ride_errors(details, tuple(appointment.location.allowed_transport_modes))
        if errors:
            raise Invalid("Enter the ride details on the visit before confirming it", errors=errors)
        transport.status = TransportStatus.CONFIRMED
    transport.last_call_outcome, transport.last_call_at = outcome, now
    transport.updated_by_label, transport.updated_at = actor.name, now
    record_event(
        actor,
        "transport.call",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"outcome": outcome},
    )
    return transport


def confirm_ride_by_patient(
    appointment: Appointment,
    data: dict[str, Any],
    remote_addr: str,
    now: datetime,
    *,
    link_issued_at: datetime,
) -> Transport:
    """The patient names their driver (or taxi) through the ride link: the ride becomes confirmed.

    A link confirms once (see `ride_link_spent`): a second submission is a Conflict and changes nothing.
    """
    transport = _ride(appointment)
    # Two submissions of one link at once: the second waits for the first and then sees it.
    db.session.refresh(transport, with_for_update=True)
    if ride_link_spent(link_issued_at, transport.confirmed_via_link_at, transport.status):
        raise Conflict("This ride was already confirmed through the link")
    details = RideDetails(
        TransportStatus.CONFIRMED, data.get("mode"), data.get("contact_name"), data.get("contact_phone")
    )
    errors = ride_errors(details, tuple(appointment.location.allowed_transport_modes))
    if errors:
        raise Invalid("Please complete the ride details", errors=errors)
    transport.status, transport.mode = TransportStatus.CONFIRMED, details.mode
    transport.contact_name, transport.contact_phone = details.contact_name, details.contact_phone
    transport.updated_by_label, transport.updated_at = "patient (ride link)", now
    transport.confirmed_via_link_at = now
    record_event(
        Actor(user=None, remote_addr=remote_addr, label="patient-ride-link"),
        "transport.patient_confirm",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"mode": details.mode},
    )
    return transport


def sweep_rides(now: datetime, window: timedelta = AT_RISK_WINDOW) -> int:
    """Flag visits whose ride is at risk and ask each patient once, through the outbox, with a ride link."""
    asked = 0
    for appointment in at_risk_rides(now, window):
        transport = _ride(appointment)
        if transport.flagged_at is not None:
            continue
        transport.flagged_at = now
        facts = visit_facts(appointment, now)
        notices = plan_ride_missing_notice(facts, recipient_prefs(appointment.patient, facts.timezone), now)
        asked += len(add_planned([(appointment, notice) for notice in notices], now))
    return asked
