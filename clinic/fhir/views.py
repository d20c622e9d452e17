"""The /fhir endpoints: thin views over the same use cases, access policy and audit as /api/v1."""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.resource import Resource
from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from clinic.api.context import api_actor, load_bearer_user
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import csrf, db
from clinic.fhir import resources as fhir
from clinic.fhir.search import check_known, date_bound, reference_id, refuse, single, tokens, utc_window
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.user import User
from clinic.services.access import authorize, load_for
from clinic.services.appointments import list_appointments
from clinic.services.errors import NotAuthenticated, NotFound, ServiceError
from clinic.services.lookup import get_or_404
from clinic.services.monitoring import patient_measurements
from clinic.services.patients import read_patient

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
# Bearer tokens are not sent by browsers on their own, so cross-site request forgery does not apply.
csrf.exempt(bp)

APPOINTMENT_SEARCH = {"patient": "reference", "date": "date"}
OBSERVATION_SEARCH = {"patient": "reference", "code": "token"}


@bp.before_request
def _authenticate() -> None:
    load_bearer_user()


def _answer(resource: Resource, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(resource.model_dump_json(), status=status, mimetype=FHIR_JSON, headers=headers)


def _signed_in(view: Callable) -> Callable:
    """401 without a valid bearer token; what the role may read is the use case's to decide (403/404)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("api_user") is None:
            raise NotAuthenticated("Sign in with a bearer token: Authorization: Bearer <token>")
        result = view(*args, **kwargs)
        db.session.flush()
        return _answer(result)

    return wrapper


def _base_url() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


# --- reads --------------------------------------------------------------------------------------------


@bp.get("/Patient/<int:patient_id>")
@_signed_in
def patient_read(patient_id: int):
    """A patient (front desk; providers: patients they treat)."""
    return fhir.patient_resource(read_patient(patient_id, api_actor(), utcnow()))


@bp.get("/Practitioner/<int:provider_id>")
@_signed_in
def practitioner_read(provider_id: int):
    """A provider (every staff role, as GET /api/v1/providers/<id>)."""
    authorize(api_actor(), Action.CLINIC_READ)
    return fhir.practitioner_resource(get_or_404(Provider, provider_id, "provider"))


@bp.get("/Location/<int:location_id>")
@_signed_in
def location_read(location_id: int):
    """A location (every staff role, as GET /api/v1/locations/<id>)."""
    authorize(api_actor(), Action.CLINIC_READ)
    return fhir.location_resource(get_or_404(Location, location_id, "location"))


@bp.get("/Appointment/<int:appointment_id>")
@_signed_in
def appointment_read(appointment_id: int):
    """A visit (front desk; providers: visits of patients they treat), as GET /api/v1/appointments/<id>."""
    appointment = load_for(api_actor(), Action.VISIT_READ, Appointment, appointment_id, "appointment")
    return fhir.appointment_resource(appointment)


@bp.get("/Appointment")
@_signed_in
def appointment_search():
    """Visits by patient and start date, soonest first, as GET /api/v1/appointments lists them."""
    args = request.args
    check_known(args, set(APPOINTMENT_SEARCH))
    filters: dict[str, Any] = {}
    patient = single(args, "patient")
    if patient is not None:
        filters["patient_id"] = reference_id("patient", patient, "Patient")
    bounds = [date_bound("date", value) for value in args.getlist("date")]
    filters["start"], filters["end"] = utc_window(bounds)
    visits = [
        visit
        for visit in list_appointments(filters, api_actor())
        if all(bound.matches(visit.start_at, visit.location.zone) for bound in bounds)
    ]
    return fhir.searchset([fhir.appointment_resource(v) for v in visits], _base_url(), request.url)


@bp.get("/Observation")
@_signed_in
def observation_search():
    """A patient's scores and blood pressures (providers of the patient), as their monitoring page shows."""
    args = request.args
    check_known(args, set(OBSERVATION_SEARCH))
    patient = single(args, "patient")
    if patient is None:
        raise refuse("patient", "give the patient whose observations to find")
    codes = None
    if args.getlist("code"):
        known = set(fhir.OBSERVATION_CODES)
        codes = set().union(*(tokens("code", value, fhir.LOINC, known) for value in args.getlist("code")))
    record = load_for(
        api_actor(), Action.MONITORING_READ, Patient, reference_id("patient", patient, "Patient"), "patient"
    )
    current = [m for m in patient_measurements(record) if m.superseded_at is None]
    recorders = _recorders(current)
    observations = [
        observation
        for measurement in current
        for observation in fhir.observation_resources(measurement, recorders[measurement.id], codes)
    ]
    return fhir.searchset(observations, _base_url(), request.url)


@bp.get("/Observation/<observation_id>")
@_signed_in
def observation_read(observation_id: str):
    """One observation by the id a search gave ("12", or "12-item9" for a PHQ-9's item 9), for the providers
    of the patient; any other id, or a patient outside the reader's care, is the same 404."""
    not_found = NotFound(f"No observation with id {observation_id}")
    measurement_id = fhir.measurement_id_of(observation_id)
    measurement = db.session.get(Measurement, measurement_id) if measurement_id is not None else None
    if measurement is None:
        raise not_found
    authorize(api_actor(), Action.MONITORING_READ, measurement.patient_id, not_found=not_found.detail)
    recorder = _recorders([measurement])[measurement.id]
    for observation in fhir.observation_resources(measurement, recorder):
        if observation.id == observation_id:
            return observation
    raise not_found


# The patient's own channels (a questionnaire or ride link, a text message) record under labels beginning
# with this; staff record as their user.
PATIENT_LABEL_PREFIX = "patient"


def _recorders(measurements: list[Measurement]) -> dict[int, fhir.Recorder]:
    """Who recorded each measurement: the provider of the staff account, the patient, or a name."""
    found = {}
    for measurement in measurements:
        user = db.session.get(User, measurement.recorded_by_id) if measurement.recorded_by_id else None
        if user is not None and user.provider_id is not None:
            label = measurement.recorded_by_label
            found[measurement.id] = fhir.Recorder("Practitioner", user.provider_id, label)
        elif user is None and measurement.recorded_by_label.startswith(PATIENT_LABEL_PREFIX):
            found[measurement.id] = fhir.Recorder("Patient", measurement.patient_id, "the patient")
        else:
            found[measurement.id] = fhir.Recorder(None, None, measurement.recorded_by_label or "unknown")
    return found


# --- the capability statement -------------------------------------------------------------------------

SEARCH_DOCS = {
    "patient": "The patient, as 7 or Patient/7",
    "date": "The visit's start; prefixes eq, ne, gt, ge, lt, le; a value without offset is read in the "
    "visit's location's time",
    "code": f"LOINC code, as 44249-1 or {fhir.LOINC}|44249-1; supported: "
    + ", ".join(sorted(fhir.OBSERVATION_CODES)),
}


def _resource(
    kind: str, *, read: bool, search: dict[str, str] | None = None
) -> CapabilityStatementRestResource:
    interactions = (["read"] if read else []) + (["search-type"] if search else [])
    return CapabilityStatementRestResource(
        type=kind,
        interaction=[CapabilityStatementRestResourceInteraction(code=code) for code in interactions],
        searchParam=[
            CapabilityStatementRestResourceSearchParam(name=name, type=kind_, documentation=SEARCH_DOCS[name])
            for name, kind_ in (search or {}).items()
        ]
        or None,
    )


@bp.get("/metadata")
def metadata():
    """The server's CapabilityStatement: what can be read and searched (no sign-in needed)."""
    statement = CapabilityStatement(
        status="active",
        date=utcnow(),
        kind="instance",
        software=CapabilityStatementSoftware(name="clinic"),
        implementation={"description": "Clinic scheduling and monitoring, read only", "url": _base_url()},
        fhirVersion=FHIR_VERSION,
        format=["json", FHIR_JSON],
        rest=[
            CapabilityStatementRest(
                mode="server",
                security=CapabilityStatementRestSecurity(
                    service=[
                        CodeableConcept(
                            coding=[
                                Coding(
                                    system="http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    code="OAuth",
                                )
                            ],
                            text="Bearer token from POST /api/v1/auth/token",
                        )
                    ],
                    description="Authorization: Bearer <token>; the same access policy as /api/v1",
                ),
                resource=[
                    _resource("Patient", read=True),
                    _resource("Practitioner", read=True),
                    _resource("Location", read=True),
                    _resource("Appointment", read=True, search=APPOINTMENT_SEARCH),
                    _resource("Observation", read=True, search=OBSERVATION_SEARCH),
                ],
            )
        ],
    )
    return _answer(statement)


# --- errors -------------------------------------------------------------------------------------------


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unsupported(unknown: str):
    """Anything else under /fhir: an OperationOutcome, never the site's HTML error page."""
    if request.method != "GET":
        return _outcome(405, "This FHIR server is read only", {"Allow": "GET"})
    return _outcome(404, f"No FHIR resource at {unknown[:100]}")


def _outcome(status: int, detail: str, headers: dict[str, str] | None = None, expression=None) -> Response:
    return _answer(fhir.operation_outcome(status, detail, expression), status, headers)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> Response:
    db.session.rollback()
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return _outcome(error.status, error.detail, headers, list(error.errors) if error.errors else None)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    db.session.rollback()
    return _outcome(error.code or 500, error.description or error.name)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    return _outcome(500, "Something went wrong on our side; it has been logged.")
