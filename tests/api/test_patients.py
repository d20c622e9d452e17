from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient

VALID_PATIENT = {
    "first_name": "Avery",
    "last_name": "Lindqvist",
    "date_of_birth": "1984-02-29",
    "email": "avery@example.com",
    "phone": "+1 617 555 0142",
    "reminder_channels": ["sms", "email", "sms"],
    "reminder_consent": True,
}


def _patients(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Patient.id)))


def test_frontdesk_registers_a_patient(app, api_as, clock):
    response = api_as("frontdesk").post("/api/v1/patients", json=VALID_PATIENT)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["phone"] == "+16175550142"
    assert body["reminder_channels"] == ["sms", "email"]
    assert body["created_at"] == clock.now.isoformat()


def test_invalid_patient_fields_are_named_and_nothing_is_written(app, api_as):
    frontdesk = api_as("frontdesk")
    cases = [
        ({**VALID_PATIENT, "phone": "0617 555 0142"}, "phone"),
        ({**VALID_PATIENT, "phone": "+1 555"}, "phone"),
        ({**VALID_PATIENT, "email": "avery@"}, "email"),
        ({**VALID_PATIENT, "date_of_birth": "1984-13-01"}, "date_of_birth"),
        ({**VALID_PATIENT, "reminder_channels": ["pigeon"]}, "reminder_channels"),
        ({**VALID_PATIENT, "first_name": ""}, "first_name"),
        ({k: v for k, v in VALID_PATIENT.items() if k != "last_name"}, "last_name"),
        ({**VALID_PATIENT, "phone": None, "reminder_channels": ["sms"]}, "reminder_channels"),
        ({**VALID_PATIENT, "date_of_birth": "2030-01-01"}, "date_of_birth"),
    ]
    for body, field in cases:
        response = frontdesk.post("/api/v1/patients", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (field, response.json)
    assert _patients(app) == 0


def test_search_get_and_patch(app, api_as):
    frontdesk = api_as("frontdesk")
    patient_id = frontdesk.post("/api/v1/patients", json=VALID_PATIENT).json["id"]
    frontdesk.post(
        "/api/v1/patients",
        json={**VALID_PATIENT, "first_name": "Jordan", "last_name": "Mbeki", "email": "jordan@example.com"},
    )

    found = frontdesk.get("/api/v1/patients?q=lindq")
    assert [p["id"] for p in found.json] == [patient_id]
    by_full_name = frontdesk.get("/api/v1/patients?q=avery lindqvist")
    assert [p["id"] for p in by_full_name.json] == [patient_id]
    assert len(frontdesk.get("/api/v1/patients").json) == 2

    changed = frontdesk.patch(f"/api/v1/patients/{patient_id}", json={"rems_enrolled_on": "2027-01-10"})
    assert changed.status_code == 200
    assert changed.json["rems_enrolled_on"] == "2027-01-10"
    assert changed.json["first_name"] == "Avery"

    # A provider sees only patients they treat; anyone else's id looks unknown.
    assert api_as("provider").get(f"/api/v1/patients/{patient_id}").status_code == 404
    assert api_as("provider").get("/api/v1/patients").json == []


def test_roles_on_patients(app, api_as):
    assert api_as("admin").get("/api/v1/patients").status_code == 403
    assert api_as("provider").post("/api/v1/patients", json=VALID_PATIENT).status_code == 403
    assert api_as("frontdesk").get("/api/v1/patients/12345").status_code == 404
    assert _patients(app) == 0


def test_patient_reads_and_changes_are_audited_without_values(app, api_as):
    frontdesk = api_as("frontdesk", email="desk@example.com")
    patient_id = frontdesk.post("/api/v1/patients", json=VALID_PATIENT).json["id"]
    frontdesk.get(f"/api/v1/patients/{patient_id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    frontdesk.patch(f"/api/v1/patients/{patient_id}", json={"phone": "+16175550199"})

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "patient").order_by(AuditEvent.id)
        ).all()
        actions = [(e.action, e.object_id, e.actor_label) for e in events]
        # A request's reads are written once its answer is built, after what it changed.
        assert actions == [
            ("patient.create", str(patient_id), "desk@example.com"),
            ("patient.read", str(patient_id), "desk@example.com"),
            ("patient.update", str(patient_id), "desk@example.com"),
            ("patient.read", str(patient_id), "desk@example.com"),
        ]
        assert events[1].remote_addr == "10.1.2.3"
        assert events[2].details == {"fields": ["phone"]}
        assert "+16175550199" not in str([e.details for e in events])


