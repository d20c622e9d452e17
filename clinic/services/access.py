"""Enforcing the access policy (clinic.domain.policy) inside the use cases.

A use case calls `authorize(actor, action, patient_id)` before it reads or changes a patient's records. A
provider reaches only the patients they treat (a series or a visit the clinic booked with them); for any other
patient the answer is the same 404 as for an id that does not exist, so a guessed id does not even confirm
that the patient exists. A role the policy does not grant the action at all gets 403.
"""

from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import ColumnElement, CompoundSelect, Select, exists, or_, select, union
from sqlalchemy.orm import aliased

from clinic.domain.policy import Action, Reach, reach
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from clinic.services.actor import Actor
from clinic.services.errors import Invalid, NotFound, PermissionDenied
from clinic.services.lookup import get_or_404

if TYPE_CHECKING:
    from clinic.models.patient import Patient

ModelT = TypeVar("ModelT", bound="Patient | PatientRecord")

NO_PROVIDER = -1  # a provider account not linked to a provider row treats nobody


def _treating(provider_id: int) -> tuple[Select[int], Select[int]]:
    """The patients with a series and those with a visit with the provider: what makes them treated.

    Aliases, so that inside a query of visits the outer visit is not taken for the inner one."""
    series, visit = aliased(Series), aliased(Appointment)
    return (
        select(series.patient_id).where(series.provider_id == provider_id),
        select(visit.patient_id).where(visit.provider_id == provider_id),
    )


def treated_by(provider_id: int, patient_id_column) -> ColumnElement[bool]:
    """SQL condition: the patient in `patient_id_column` has a series or a visit with the provider
    (a probe per row: for one patient, or a few rows)."""
    return or_(
        *(exists(arm.where(arm.selected_columns[0] == patient_id_column)) for arm in _treating(provider_id))
    )


def treated_patients(provider_id: int) -> CompoundSelect:
    """The ids of the patients the provider treats, as one set: for lists over many visits, where the
    planner joins the set once instead of probing it row by row."""
    return union(*_treating(provider_id))


def treats(provider_id: int | None, patient_id: int) -> bool:
    """Whether the provider has a series or a visit with the patient (cached for the unit of work)."""
    if provider_id is None:
        return False
    cache = db.session.info.setdefault("treats", {})
    key = (provider_id, patient_id)
    if key not in cache:
        cache[key] = bool(db.session.scalar(select(treated_by(provider_id, patient_id))))
    return cache[key]


def actor_provider_id(actor: Actor) -> int:
    """The provider row a provider account acts as (NO_PROVIDER when the account is not linked)."""
    user = actor.user
    return user.provider_id if user is not None and user.provider_id is not None else NO_PROVIDER


def authorize(
    actor: Actor, action: Action, patient_id: int | None = None, *, not_found: str | None = None
) -> Reach:
    """Raise unless the policy lets the actor take the action on this patient's records.

    `not_found` is the detail of the 404 a provider gets for a patient outside their care; give the one the
    caller answers for an unknown id ("No appointment with id 7"), so the two cannot be told apart.
    """
    granted = Reach.ANY if actor.trusted else reach(actor.role, action)
    if granted is Reach.NONE:
        raise PermissionDenied("Your role does not allow this")
    if (
        granted is Reach.TREATED
        and patient_id is not None
        and not treats(actor_provider_id(actor), patient_id)
    ):
        raise NotFound(not_found or f"No patient with id {patient_id}")
    return granted


def provider_scope(actor: Actor, action: Action = Action.VISIT_READ) -> int | None:
    """The provider id the actor's lists are limited to for the action (None: no limit, e.g. front desk)."""
    if authorize(actor, action) is Reach.TREATED:
        return actor_provider_id(actor)
    return None


class PatientRecord(Protocol):
    """A stored record of one patient's care (a visit, a measurement, an alert, ...)."""

    @property
    def id(self) -> int: ...

    @property
    def patient_id(self) -> int: ...


def patient_of(record: "Patient | PatientRecord") -> int:
    """The patient a record belongs to (a Patient is its own)."""
    from clinic.models.patient import Patient

    return record.id if isinstance(record, Patient) else record.patient_id


def authorize_record(actor: Actor, action: Action, record: "Patient | PatientRecord", label: str) -> None:
    """`authorize` for a loaded record, answering its own 404 ("No alert with id 3") outside the care."""
    authorize(actor, action, patient_of(record), not_found=f"No {label} with id {record.id}")


def load_for(actor: Actor, action: Action, model: type[ModelT], object_id: int, label: str) -> ModelT:
    """The record with this id if the actor may take the action on it; else the same 404 as an unknown id."""
    record = get_or_404(model, object_id, label)
    authorize_record(actor, action, record, label)
    return record


def authorize_reference(actor: Actor, action: Action, patient_id: int, field: str = "patient_id") -> None:
    """`authorize` for a patient a request body names: outside the care, the same 422 as an unknown id."""
    try:
        authorize(actor, action, patient_id)
    except NotFound:
        raise Invalid.field(field, f"No such record: {patient_id}") from None


def require_own_provider(actor: Actor, action: Action, provider_id: int, field: str = "provider_id") -> None:
    """A provider acts only as themselves (e.g. books only with themselves), so care is never widened."""
    if authorize(actor, action) is Reach.TREATED and provider_id != actor_provider_id(actor):
        raise Invalid.field(field, "Providers book only with themselves as the provider")
