"""Feed versions kept up to date on write: every transaction that changes what a calendar feed shows bumps
that feed owner's `feed_versions` row before it commits, so a fetch reads one row instead of digesting the
rows behind the feed (clinic.services.feeds).

An ORM flush hook notes which owners each flush touches (`_note_changes`, so no writer can forget), and one
statement bumps them all just before the commit (`_bump_versions`): an upsert of the owners' rows in a fixed
order (owner type, then id), so two transactions bumping the same rows lock them in the same order and never
deadlock, and hold the locks only until their commit. A transaction that changes nothing a feed shows sends
no statement; one rolled back bumps nothing. Every table behind what a feed shows (`_SHOWN_COLUMNS`,
`_SETTINGS_COLUMNS` in clinic.services.feeds) is one of `WATCHED`; nothing writes them with Core statements.

What a write touches: a visit, its patient's, provider's and location's feeds (the old ones too when it
moves); a ride or a REMS form, the feeds of its visit; a patient, their own feed and those of the
providers and locations of their visits (their name and phone show there); a provider, their feed; a chair,
a location or a protocol, every feed (the global row: rare admin edits; a location's phone shows in patients'
feeds, and a dose booked outside a series shows its protocol's instructions).
"""

from dataclasses import dataclass, field
from itertools import chain
from typing import Any
from typing import cast as typed

from sqlalchemy import Integer, Select, Table, event, inspect, literal, literal_column, select, true, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.feed import GLOBAL_OWNER, FeedVersion
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.protocol import Protocol
from clinic.models.provider import Provider
from clinic.models.rems_form import RemsForm
from clinic.models.transport import Transport

_VERSIONS = typed(Table, FeedVersion.__table__)
_CHANGES = "clinic.feed_versions_changed"
# The appointment's column naming each kind of feed owner.
_VISIT_OWNER_IDS = {"location": "location_id", "patient": "patient_id", "provider": "provider_id"}
# A write to a row of one of these may change what some feed shows.
WATCHED: tuple[type, ...] = (Appointment, Transport, RemsForm, Patient, Provider, Chair, Location, Protocol)


@dataclass
class _Changes:
    """Whose feeds a transaction changed so far: owners known by id, visits whose owners are read with the
    bump (a ride or a form names only its visit), patients whose visits' staff feeds show them."""

    owners: set[tuple[str, int]] = field(default_factory=set)
    visits: set[int] = field(default_factory=set)
    patients: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.owners or self.visits or self.patients)


def _values(record: Any, key: str, deleted: bool) -> set[Any] | None:
    """The attribute's value now and, if this flush changed it, its value before (the attributes naming an
    owner keep their old value: `_keep_old_owner`); None when it cannot be known (a row deleted before its
    value was ever loaded)."""
    state = inspect(record)
    history = state.attrs[key].history
    values = set(chain(history.deleted or (), history.unchanged or (), history.added or ()))
    if key in state.unloaded:
        if deleted:
            return None
        values.add(getattr(record, key))  # expired since the last commit: read it again
    values.discard(None)
    return values


def _keep_old_owner(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return value


# Setting an attribute that was not loaded (after a commit expired it) would record no old value: load it
# first, so a visit moved to another provider also changes the feed it leaves.
for _attribute in (
    Appointment.patient_id,
    Appointment.provider_id,
    Appointment.location_id,
    Transport.appointment_id,
    RemsForm.appointment_id,
):
    event.listen(_attribute, "set", _keep_old_owner, active_history=True, retval=True)


def _note(changes: _Changes, session: Session) -> None:
    """Add the feed owners this flush's new, changed and deleted rows touch to `changes`."""
    for record in chain(session.new, session.dirty, session.deleted):
        if not isinstance(record, WATCHED):
            continue
        if record in session.dirty and not session.is_modified(record, include_collections=False):
            continue
        deleted = record in session.deleted
        if isinstance(record, Appointment):
            for owner_type, key in _VISIT_OWNER_IDS.items():
                ids = _values(record, key, deleted)
                if ids is None:
                    changes.owners.add(GLOBAL_OWNER)
                else:
                    changes.owners.update((owner_type, owner_id) for owner_id in ids)
        elif isinstance(record, Transport | RemsForm):
            visits = _values(record, "appointment_id", deleted)
            if visits is None:
                changes.owners.add(GLOBAL_OWNER)
            else:
                changes.visits.update(visits)
        elif record in session.new:
            continue  # a new patient, provider, chair or location is on no feed yet
        elif isinstance(record, Patient):
            changes.owners.add(("patient", record.id))
            changes.patients.add(record.id)
        elif isinstance(record, Provider):
            changes.owners.add(("provider", record.id))
        else:  # a chair, a location, or a protocol (a dose booked outside a series reads its own)
            changes.owners.add(GLOBAL_OWNER)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: object) -> None:
    changes = session.info.get(_CHANGES)
    if changes is None:
        changes = session.info[_CHANGES] = _Changes()
    _note(changes, session)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGES, None)


def _owner(owner_type: str) -> Any:
    return literal_column(f"'{owner_type}'").label("owner_type")


def bump_statement(changes: _Changes, dialect_name: str) -> Any:
    """One INSERT ... SELECT ... ON CONFLICT that adds one to the version of every owner in `changes`,
    reading the owners of visits and patients from the appointments, rows sorted so locks are taken in
    one order."""
    parts: list[Select[Any]] = []
    for owner_type, owner_id in sorted(changes.owners):
        parts.append(select(_owner(owner_type), literal(owner_id, Integer).label("owner_id")))
    for owner_type, key in _VISIT_OWNER_IDS.items():
        column = getattr(Appointment, key)
        if changes.visits:
            parts.append(
                select(_owner(owner_type), column.label("owner_id")).where(Appointment.id.in_(changes.visits))
            )
        if changes.patients and owner_type != "patient":
            parts.append(
                select(_owner(owner_type), column.label("owner_id")).where(
                    Appointment.patient_id.in_(changes.patients)
                )
            )
    # DISTINCT: an upsert may touch each row only once.
    changed = (parts[0] if len(parts) == 1 else union(*parts)).subquery("changed")
    # `WHERE true`: SQLite would read ON CONFLICT as a join's ON without a WHERE before it.
    rows = (
        select(changed.c.owner_type, changed.c.owner_id, literal_column("1"))
        .distinct()
        .where(true())
        .order_by(changed.c.owner_type, changed.c.owner_id)
    )
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(_VERSIONS).from_select(["owner_type", "owner_id", "version"], rows)
    return statement.on_conflict_do_update(
        index_elements=[_VERSIONS.c.owner_type, _VERSIONS.c.owner_id],
        set_={"version": _VERSIONS.c.version + 1},
    )


@event.listens_for(Session, "before_commit")
def _bump_versions(session: Session) -> None:
    # The commit flushes only after this hook: flush now so that every change is noted.
    if session.new or session.dirty or session.deleted:
        session.flush()
    changes = session.info.pop(_CHANGES, None)
    if changes:
        connection = session.connection()
        connection.execute(bump_statement(changes, connection.dialect.name))
