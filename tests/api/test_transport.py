from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.reminder import Reminder
from clinic.services.transport import sweep_rides
from tests.factories import make_clinic
from tests.sessions import bp, dose, record

BEFORE_START = datetime(2027, 3, 3, 14, 50, tzinfo=UTC)  # ten minutes before the 10:00 EST dose

RIDE = {
    "mode": "driver",
    "contact_name": "Sam Lindqvist",
    "contact_phone": "+1 617 555 0177",
    "status": "arranged",
}


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


def _dose(desk, clinic, start="2027-03-03T10:00:00-05:00"):
    response = desk.post(
        "/api/v1/appointments",
        json={
            "patient_id": clinic["patient_id"],
            "kind": "dose",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": start,
            "chair_id": clinic["chairs"][0],
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_dose_is_booked_with_a_missing_ride_picked_up_at_discharge(app, desk, clinic):
    dose = _dose(desk, clinic)
    assert dose["transport"]["status"] == "missing"
    assert dose["transport"]["pickup_at"] == dose["end"]


def test_check_in_refused_without_a_ride_and_allowed_once_arranged(app, desk, clinic, clock, api_as):
    dose = _dose(desk, clinic)
    clock.now = BEFORE_START
    desk = api_as("frontdesk")
    refused = desk.post(f"/api/v1/appointments/{dose['id']}/check-in", json={})
    assert refused.status_code == 409
    assert refused.json["conflicts"][0]["code"] == "transport_missing"
    assert desk.get(f"/api/v1/appointments/{dose['id']}").json["status"] == "scheduled"

    arranged = desk.put(f"/api/v1/appointments/{dose['id']}/transport", json=RIDE)
    assert arranged.status_code == 200, arranged.json
    assert arranged.json["contact_phone"] == "+16175550177"
    checked_in = desk.post(f"/api/v1/appointments/{dose['id']}/check-in", json={})
    assert checked_in.status_code == 200
    assert checked_in.json["status"] == "checked_in"


def test_discharge_needs_a_verified_escort(app, desk, clinic, clock, api_as):
    visit = _dose(desk, clinic)
    clock.now = BEFORE_START
    desk, doctor = api_as("frontdesk"), api_as("provider", provider_id=clinic["provider_id"])
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json=RIDE)
    desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={})
    record(doctor, visit["id"], bp("pre"))
    assert dose(doctor, visit["id"], 35).status_code == 201
    clock.advance(minutes=55)
    record(doctor, visit["id"], bp("discharge"))
    clock.advance(minutes=6)  # past the IV booster's 60 minutes of monitoring: only the escort is missing
    refused = desk.post(f"/api/v1/appointments/{visit['id']}/complete", json={})
    assert refused.status_code == 409
    assert [c["code"] for c in refused.json["conflicts"]] == ["escort_not_verified"]
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json={**RIDE, "status": "verified"})
    done = desk.post(f"/api/v1/appointments/{visit['id']}/complete", json={})
    assert done.status_code == 200
    assert done.json["status"] == "completed"


def test_override_with_a_reason_is_audited_and_shown_and_without_one_is_422(app, desk, clinic, clock, api_as):
    dose = _dose(desk, clinic)
    clock.now = BEFORE_START
    desk = api_as("frontdesk")
    blank = desk.post(f"/api/v1/appointments/{dose['id']}/check-in", json={"override_reason": "  "})
    assert blank.status_code == 422
    assert "override_reason" in blank.json["errors"]
    allowed = desk.post(
        f"/api/v1/appointments/{dose['id']}/check-in",
        json={"override_reason": "Spouse waiting in the car park"},
    )
    assert allowed.status_code == 200
    assert allowed.json["check_in_override_reason"] == "Spouse waiting in the car park"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.check_in"))
        assert event.details == {"override_reason": "Spouse waiting in the car park"}


def test_ride_details_are_validated_against_the_location(app, desk, clinic, api_as):
    dose = _dose(desk, clinic)
    api_as("admin").patch(
        f"/api/v1/locations/{clinic['location_id']}", json={"allowed_transport_modes": ["driver"]}
    )
    taxi = desk.put(
        f"/api/v1/appointments/{dose['id']}/transport",
        json={"mode": "taxi", "contact_phone": "+16175550100", "status": "arranged"},
    )
    assert taxi.status_code == 422
    assert "mode" in taxi.json["errors"]
    no_name = desk.put(f"/api/v1/appointments/{dose['id']}/transport", json={**RIDE, "contact_name": None})
    assert "contact_name" in no_name.json["errors"]
    bad_phone = desk.put(
        f"/api/v1/appointments/{dose['id']}/transport", json={**RIDE, "contact_phone": "555"}
    )
    assert "contact_phone" in bad_phone.json["errors"]
    assert desk.get(f"/api/v1/appointments/{dose['id']}").json["transport"]["status"] == "missing"


def test_moving_a_dose_moves_its_pickup_and_cancelling_drops_it_from_the_at_risk_list(app, desk, clinic):
    dose = _dose(desk, clinic)
    moved = desk.patch(f"/api/v1/appointments/{dose['id']}", json={"start": "2027-03-03T13:00:00-05:00"})
    assert moved.status_code == 200
    assert moved.json[0]["transport"]["pickup_at"] == "2027-03-03T14:55:00-05:00"

    at_risk = desk.get("/api/v1/transport/at-risk?hours=72").json
    assert [v["appointment_id"] for v in at_risk] == [dose["id"]]
    assert at_risk[0]["patient_phone"] == "+16175550123"
    desk.post(f"/api/v1/appointments/{dose['id']}/cancel", json={"reason": "Unwell"})
    assert desk.get("/api/v1/transport/at-risk?hours=72").json == []


def test_the_at_risk_list_and_the_sweep_agree_around_the_48_and_24_hour_marks(app, clinic, clock, api_as):
    desk = api_as("frontdesk")
    dose = _dose(desk, clinic)  # Wed 3 March 15:00 UTC
    start = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
    for offset, expected in ((timedelta(hours=48, seconds=1), False), (timedelta(hours=48), True)):
        clock.now = start - offset
        listed = api_as("frontdesk").get("/api/v1/transport/at-risk?hours=48").json
        assert bool(listed) is expected
        with app.app_context():
            asked = sweep_rides(clock.now)
            db.session.commit()
        assert bool(asked) is expected
    with app.app_context():
        notices = db.session.scalars(select(Reminder).where(Reminder.kind == "ride_missing")).all()
        assert [n.appointment_id for n in notices] == [dose["id"]]
        assert sweep_rides(clock.now) == 0  # asked once
    clock.now = start - timedelta(hours=24)
    with app.app_context():
        from clinic.models.provider import Provider
        from clinic.services.digests import render_provider_digest

        digest = render_provider_digest(db.session.get(Provider, clinic["provider_id"]), clock.now, clock.now)
        assert "10:00" in digest.text.split("Missing rides")[1].split("\n\n")[0]
