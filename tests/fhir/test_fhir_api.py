"""The FHIR R4 read API: every answer parses back as a valid fhir.resources model, under the API's rules."""

from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from sqlalchemy import select

from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.fhir.resources import APPOINTMENT_STATUS
from clinic.models.audit import AuditEvent
from tests.factories import book_series, make_clinic
from tests.sessions import bp, check_in_with_ride, record

DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)  # 09:05 in Boston, the first dose of the series
PHQ9 = {"instrument": "phq9", "items": [2, 2, 1, 1, 2, 1, 1, 1, 1]}
GAD7 = {"instrument": "gad7", "items": [1, 1, 2, 1, 0, 1, 1]}


@pytest.fixture
def visit(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        db.session.commit()
        ids = [a.id for a in series.appointments]
        return {**clinic, "dose": ids[0], "second": ids[1], "visits": ids}


@pytest.fixture
def at_dose(clock, visit):
    """The clock at the first dose (before the clients sign in, so their tokens are fresh then)."""
    clock.now = DOSE_TIME


@pytest.fixture
def desk(api_as, visit):
    return api_as("frontdesk", email="desk@example.com")


@pytest.fixture
def doctor(api_as, visit):
    return api_as("provider", email="doc@example.com", provider_id=visit["provider_id"])


def fhir_json(response, model, status=200):
    """The answer's body as a validated model (validation errors fail the test)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    return model.model_validate_json(response.get_data(as_text=True))


def outcome(response, status):
    parsed = fhir_json(response, OperationOutcome, status)
    return parsed.issue[0]


def test_metadata_needs_no_token_and_lists_what_is_supported(client):
    statement = fhir_json(client.get("/fhir/metadata"), CapabilityStatement)
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    resources = {r.type: r for r in statement.rest[0].resource}
    assert set(resources) == {"Patient", "Practitioner", "Location", "Appointment", "Observation"}
    assert {p.name for p in resources["Appointment"].searchParam} == {"patient", "date"}
    assert {p.name for p in resources["Observation"].searchParam} == {"patient", "code"}
    assert [i.code for i in resources["Patient"].interaction] == ["read"]


def test_reads_of_patient_practitioner_location_and_appointment(desk, visit):
    patient = fhir_json(desk.get(f"/fhir/Patient/{visit['patient_id']}"), Patient)
    assert patient.id == str(visit["patient_id"])
    assert patient.name[0].given == ["Pat"] and str(patient.birthDate) == "1985-05-17"
    practitioner = fhir_json(desk.get(f"/fhir/Practitioner/{visit['provider_id']}"), Practitioner)
    assert practitioner.name[0].text.startswith("Provider")
    location = fhir_json(desk.get(f"/fhir/Location/{visit['location_id']}"), Location)
    assert location.extension[0].valueCode == "America/New_York"
    assert location.hoursOfOperation[0].daysOfWeek == ["mon"]
    appointment = fhir_json(desk.get(f"/fhir/Appointment/{visit['dose']}"), Appointment)
    assert appointment.status == "booked"
    assert appointment.start.isoformat() == "2027-03-08T09:00:00-05:00"
    actors = [p.actor.reference for p in appointment.participant]
    assert actors == [
        f"Patient/{visit['patient_id']}",
        f"Practitioner/{visit['provider_id']}",
        f"Location/{visit['location_id']}",
    ]


def test_every_visit_status_has_one_fhir_status():
    assert set(APPOINTMENT_STATUS) == set(VisitStatus)
    assert set(APPOINTMENT_STATUS.values()) == {"booked", "arrived", "fulfilled", "cancelled", "noshow"}


def test_a_checked_in_and_a_cancelled_visit_show_their_status(at_dose, desk, visit):
    check_in_with_ride(desk, visit["dose"])
    cancelled = desk.post(f"/api/v1/appointments/{visit['second']}/cancel", json={"reason": "Patient ill"})
    assert cancelled.status_code == 200
    assert fhir_json(desk.get(f"/fhir/Appointment/{visit['dose']}"), Appointment).status == "arrived"
    second = fhir_json(desk.get(f"/fhir/Appointment/{visit['second']}"), Appointment)
    assert second.status == "cancelled" and second.cancelationReason.text == "Patient ill"


def test_appointment_search_by_patient_and_date_prefixes(desk, visit):
    everything = fhir_json(desk.get(f"/fhir/Appointment?patient={visit['patient_id']}"), Bundle)
    assert everything.type == "searchset" and everything.total == len(visit["visits"])
    assert everything.entry[0].fullUrl == f"http://localhost/fhir/Appointment/{visit['dose']}"
    assert all(isinstance(e.resource, Appointment) for e in everything.entry)

    def ids(query):
        bundle = fhir_json(
            desk.get(f"/fhir/Appointment?patient=Patient/{visit['patient_id']}&{query}"), Bundle
        )
        assert bundle.total == len(bundle.entry or [])
        return [int(e.resource.id) for e in bundle.entry or []]

    # The series starts Mon 8 March 2027 at 09:00 Boston time, twice a week.
    assert ids("date=2027-03-08") == [visit["dose"]]
    assert ids("date=eq2027-03-08") == [visit["dose"]]
    assert ids("date=lt2027-03-09") == [visit["dose"]]
    assert ids("date=le2027-03-08") == [visit["dose"]]
    assert ids("date=gt2027-03-08")[0] == visit["second"]
    assert ids("date=ge2027-03-09")[0] == visit["second"]
    assert ids("date=ge2027-03-08&date=lt2027-03-12") == [visit["dose"], visit["second"]]
    # A time with an offset is an instant: 09:00 in Boston is 14:00 UTC.
    assert ids("date=ge2027-03-08T14:00:00Z&date=lt2027-03-08T14:00:01Z") == [visit["dose"]]
    assert ids("date=gt2027-03-08T09:00:00-05:00&date=lt2027-03-12") == [visit["second"]]
    assert ids("date=2027-02") == []
    assert ids("date=ge0001-01-01&_format=json") == visit["visits"]
    assert len(ids("date=2027-03")) == len(visit["visits"]) - len(ids("date=ge2027-04"))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("date=2027-13-01", "date"),
        ("date=sa2027-03-08", "date"),
        ("date=yesterday", "date"),
        ("date=9999-12-31", "date"),
        ("patient=Group/1", "patient"),
        ("patient=1&patient=2", "patient"),
        ("patient=99999999999999999999999", "patient"),
        ("status=booked", "status"),
        ("_count=5", "_count"),
    ],
)
def test_a_bad_search_parameter_is_a_400_naming_it(desk, query, named):
    issue = outcome(desk.get(f"/fhir/Appointment?{query}"), 400)
    assert issue.code == "invalid"
    assert issue.diagnostics.startswith(f"{named}:")
    assert issue.expression == [named]


def test_errors_are_operation_outcomes(client, desk, api_as, visit):
    issue = outcome(client.get(f"/fhir/Patient/{visit['patient_id']}"), 401)
    assert issue.code == "login"
    admin = api_as("admin")
    assert outcome(admin.get(f"/fhir/Patient/{visit['patient_id']}"), 403).code == "forbidden"
    assert outcome(desk.get("/fhir/Patient/987654"), 404).diagnostics == "No patient with id 987654"
    assert outcome(desk.get("/fhir/Medication/1"), 404).code == "not-found"
    assert outcome(desk.get("/fhir/Patient/abc"), 404).code == "not-found"
    assert outcome(desk.post(f"/fhir/Patient/{visit['patient_id']}", json={}), 405).code == "not-supported"
    assert outcome(desk.get("/fhir/Observation"), 400).diagnostics.startswith("patient:")
    assert outcome(desk.get("/fhir/Observation?patient=1&code=1234-5"), 400).expression == ["code"]


def test_a_foreign_patient_is_the_same_404_through_fhir_as_through_the_api(api_as, app, visit):
    outsider = api_as("provider", email="outsider@example.com")
    for fhir_path, api_path in [
        (f"/fhir/Patient/{visit['patient_id']}", f"/api/v1/patients/{visit['patient_id']}"),
        (f"/fhir/Appointment/{visit['dose']}", f"/api/v1/appointments/{visit['dose']}"),
        (
            f"/fhir/Observation?patient={visit['patient_id']}",
            f"/api/v1/patients/{visit['patient_id']}/monitoring",
        ),
        (
            f"/fhir/Appointment?patient={visit['patient_id']}",
            f"/api/v1/appointments?patient_id={visit['patient_id']}",
        ),
    ]:
        api = outsider.get(api_path)
        issue = outcome(outsider.get(fhir_path), api.status_code)
        assert api.status_code == 404
        assert issue.diagnostics == api.json["detail"]
    unknown = 424242
    assert (
        outcome(outsider.get(f"/fhir/Patient/{unknown}"), 404).diagnostics
        == (outsider.get(f"/api/v1/patients/{unknown}").json["detail"])
    )
    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_label == "outsider@example.com")
        ).all()
        assert [e for e in reads if e.action == "patient.read"] == []


def _reads(app, patient_id):
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "patient.read", AuditEvent.object_id == str(patient_id)
            )
        ).all()
        return [(e.actor_label, e.details["via"]) for e in events]


def test_fhir_reads_of_patient_data_are_audited_like_the_api(at_dose, app, desk, doctor, visit):
    check_in_with_ride(desk, visit["dose"])
    record(doctor, visit["dose"], bp("pre"))
    for client, who, path, via in [
        (desk, "desk@example.com", f"/fhir/Patient/{visit['patient_id']}", "fhir.patient_read"),
        (desk, "desk@example.com", f"/fhir/Appointment/{visit['dose']}", "fhir.appointment_read"),
        (
            desk,
            "desk@example.com",
            f"/fhir/Appointment?patient={visit['patient_id']}",
            "fhir.appointment_search",
        ),
        (
            doctor,
            "doc@example.com",
            f"/fhir/Observation?patient={visit['patient_id']}",
            "fhir.observation_search",
        ),
    ]:
        before = len(_reads(app, visit["patient_id"]))
        assert client.get(path).status_code == 200
        reads = _reads(app, visit["patient_id"])
        assert len(reads) == before + 1
        assert reads[-1] == (who, via)
    before = len(_reads(app, visit["patient_id"]))
    assert desk.get(f"/fhir/Location/{visit['location_id']}").status_code == 200
    assert len(_reads(app, visit["patient_id"])) == before


def test_observations_for_scores_and_blood_pressure(at_dose, desk, doctor, visit):
    check_in_with_ride(desk, visit["dose"])
    record(doctor, visit["dose"], bp("pre", 142, 91))
    record(doctor, visit["dose"], PHQ9)
    record(doctor, visit["dose"], GAD7)
    patient = visit["patient_id"]
    bundle = fhir_json(doctor.get(f"/fhir/Observation?patient={patient}"), Bundle)
    assert bundle.type == "searchset" and bundle.total == 4 == len(bundle.entry)
    by_code = {}
    for entry in bundle.entry:
        observation = entry.resource
        assert isinstance(observation, Observation)
        assert entry.fullUrl == f"http://localhost/fhir/Observation/{observation.id}"
        assert observation.subject.reference == f"Patient/{patient}"
        assert observation.performer[0].reference == f"Practitioner/{visit['provider_id']}"
        assert observation.effectiveDateTime.isoformat() == "2027-03-08T14:05:00+00:00"
        assert observation.code.coding[0].system == "http://loinc.org"
        by_code[observation.code.coding[0].code] = observation
    assert by_code["44249-1"].valueInteger == 12
    assert by_code["44260-8"].valueInteger == 1
    assert by_code["69737-5"].valueInteger == 7
    panel = by_code["85354-9"]
    assert panel.valueQuantity is None
    parts = {c.code.coding[0].code: c.valueQuantity for c in panel.component}
    assert {code: (q.value, q.unit, q.system, q.code) for code, q in parts.items()} == {
        "8480-6": (142, "mm[Hg]", "http://unitsofmeasure.org", "mm[Hg]"),
        "8462-4": (91, "mm[Hg]", "http://unitsofmeasure.org", "mm[Hg]"),
    }
    item9 = fhir_json(
        doctor.get(f"/fhir/Observation?patient={patient}&code=http://loinc.org|44260-8"), Bundle
    )
    assert [e.resource.code.coding[0].code for e in item9.entry] == ["44260-8"]
    scores = fhir_json(doctor.get(f"/fhir/Observation?patient={patient}&code=44249-1,69737-5"), Bundle)
    assert sorted(e.resource.code.coding[0].code for e in scores.entry) == ["44249-1", "69737-5"]


def test_observations_are_for_the_patients_providers_only(desk, visit):
    issue = outcome(desk.get(f"/fhir/Observation?patient={visit['patient_id']}"), 403)
    assert issue.code == "forbidden"


def test_an_empty_search_is_a_bundle_without_entries(doctor, visit):
    bundle = fhir_json(doctor.get(f"/fhir/Observation?patient={visit['patient_id']}"), Bundle)
    assert bundle.total == 0 and bundle.entry is None


def test_each_observation_a_search_finds_reads_back_by_its_id(at_dose, app, desk, doctor, visit):
    check_in_with_ride(desk, visit["dose"])
    record(doctor, visit["dose"], bp("pre", 142, 91))
    record(doctor, visit["dose"], PHQ9)
    record(doctor, visit["dose"], GAD7)
    bundle = fhir_json(doctor.get(f"/fhir/Observation?patient={visit['patient_id']}"), Bundle)
    assert len(bundle.entry) == 4
    for entry in bundle.entry:
        path = entry.fullUrl.removeprefix("http://localhost")
        before = len(_reads(app, visit["patient_id"]))
        read = fhir_json(doctor.get(path), Observation)
        assert read.model_dump() == entry.resource.model_dump()
        assert _reads(app, visit["patient_id"])[before:] == [("doc@example.com", "fhir.observation_read")]
    item9 = next(e.resource for e in bundle.entry if e.resource.id.endswith("-item9"))
    assert item9.valueInteger == 1


def test_an_observation_outside_the_care_is_the_same_404_as_an_unknown_one(
    at_dose, app, api_as, desk, doctor, visit
):
    check_in_with_ride(desk, visit["dose"])
    record(doctor, visit["dose"], GAD7)
    gad7 = fhir_json(doctor.get(f"/fhir/Observation?patient={visit['patient_id']}"), Bundle).entry[0].resource
    outsider = api_as("provider", email="outsider@example.com")
    foreign = outcome(outsider.get(f"/fhir/Observation/{gad7.id}"), 404)
    assert foreign.diagnostics == f"No observation with id {gad7.id}"
    assert (
        outcome(outsider.get("/fhir/Observation/424242"), 404).diagnostics == "No observation with id 424242"
    )
    # A GAD-7 has no item-9 observation; ids that name no kind are unknown too.
    for unknown in (f"{gad7.id}-item9", f"{gad7.id}-item8", "abc", "-item9", "1" * 30):
        assert outcome(doctor.get(f"/fhir/Observation/{unknown}"), 404).diagnostics == (
            f"No observation with id {unknown}"
        )
    assert outcome(desk.get(f"/fhir/Observation/{gad7.id}"), 403).code == "forbidden"
    with app.app_context():
        assert not db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor_label == "outsider@example.com", AuditEvent.action == "patient.read"
            )
        ).all()
