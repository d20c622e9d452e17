"""Writing the audit trail."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, String, Table, bindparam, event, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, SessionTransaction

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.services.actor import Actor
from clinic.write_behind import write_soon

# Keys that must never reach the audit trail, even if a caller passes them by mistake.
_SECRET_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret", "csrf_token"})
# Security events waiting, in `Session.info`, for the session's transaction to end.
_PENDING_SECURITY_EVENTS = "clinic.pending_security_events"


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
    event = AuditEvent(**_row(actor, action, now, object_type, object_id, details))
    db.session.add(event)
    return event


_INSERT_EVENT = insert(AuditEvent)


def record_event_soon(
    actor: Actor,
    action: str,
    now: datetime,
    *,
    object_type: str = "",
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row like `record_event`, written within moments in a batch rather than in the
    current transaction (clinic.write_behind): for a row the request neither reads back nor must commit
    with its changes, such as a feed fetch, which then waits for no commit of its own."""
    write_soon(_INSERT_EVENT, _row(actor, action, now, object_type, object_id, details))


def record_reads(actor: Actor, patient_ids: list[int], now: datetime, *, via: str) -> None:
    """Append one `patient.read` row per patient whose records were read, in one statement."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One row of values and the array of patients, unnested by the server: a page that read 200
        # patients otherwise sends and binds 200 rows, a quarter of the whole request (the floor board).
        row = _row(actor, "patient.read", now, "patient", None, {"via": via})
        db.session.execute(_INSERT_READS, {**row, "object_ids": [str(pid) for pid in patient_ids]})
        return
    rows = [_row(actor, "patient.read", now, "patient", pid, {"via": via}) for pid in patient_ids]
    db.session.execute(insert(AuditEvent), rows)


def _insert_reads() -> Insert:
    """INSERT ... SELECT of one audit row per element of the array `object_ids`, every other column bound
    once (PostgreSQL: the rows are numbered in the array's order, as a row per patient would be)."""
    table = cast(Table, AuditEvent.__table__)  # the table, not the entity: an ORM insert binds row by row
    names = [column.name for column in table.columns if column.name not in ("id", "object_id")]
    values = [bindparam(name, type_=table.c[name].type) for name in names]
    return insert(table).from_select(
        [*names, "object_id"], select(*values, func.unnest(bindparam("object_ids", type_=ARRAY(String))))
    )


_INSERT_READS = _insert_reads()


def record_security_event(
    actor: Actor,
    action: str,
    now: datetime,
    *,
    object_type: str = "",
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in a transaction of its own, kept whether the caller's transaction commits or not.

    For what a refused request must still leave behind: a failed or throttled sign-in. While the caller's
    session holds a transaction, the row is written as soon as that transaction ends, committed or rolled
    back: SQLite lets one transaction write at a time, and the caller's own (BEGIN IMMEDIATE) holds that lock.
    """
    row = _row(actor, action, now, object_type, object_id, details)
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING_SECURITY_EVENTS, []).append(row)
    else:
        _insert_apart([row])


@event.listens_for(Session, "after_transaction_end")
def _write_pending_security_events(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and (rows := session.info.pop(_PENDING_SECURITY_EVENTS, None)):
        _insert_apart(rows)


def _insert_apart(rows: list[dict[str, Any]]) -> None:
    with db.engine.begin() as connection:
        connection.execute(insert(AuditEvent), rows)


def _row(
    actor: Actor,
    action: str,
    now: datetime,
    object_type: str,
    object_id: int | str | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "occurred_at": now,
        "actor_user_id": actor.user.id if actor.user is not None else None,
        "actor_label": actor.name,
        "action": action,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "remote_addr": actor.remote_addr or "",
        "details": {k: v for k, v in (details or {}).items() if k not in _SECRET_KEYS},
    }


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ; the audit row names them without copying PHI values."""
    return sorted(key for key in after if before.get(key) != after[key])