CONTACTS = {
    "emergency_contact_name": "Sam Lindqvist",
    "emergency_contact_phone": "+1 617 555 0177",
    "default_ride": {"mode": "taxi", "contact_name": "Harbor Cabs", "contact_phone": "+16175550190"},
    "notes": "Prefers the window chair.",
}


def test_emergency_contact_usual_ride_and_notes_are_kept_and_shown(app, api_as):
    frontdesk = api_as("frontdesk")
    created = frontdesk.post("/api/v1/patients", json={**VALID_PATIENT, **CONTACTS})
    assert created.status_code == 201, created.json
    body = frontdesk.get(f"/api/v1/patients/{created.json['id']}").json
    assert body["emergency_contact_name"] == "Sam Lindqvist"
    assert body["emergency_contact_phone"] == "+16175550177"
    assert body["default_ride"] == CONTACTS["default_ride"]
    assert body["notes"] == "Prefers the window chair."

    cleared = frontdesk.patch(f"/api/v1/patients/{body['id']}", json={"default_ride": None, "notes": None})
    assert cleared.status_code == 200, cleared.json
    assert (cleared.json["default_ride"], cleared.json["notes"]) == (None, "")
    assert cleared.json["emergency_contact_name"] == "Sam Lindqvist"

    # a patient registered without them has none
    bare = frontdesk.post("/api/v1/patients", json={**VALID_PATIENT, "first_name": "Jordan"}).json
    assert (bare["emergency_contact_name"], bare["default_ride"], bare["notes"]) == (None, None, "")


def test_contacts_and_ride_that_cannot_be_used_are_refused_by_field(app, api_as):
    frontdesk = api_as("frontdesk")
    driver = {"mode": "driver", "contact_phone": "+16175550177"}
    cases = [
        ({"emergency_contact_name": "Sam"}, "emergency_contact_phone"),
        ({"emergency_contact_phone": "+16175550177"}, "emergency_contact_name"),
        ({"emergency_contact_phone": "617 555"}, "emergency_contact_phone"),
        (
            {"emergency_contact_name": "x" * 201, "emergency_contact_phone": "+16175550177"},
            "emergency_contact_name",
        ),
        ({"default_ride": {**driver, "mode": "balloon"}}, "default_ride"),
        ({"default_ride": {"mode": "taxi"}}, "default_ride"),
        ({"default_ride": driver}, "default_ride.contact_name"),
        ({"notes": "x" * 2001}, "notes"),
    ]
    for changes, field in cases:
        response = frontdesk.post("/api/v1/patients", json={**VALID_PATIENT, **changes})
        assert response.status_code == 422, (changes, response.json)
        assert field in response.json["errors"], (field, response.json)
    assert _patients(app) == 0

    patient_id = frontdesk.post("/api/v1/patients", json=VALID_PATIENT).json["id"]
    refused = frontdesk.patch(
        f"/api/v1/patients/{patient_id}", json={"default_ride": {"contact_name": "Sam"}}
    )
    assert refused.status_code == 422
    # a partial change replaces the whole ride, so the rules name what the new ride lacks
    assert set(refused.json["errors"]) == {"default_ride.mode", "default_ride.contact_phone"}


def test_the_api_registers_a_namesake_while_the_pages_ask_first(app, api_as):
    # Integrations import known patients; the desk's form is where a likely duplicate is caught.
    frontdesk = api_as("frontdesk")
    assert frontdesk.post("/api/v1/patients", json=VALID_PATIENT).status_code == 201
    assert frontdesk.post("/api/v1/patients", json=VALID_PATIENT).status_code == 201
    assert _patients(app) == 2
