from datetime import UTC, datetime

from sqlalchemy import select

from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.reminder import Reminder
from tests.factories import make_clinic, make_patient, make_user
from tests.web.test_login import _sign_in, _token_from


def _booked_visit(app, api_as):
    with app.app_context():
        clinic = make_clinic()
        patient = make_patient(reminder_channels=["email", "sms"])
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        patient_id = patient.id
    created = api_as("frontdesk").post(
        "/api/v1/appointments",
        json={
            "patient_id": patient_id,
            "kind": "follow_up",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": "2027-03-10T15:00:00-05:00",
        },
    )
    assert created.status_code == 201
    return created.json["id"]


def test_reminders_api_and_outbox_page_show_failures_first_and_retry(
    app, client, clock, api_as, live_channels
):
    _, gateway = live_channels
    gateway.fail_with = 400
    appointment_id = _booked_visit(app, api_as)
    listed = api_as("frontdesk").get(f"/api/v1/appointments/{appointment_id}/reminders")
    assert [(r["kind"], r["channel"], r["status"]) for r in listed.json] == [
        ("confirmation", "email", "pending"),  # the word that the visit is booked
        ("confirmation", "sms", "pending"),
        ("visit_24h", "email", "pending"),
        ("visit_24h", "sms", "pending"),
    ]
    clock.now = datetime(2027, 3, 9, 20, 0, tzinfo=UTC)
    with app.app_context():
        dispatch_due_reminders()

    _sign_in(client)
    page = client.get("/outbox/").data.decode()
    failed_section = page.split("Due next")[0]
    assert "failed" in failed_section and "SMS gateway answered 400" in failed_section
    visit_page = client.get(f"/appointments/{appointment_id}").data.decode()
    assert "SMS gateway answered 400" in visit_page and "sent" in visit_page

    with app.app_context():
        failed = db.session.scalar(
            select(Reminder).where(Reminder.status == "failed", Reminder.kind == "visit_24h")
        )
    token = _token_from(client.get("/outbox/").data)
    assert client.post(f"/outbox/{failed.id}/retry", data={"csrf_token": token}).status_code == 302
    gateway.fail_with = None
    with app.app_context():
        dispatch_due_reminders()
        assert db.session.get(Reminder, failed.id).status == "sent"
    assert len(gateway.received) == 1
