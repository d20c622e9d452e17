"""The API's request context: the bearer token's user and the actor that services take."""

from flask import g, request

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.appointment import Appointment
from clinic.services.access import load_for
from clinic.services.actor import Actor
from clinic.services.auth import resolve_session


def remote_addr() -> str:
    return request.remote_addr or ""


def load_bearer_user() -> None:
    """Resolve ``Authorization: Bearer <token>`` to a user for this request (or none)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    g.api_user = None
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = resolve_session(token.strip(), "api", utcnow())


def api_actor() -> Actor:
    return Actor(user=g.get("api_user"), remote_addr=remote_addr())


def appointment_for(appointment_id: int, action: Action = Action.VISIT_READ) -> Appointment:
    """The visit with this id if the caller may take the action on it; else the 404 of an unknown id."""
    return load_for(api_actor(), action, Appointment, appointment_id, "appointment")
