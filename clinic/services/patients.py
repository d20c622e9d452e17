"""Registering patients, finding them, and reading their record (every read is audited)."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from clinic.domain.plausible import birth_dates, rems_enrolment_dates
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.patient import Patient
from clinic.services.access import authorize, authorize_record, load_for, provider_scope, treated_by
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid

PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "reminder_channels",
    "reminder_consent",
    "rems_enrolled_on",
)
MAX_SEARCH_RESULTS = 100


def _check_channels(patient: Patient) -> None:
    """A reminder channel is only usable when its contact detail exists."""
    if "email" in patient.reminder_channels and not patient.email:
        raise Invalid.field("reminder_channels", "E-mail reminders need an e-mail address")
    if "sms" in patient.reminder_channels and not patient.phone:
        raise Invalid.field("reminder_channels", "SMS reminders need a mobile phone number")


def _apply(patient: Patient, data: dict[str, Any], now: datetime) -> None:
    consent_before = patient.reminder_consent
    for field in PATIENT_FIELDS:
        if field in data:
            setattr(patient, field, data[field])
    if patient.reminder_consent and not consent_before:
        patient.reminder_consent_at = now
    elif not patient.reminder_consent:
        patient.reminder_consent_at = None
    patient.updated_at = now
    if patient.date_of_birth not in birth_dates(now):
        raise Invalid.field("date_of_birth", "The date of birth is before 1900 or in the future")
    if patient.rems_enrolled_on is not None and patient.rems_enrolled_on not in rems_enrolment_dates(now):
        raise Invalid.field(
            "rems_enrolled_on", "The REMS enrolment is before the REMS began or in the future"
        )
    _check_channels(patient)


def create_patient(data: dict[str, Any], actor: Actor, now: datetime) -> Patient:
    """Register a patient."""
    authorize(actor, Action.PATIENT_REGISTER)
    patient = Patient(reminder_channels=[], reminder_consent=False, created_at=now, updated_at=now)
    _apply(patient, data, now)
    db.session.add(patient)
    db.session.flush()
    record_event(actor, "patient.create", now, object_type="patient", object_id=patient.id)
    return patient


def update_patient(patient: Patient, changes: dict[str, Any], actor: Actor, now: datetime) -> Patient:
    """Change a patient's record; the audit row names the fields, not their values."""
    authorize_record(actor, Action.PATIENT_EDIT, patient, "patient")
    before = {field: getattr(patient, field) for field in PATIENT_FIELDS}
    _apply(patient, changes, now)
    after = {field: getattr(patient, field) for field in PATIENT_FIELDS}
    record_event(
        actor,
        "patient.update",
        now,
        object_type="patient",
        object_id=patient.id,
        details={"fields": changed_fields(before, after)},
    )
    return patient


def read_patient(patient_id: int, actor: Actor, now: datetime) -> Patient:
    """Load a patient's record for display (providers: only patients they treat; the edge audits the read)."""
    return load_for(actor, Action.PATIENT_READ, Patient, patient_id, "patient")


def search_patients(
    query: str | None, actor: Actor, now: datetime, limit: int = MAX_SEARCH_RESULTS
) -> list[Patient]:
    """Patients whose name, e-mail or phone contains the query, by last name; audited as one list read."""
    statement = select(Patient).order_by(Patient.last_name, Patient.first_name, Patient.id).limit(limit)
    provider_id = provider_scope(actor, Action.PATIENT_READ)
    if provider_id is not None:
        statement = statement.where(treated_by(provider_id, Patient.id))
    text = (query or "").strip().lower()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        full_name = func.lower(Patient.first_name + " " + Patient.last_name)
        statement = statement.where(
            or_(
                full_name.like(like),
                func.lower(Patient.last_name).like(like),
                func.lower(Patient.email).like(like),
                Patient.phone.like(like),
            )
        )
    patients = list(db.session.scalars(statement))
    record_event(
        actor,
        "patient.search",
        now,
        object_type="patient",
        details={"results": [p.id for p in patients]},
    )
    return patients
