"""Reading protocols, applying a clinic's parameters to them, and the clinic's own protocols (copies of a
built-in one with their phases, rules and session checks changed)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from clinic.domain.policy import Action
from clinic.domain.protocols import (
    BUILTIN_PROTOCOLS,
    ProtocolError,
    ProtocolSpec,
    apply_parameters,
    protocol_from_dict,
    protocol_to_dict,
)
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.protocol import Protocol
from clinic.models.series import Series
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid


def list_protocols(include_inactive: bool = False) -> list[Protocol]:
    """Active protocols (and with `include_inactive` the withdrawn ones too), built-ins first."""
    query = select(Protocol).order_by(Protocol.builtin.desc(), Protocol.code)
    if not include_inactive:
        query = query.where(Protocol.active.is_(True))
    return list(db.session.scalars(query))


def resolve_protocol(code: str, parameters: Mapping[str, Any] | None) -> tuple[Protocol, ProtocolSpec]:
    """The protocol row and its spec with `parameters` applied; Invalid names the bad field."""
    protocol = db.session.scalar(select(Protocol).where(Protocol.code == code, Protocol.active.is_(True)))
    if protocol is None:
        raise Invalid.field("protocol", f"Unknown protocol {code!r}")
    try:
        return protocol, apply_parameters(protocol.spec(), parameters or {})
    except ProtocolError as error:
        raise Invalid.field(f"parameters.{error.field}", error.message) from None


def visit_protocol(appointment: Appointment) -> ProtocolSpec | None:
    """The protocol that governs a dosing visit: its series' snapshot, or the protocol it was booked with."""
    if appointment.kind != "dose":
        return None
    return dose_protocol(appointment.series, appointment.protocol_code)


def dose_protocol(series: Series | None, protocol_code: str | None) -> ProtocolSpec | None:
    """The protocol that governs a dose of `series` (its snapshot) or, outside a series, the one it was
    booked with (`protocol_code`); for lists that read the few columns this needs, not whole visits."""
    if series is not None:
        return series.spec()
    if protocol_code in BUILTIN_PROTOCOLS:
        return BUILTIN_PROTOCOLS[protocol_code]
    protocol = db.session.scalar(select(Protocol).where(Protocol.code == protocol_code))
    return protocol.spec() if protocol else None


def _spec_of(definition: Mapping[str, Any]) -> ProtocolSpec:
    """The definition as the domain validates it; Invalid names the bad field's path."""
    try:
        return protocol_from_dict(definition)
    except ProtocolError as error:
        raise Invalid.field(error.field or "definition", error.message) from None


def _overlay(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` over `base`; the session rules merge key by key so a change keeps the other rules."""
    merged = {**base, **changes}
    if isinstance(base.get("session"), Mapping) and isinstance(changes.get("session"), Mapping):
        merged["session"] = {**base["session"], **changes["session"]}
    return merged


def create_protocol(
    code: str,
    name: str,
    based_on: str | None,
    changes: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Protocol:
    """Add a clinic protocol: a copy of `based_on` (a built-in or clinic protocol) with `changes`, or a whole
    definition in `changes`; the domain validates every phase, rule and session check."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    base: dict[str, Any] = {}
    if based_on:
        template = db.session.scalar(select(Protocol).where(Protocol.code == based_on))
        if template is None:
            raise Invalid.field("based_on", f"Unknown protocol {based_on!r}")
        base = protocol_to_dict(template.spec())
    spec = _spec_of(_overlay(base, {**changes, "code": code, "name": name}))
    if code in BUILTIN_PROTOCOLS or db.session.scalar(select(Protocol.id).where(Protocol.code == code)):
        raise Invalid.field("code", "This code is already used by another protocol")
    protocol = Protocol(
        code=spec.code,
        name=spec.name,
        definition=protocol_to_dict(spec),
        builtin=False,
        active=True,
        created_at=now,
    )
    db.session.add(protocol)
    db.session.flush()
    record_event(
        actor,
        "protocol.create",
        now,
        object_type="protocol",
        object_id=protocol.id,
        details={"based_on": based_on},
    )
    return protocol


def update_protocol(protocol: Protocol, changes: Mapping[str, Any], actor: Actor, now: datetime) -> Protocol:
    """Change a clinic protocol (its name, whether it can be booked, its definition). Series already booked
    keep the protocol they were booked with; built-in protocols are copied, never changed."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if protocol.builtin:
        raise Conflict("A built-in protocol cannot be changed: copy it and change the copy")
    definition = dict(changes.get("definition") or {})
    if "name" in changes:
        definition["name"] = changes["name"]
    definition["code"] = protocol.code  # the code is how series and visits name it
    spec = _spec_of(_overlay(protocol.definition, definition))
    before = protocol.definition
    protocol.definition, protocol.name = protocol_to_dict(spec), spec.name
    if "active" in changes:
        protocol.active = bool(changes["active"])
    record_event(
        actor,
        "protocol.update",
        now,
        object_type="protocol",
        object_id=protocol.id,
        details={
            "fields": sorted(k for k in protocol.definition if protocol.definition[k] != before.get(k)),
            "active": protocol.active,
        },
    )
    return protocol
