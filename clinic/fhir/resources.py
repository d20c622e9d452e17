"""Mapping the clinic's records to FHIR R4 resources (built as `fhir.resources` models).

One table per vocabulary: a visit's status to an Appointment's, an instrument's values to LOINC-coded
Observations. Nothing here reads the database beyond the relationships of the records it is given.
"""

from collections.abc import Callable
from dataclasses import dataclass

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.appointment import AppointmentParticipant
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.location import LocationHoursOfOperation
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.patient import PatientContact
from fhir.resources.R4B.practitioner import Practitioner, PractitionerQualification
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource

from clinic.domain.visits import VisitStatus
from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.provider import Provider

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONTACT_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/v2-0131"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
# The visit's stable iCalendar UID is the identifier calendars and EHRs can both match it by.
ICALENDAR_UID = "urn:ietf:rfc:5545"
MM_HG = "mm[Hg]"

# One mapping from the visit's status to FHIR's AppointmentStatus. A confirmed visit is still `booked` in
# FHIR (the patient's confirmation is not a status there); a checked-in patient has `arrived`.
APPOINTMENT_STATUS: dict[VisitStatus, str] = {
    VisitStatus.SCHEDULED: "booked",
    VisitStatus.CONFIRMED: "booked",
    VisitStatus.CHECKED_IN: "arrived",
    VisitStatus.COMPLETED: "fulfilled",
    VisitStatus.CANCELLED: "cancelled",
    VisitStatus.NO_SHOW: "noshow",
}

VISIT_KIND_NAMES = {
    "dose": "Dosing visit",
    "follow_up": "Follow-up",
    "integration": "Integration session",
    "consult": "Consultation",
}


def reference(resource_type: str, record_id: int, display: str | None = None) -> Reference:
    return Reference(reference=f"{resource_type}/{record_id}", display=display)


def patient_resource(patient: Patient) -> FhirPatient:
    """A patient's identity and contact data (no notes, no reminder settings)."""
    telecom = []
    if patient.phone:
        telecom.append(ContactPoint(system="phone", value=patient.phone, use="mobile"))
    if patient.email:
        telecom.append(ContactPoint(system="email", value=patient.email))
    contact = None
    if patient.emergency_contact_name:
        contact = [
            PatientContact(
                relationship=[
                    CodeableConcept(coding=[Coding(system=CONTACT_RELATIONSHIP, code="C")], text="Emergency")
                ],
                name=HumanName(text=patient.emergency_contact_name),
                telecom=[ContactPoint(system="phone", value=patient.emergency_contact_phone)]
                if patient.emergency_contact_phone
                else None,
            )
        ]
    return FhirPatient(
        id=str(patient.id),
        active=True,
        name=[HumanName(use="official", family=patient.last_name, given=[patient.first_name])],
        birthDate=patient.date_of_birth,
        telecom=telecom or None,
        contact=contact,
    )


def practitioner_resource(provider: Provider) -> Practitioner:
    """A prescriber, nurse or therapist; the role is in `qualification` as text."""
    return Practitioner(
        id=str(provider.id),
        active=provider.active,
        name=[HumanName(text=provider.name)],
        telecom=[ContactPoint(system="email", value=provider.email, use="work")],
        qualification=[PractitionerQualification(code=CodeableConcept(text=provider.role))],
    )


def location_resource(location: Location) -> FhirLocation:
    """A clinic site with its timezone and weekly opening hours (local wall-clock times)."""
    hours = [
        LocationHoursOfOperation(daysOfWeek=[key], openingTime=f"{start}:00", closingTime=f"{end}:00")
        for key in WEEKDAY_KEYS
        for start, end in location.opening_hours.get(key, [])
    ]
    return FhirLocation(
        id=str(location.id),
        status="active",
        name=location.name,
        alias=[location.public_name] if location.public_name not in ("", location.name) else None,
        mode="instance",
        address=Address(text=location.address) if location.address else None,
        telecom=[ContactPoint(system="phone", value=location.phone)] if location.phone else None,
        hoursOfOperation=hours or None,
        extension=[Extension(url=TIMEZONE_EXTENSION, valueCode=location.timezone)],
    )


