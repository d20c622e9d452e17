"""Object-level access: which patients a staff member may see.

Front desk works with every patient of the clinic (booking, rides, reminders); a provider sees the patients
they treat (a series or a visit with them); an admin manages the clinic, not patients. An id a user may not
see answers 404, so a guessed id does not even confirm that the patient exists.
"""

from sqlalchemy import exists, or_, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from clinic.services.actor import Actor
from clinic.services.errors import NotFound, PermissionDenied


def treats(provider_id: int | None, patient_id: int) -> bool:
    """Whether the provider has a series or a visit with the patient."""
    if provider_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                or_(
                    exists().where(Series.patient_id == patient_id, Series.provider_id == provider_id),
                    exists().where(
                        Appointment.patient_id == patient_id, Appointment.provider_id == provider_id
                    ),
                )
            )
        )
    )


def require_patient_access(
    actor: Actor, patient_id: int, label: str = "patient", object_id: int | None = None
) -> None:
    """Raise unless the actor may see this patient's records (NotFound for providers outside their care)."""
    role = actor.role
    if role == "frontdesk":
        return
    if role == "provider" and treats(actor.user.provider_id, patient_id):
        return
    if role == "provider":
        raise NotFound(f"No {label} with id {object_id if object_id is not None else patient_id}")
    raise PermissionDenied("Your role does not give access to patient records")


def provider_scope(actor: Actor) -> int | None:
    """The provider id a provider's lists are limited to (None: no limit, e.g. front desk)."""
    if actor.role == "provider":
        return actor.user.provider_id if actor.user.provider_id is not None else -1
    return None
