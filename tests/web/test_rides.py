from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.services.ride_links import ride_link
from tests.factories import make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from


@pytest.fixture
def dose_id(app, api_as):
    with app.app_context():
        clinic = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    booked = api_as("frontdesk").post(
        "/api/v1/appointments",
        json={
            "patient_id": clinic["patient_id"],
            "kind": "dose",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": "2027-03-02T10:00:00-05:00",
            "chair_id": clinic["chairs"][0],
        },
    )
    return booked.json["id"]


def _link(app, dose_id, now):
    with app.app_context():
        return ride_link(db.session.get(Appointment, dose_id), now).split("/ride/")[1]


def test_patient_confirms_the_ride_through_the_signed_link(app, client, dose_id, clock):
    token = _link(app, dose_id, clock.now)
    page = client.get(f"/ride/{token}")
    assert page.status_code == 200
    assert b"Your ride home" in page.data and b"no-referrer" in page.data
    done = client.post(
        f"/ride/{token}",
        data={
            "mode": "driver",
            "contact_name": "Sam Lindqvist",
            "contact_phone": "617 555 0177",
            "csrf_token": _token_from(page.data),
        },
    )
    assert done.status_code == 200
    assert b"Your ride home is confirmed" in done.data
    with app.app_context():
        transport = db.session.get(Appointment, dose_id).transport
        assert (transport.status, transport.contact_phone) == ("confirmed", "+16175550177")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transport.patient_confirm"))
        assert event.actor_label == "patient-ride-link"


def test_a_tampered_or_expired_link_is_404(app, client, dose_id, clock):
    token = _link(app, dose_id, clock.now)
    assert client.get(f"/ride/{token[:-2]}xx").status_code == 404
    clock.now = datetime(2027, 3, 2, 16, 0, tzinfo=UTC)  # the visit has started
    assert client.get(f"/ride/{token}").status_code == 404


def test_check_in_page_explains_the_refusal_and_offers_the_override(app, client, dose_id, clock):
    clock.now = datetime(2027, 3, 2, 14, 55, tzinfo=UTC)  # five minutes before the 10:00 EST dose
    _sign_in(client)
    page = client.get(f"/appointments/{dose_id}")
    token = _token_from(page.data)
    refused = client.post(f"/appointments/{dose_id}/check-in", data={"csrf_token": token})
    assert refused.status_code == 409
    assert b"No ride home is arranged" in refused.data
    assert b'data-testid="override-form"' in refused.data
    allowed = client.post(
        f"/appointments/{dose_id}/check-in",
        data={"csrf_token": token, "override_reason": "Daughter in lobby"},
    )
    assert allowed.status_code == 302
    shown = client.get(f"/appointments/{dose_id}").data.decode()
    assert "Checked in without a ride" in shown and "Daughter in lobby" in shown


def test_call_list_records_outcomes_in_one_click(app, client, dose_id):
    _sign_in(client)
    page = client.get("/rides/at-risk")
    assert b"617" in page.data
    token = _token_from(page.data)
    client.post(f"/rides/{dose_id}/call", data={"csrf_token": token, "outcome": "no_answer"})
    assert b"No answer" in client.get("/rides/at-risk").data
    refused = client.post(
        f"/rides/{dose_id}/call", data={"csrf_token": token, "outcome": "confirmed"}, follow_redirects=True
    )
    assert b"Enter the ride details" in refused.data