def appointment_resource(appointment: Appointment) -> FhirAppointment:
    """A visit, its times in the location's offset, with the patient, the provider and the place."""
    return FhirAppointment(
        id=str(appointment.id),
        identifier=[Identifier(system=ICALENDAR_UID, value=appointment.uid)],
        status=APPOINTMENT_STATUS[VisitStatus(appointment.status)],
        appointmentType=CodeableConcept(text=VISIT_KIND_NAMES.get(appointment.kind, appointment.kind)),
        cancelationReason=CodeableConcept(text=appointment.cancel_reason)
        if appointment.status == VisitStatus.CANCELLED and appointment.cancel_reason
        else None,
        start=appointment.local_start,
        end=appointment.local_end,
        minutesDuration=max(1, int((appointment.end_at - appointment.start_at).total_seconds() // 60)),
        created=appointment.created_at,
        participant=[
            AppointmentParticipant(
                actor=reference("Patient", appointment.patient_id, appointment.patient.full_name),
                required="required",
                status="accepted",
            ),
            AppointmentParticipant(
                actor=reference("Practitioner", appointment.provider_id, appointment.provider.name),
                required="required",
                status="accepted",
            ),
            AppointmentParticipant(
                actor=reference("Location", appointment.location_id, appointment.location.name),
                required="required",
                status="accepted",
            ),
        ],
    )


# --- observations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationKind:
    """One LOINC-coded observation made from a measurement of an instrument."""

    code: str
    display: str
    instrument: str
    category: str  # observation-category code
    suffix: str  # appended to the measurement's id: one measurement can give several observations
    build: Callable[[Measurement], dict]


def _score(value: int | None) -> dict:
    return {"valueInteger": value} if value is not None else {"dataAbsentReason": _absent()}


def _absent() -> CodeableConcept:
    return CodeableConcept(
        coding=[Coding(system="http://terminology.hl7.org/CodeSystem/data-absent-reason", code="unknown")]
    )


def _pressure(code: str, display: str, value: object) -> ObservationComponent:
    return ObservationComponent(
        code=CodeableConcept(coding=[Coding(system=LOINC, code=code, display=display)]),
        valueQuantity=Quantity(value=value, unit=MM_HG, system=UCUM, code=MM_HG),
    )


def _blood_pressure(measurement: Measurement) -> dict:
    values = measurement.values
    return {
        "component": [
            _pressure("8480-6", "Systolic blood pressure", values.get("systolic")),
            _pressure("8462-4", "Diastolic blood pressure", values.get("diastolic")),
        ]
    }


OBSERVATION_KINDS: tuple[ObservationKind, ...] = (
    ObservationKind(
        code="44249-1",
        display="PHQ-9 quick depression assessment panel total score",
        instrument="phq9",
        category="survey",
        suffix="",
        build=lambda m: _score(m.total),
    ),
    ObservationKind(
        code="44260-8",
        display="Thoughts that you would be better off dead, or of hurting yourself in some way",
        instrument="phq9",
        category="survey",
        suffix="-item9",
        build=lambda m: _score(m.item9),
    ),
    ObservationKind(
        code="69737-5",
        display="Generalized anxiety disorder 7 item (GAD-7) total score",
        instrument="gad7",
        category="survey",
        suffix="",
        build=lambda m: _score(m.total),
    ),
    ObservationKind(
        code="85354-9",
        display="Blood pressure panel with all children optional",
        instrument="bp",
        category="vital-signs",
        suffix="",
        build=_blood_pressure,
    ),
)
OBSERVATION_CODES = {kind.code: kind for kind in OBSERVATION_KINDS}


@dataclass(frozen=True)
class Recorder:
    """Who recorded a measurement, as FHIR sees it: a practitioner, the patient, or only a name."""

    resource_type: str | None
    record_id: int | None
    display: str

    def as_reference(self) -> Reference:
        if self.resource_type is None or self.record_id is None:
            return Reference(display=self.display)
        return reference(self.resource_type, self.record_id, self.display or None)


def measurement_id_of(observation_id: str) -> int | None:
    """The measurement an observation id names (its digits before a kind's suffix), or None for no such id."""
    for kind in OBSERVATION_KINDS:
        digits = observation_id.removesuffix(kind.suffix) if kind.suffix else observation_id
        if digits.isascii() and digits.isdigit() and len(digits) < 19:
            return int(digits)
    return None


def observation_resources(
    measurement: Measurement, recorder: Recorder, codes: set[str] | None = None
) -> list[Observation]:
    """The observations a measurement gives (PHQ-9: total and item 9), limited to `codes` when given."""
    observations = []
    for kind in OBSERVATION_KINDS:
        if kind.instrument != measurement.instrument or (codes is not None and kind.code not in codes):
            continue
        observations.append(
            Observation(
                id=f"{measurement.id}{kind.suffix}",
                status="corrected" if measurement.amends_id is not None else "final",
                category=[CodeableConcept(coding=[Coding(system=OBSERVATION_CATEGORY, code=kind.category)])],
                code=CodeableConcept(coding=[Coding(system=LOINC, code=kind.code, display=kind.display)]),
                subject=reference("Patient", measurement.patient_id),
                effectiveDateTime=measurement.recorded_at,
                issued=measurement.recorded_at,
                performer=[recorder.as_reference()],
                **kind.build(measurement),
            )
        )
    return observations


# --- bundles, outcomes --------------------------------------------------------------------------------


def searchset(resources: list[Resource], base_url: str, self_url: str) -> Bundle:
    """A search answer: every match, each with the URL it can be read at."""
    return Bundle(
        type="searchset",
        total=len(resources),
        link=[BundleLink(relation="self", url=self_url)],
        entry=[
            BundleEntry(
                fullUrl=f"{base_url}/{resource.get_resource_type()}/{resource.id}",
                resource=resource,
                search=BundleEntrySearch(mode="match"),
            )
            for resource in resources
        ]
        or None,
    )


# The OperationOutcome issue type of each HTTP status the FHIR edge answers with.
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported"}


def operation_outcome(status: int, detail: str, expression: list[str] | None = None) -> OperationOutcome:
    """An error answer: one issue, its type from the status and its text the same detail /api/v1 gives."""
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=ISSUE_TYPES.get(status, "invalid" if status < 500 else "exception"),
                details=CodeableConcept(text=detail),
                diagnostics=detail,
                expression=expression,
            )
        ]
    )
