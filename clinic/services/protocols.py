"""Reading protocols and applying a clinic's parameters to them."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from clinic.domain.protocols import BUILTIN_PROTOCOLS, ProtocolError, ProtocolSpec, apply_parameters
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.protocol import Protocol
from clinic.services.errors import Invalid


def list_protocols() -> list[Protocol]:
    """Active protocols, built-ins first."""
    query = select(Protocol).where(Protocol.active.is_(True)).order_by(Protocol.builtin.desc(), Protocol.code)
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
    if appointment.series is not None:
        return appointment.series.spec()
    if appointment.protocol_code in BUILTIN_PROTOCOLS:
        return BUILTIN_PROTOCOLS[appointment.protocol_code]
    protocol = db.session.scalar(select(Protocol).where(Protocol.code == appointment.protocol_code))
    return protocol.spec() if protocol else None
