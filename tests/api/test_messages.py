"""GET /api/v1/messages?status=open and POST /api/v1/messages/<id>/handled: the front desk reaches every text,
a provider only those of patients they treat (others answer the 404 of an unknown id), admins none."""

from datetime import date

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.services.actor import Actor
from clinic.services.messages import InboundText, receive_text
from tests.factories import book_series, make_clinic, make_patient

SMS = Actor(user=None, label="patient text message")


@pytest.fixture
def inbox(app, clock):
    """Open texts from a patient the clinic's provider treats, from one nobody treats, and from an unknown
    number."""
    with app.app_context():
        clinic = make_clinic()
        treated = clinic["patient_id"]
        db.session.get(Patient, treated).phone = "+16175550142"
        other = make_patient(phone="+16175550143", rems_enrolled_on=date(2027, 1, 4)).id
        db.session.commit()
        book_series(clinic, clock.now)
        ids = {}
        for key, sender in (
            ("treated", "+16175550142"),
            ("other", "+16175550143"),
            ("unknown", "+16175550199"),
        ):
            received = receive_text(
                InboundText(f"SM-{key}", sender, "+16175550100", f"Question from {key}"), SMS, clock.now
            )
            ids[key] = received.message.id
            clock.advance(minutes=1)
        db.session.commit()
        return {**ids, "provider": clinic["provider_id"], "treated_patient": treated, "other_patient": other}


def _bodies(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [m["body"] for m in response.json["messages"]]


def test_the_front_desk_lists_every_open_text_oldest_first_with_the_patient(api_as, inbox, clock):
    answer = api_as("frontdesk").get("/api/v1/messages?status=open")
    assert _bodies(answer) == ["Question from treated", "Question from other", "Question from unknown"]
    first = answer.json["messages"][0]
    assert first["patient_id"] == inbox["treated_patient"] and first["patient_name"].startswith("Pat Ient")
    assert first["from_number"] == "+16175550142" and first["status"] == "open"
    assert first["received_at"] == "2027-03-01T10:00:00-05:00"  # the clinic's local offset, not UTC
    assert answer.json["messages"][2]["patient_id"] is None


def test_reading_the_list_is_audited_per_patient(app, api_as, inbox):
    api_as("frontdesk").get("/api/v1/messages")
    with app.app_context():
        read = db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "patient.read",
                AuditEvent.details["via"].as_string() == "messages.MessagesResource",
            )
        ).all()
    assert sorted(read) == sorted([str(inbox["treated_patient"]), str(inbox["other_patient"])])


def test_a_provider_sees_and_handles_only_texts_of_patients_they_treat(api_as, inbox):
    doctor = api_as("provider", provider_id=inbox["provider"])
    assert _bodies(doctor.get("/api/v1/messages?status=open")) == ["Question from treated"]
    unknown_id = doctor.post("/api/v1/messages/999999/handled")
    for foreign in (inbox["other"], inbox["unknown"]):
        refused = doctor.post(f"/api/v1/messages/{foreign}/handled")
        assert refused.status_code == 404
        assert refused.json["detail"] == unknown_id.json["detail"].replace("999999", str(foreign))
    handled = doctor.post(f"/api/v1/messages/{inbox['treated']}/handled")
    assert handled.status_code == 200
    assert handled.json["status"] == "handled" and handled.json["handled_by"].startswith("provider")
    assert _bodies(doctor.get("/api/v1/messages")) == []


def test_the_front_desk_marks_a_text_handled_once(api_as, inbox, clock):
    desk = api_as("frontdesk")
    clock.advance(hours=1)
    done = desk.post(f"/api/v1/messages/{inbox['unknown']}/handled")
    assert done.status_code == 200
    assert done.json["handled_at"] == "2027-03-01T11:03:00-05:00"
    again = desk.post(f"/api/v1/messages/{inbox['unknown']}/handled")
    assert again.status_code == 409
    assert _bodies(desk.get("/api/v1/messages?status=open")) == [
        "Question from treated",
        "Question from other",
    ]
    assert _bodies(desk.get("/api/v1/messages?status=handled")) == ["Question from unknown"]


def test_admins_and_strangers_are_refused_and_a_bad_status_names_the_field(api_as, client, inbox):
    assert api_as("admin").get("/api/v1/messages").status_code == 403
    assert api_as("admin").post(f"/api/v1/messages/{inbox['treated']}/handled").status_code == 403
    assert client.get("/api/v1/messages").status_code == 401
    bad = api_as("frontdesk").get("/api/v1/messages?status=closed")
    assert bad.status_code in (400, 422)
    assert "status" in bad.json["errors"]
