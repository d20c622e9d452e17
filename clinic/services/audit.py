"""Writing the audit trail."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.services.actor import Actor

# Keys that must never reach the audit trail, even if a caller passes them by mistake.
_SECRET_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret", "csrf_token"})


def record_event(
    actor: Actor,
    action: str,
    now: datetime,
    *,
    object_type: str = "",
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row (who, what, which object, when, from where) to the current transaction."""
    safe_details = {k: v for k, v in (details or {}).items() if k not in _SECRET_KEYS}
    event = AuditEvent(
        occurred_at=now,
        actor_user_id=actor.user.id if actor.user is not None else None,
        actor_label=actor.name,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        remote_addr=actor.remote_addr or "",
        details=safe_details,
    )
    db.session.add(event)
    return event


def record_reads(actor: Actor, patient_ids: list[int], now: datetime, *, via: str) -> None:
    """Append one `patient.read` row per patient whose records were read, in one statement."""
    rows = [
        {
            "occurred_at": now,
            "actor_user_id": actor.user.id if actor.user is not None else None,
            "actor_label": actor.name,
            "action": "patient.read",
            "object_type": "patient",
            "object_id": str(patient_id),
            "remote_addr": actor.remote_addr or "",
            "details": {"via": via},
        }
        for patient_id in patient_ids
    ]
    db.session.execute(insert(AuditEvent), rows)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ; the audit row names them without copying PHI values."""
    return sorted(key for key in after if before.get(key) != after[key])
