from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

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


RIDE_FORM = {"mode": "driver", "contact_name": "Sam Lindqvist", "contact_phone": "617 555 0177"}


def _ride(app, dose_id):
    with app.app_context():
        transport = db.session.get(Appointment, dose_id).transport
        confirmations = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "transport.patient_confirm")
        )
        return (
            transport.status,
            transport.mode,
            transport.contact_name,
            transport.contact_phone,
            transport.updated_at,
            confirmations,
        )


def _text(response) -> str:
    """The page's HTML with its whitespace folded, so sentences read as the patient sees them."""
    return " ".join(response.data.decode().split())


def _csrf(client) -> str:
    """A CSRF token of the client's session (a spent link's page has no form to take one from)."""
    return _token_from(client.get("/login").data)


def _confirm(client, token, **fields):
    page = client.get(f"/ride/{token}")
    assert b'name="contact_name"' in page.data
    return client.post(f"/ride/{token}", data={**RIDE_FORM, **fields, "csrf_token": _token_from(page.data)})


def test_a_ride_link_confirms_once_and_then_shows_what_was_given(app, client, dose_id, clock, api_as):
    with app.app_context():
        location_id = db.session.get(Appointment, dose_id).location_id
    api_as("admin").patch(f"/api/v1/locations/{location_id}", json={"phone": "+16175550100"})
    token = _link(app, dose_id, clock.now)
    page = client.get(f"/ride/{token}")
    csrf = _token_from(page.data)
    assert _confirm(client, token).status_code == 200
    given = _ride(app, dose_id)
    assert given[:4] == ("confirmed", "driver", "Sam Lindqvist", "+16175550177")

    clock.advance(hours=1)
    shown = client.get(f"/ride/{token}")
    assert shown.status_code == 200
    html = _text(shown)
    assert 'name="contact_name"' not in html and "<form" not in html.split("<main")[1]
    assert "Sam Lindqvist will pick you up at about 11:55" in html
    assert "ending in 0177" in html and "555 0177" not in html and "555-0177" not in html
    assert 'href="tel:+16175550100"' in html and "(617) 555-0100" in html

    other_driver = {"contact_name": "Someone Else", "contact_phone": "617 555 0199"}
    replay = client.post(f"/ride/{token}", data={**RIDE_FORM, **other_driver, "csrf_token": csrf})
    assert replay.status_code == 409
    assert "Sam Lindqvist will pick you up" in _text(replay)
    assert _ride(app, dose_id) == given


def test_a_confirmation_spends_every_link_sent_before_it(app, client, dose_id, clock):
    earlier = _link(app, dose_id, clock.now)
    clock.advance(hours=2)
    later = _link(app, dose_id, clock.now)
    assert _confirm(client, later).status_code == 200
    given = _ride(app, dose_id)
    page = client.get(f"/ride/{earlier}")
    assert "Sam Lindqvist will pick you up" in _text(page) and 'name="contact_name"' not in _text(page)
    replay = client.post(
        f"/ride/{earlier}", data={**RIDE_FORM, "contact_name": "Someone Else", "csrf_token": _csrf(client)}
    )
    assert replay.status_code == 409
    assert _ride(app, dose_id) == given


def test_after_staff_reopen_the_ride_only_a_link_sent_since_works(app, client, dose_id, clock, api_as):
    used = _link(app, dose_id, clock.now)
    assert _confirm(client, used).status_code == 200
    clock.advance(hours=1)
    desk = api_as("frontdesk")
    reopened = desk.put(f"/api/v1/appointments/{dose_id}/transport", json={"status": "missing"})
    assert reopened.status_code == 200, reopened.json

    page = client.get(f"/ride/{used}")
    assert "This link has already been used" in _text(page) and 'name="contact_name"' not in _text(page)
    assert b"Sam Lindqvist" not in page.data
    before = _ride(app, dose_id)
    assert client.post(f"/ride/{used}", data={**RIDE_FORM, "csrf_token": _csrf(client)}).status_code == 409
    assert _ride(app, dose_id) == before

    clock.advance(hours=1)
    fresh = _link(app, dose_id, clock.now)
    assert _confirm(client, fresh, contact_name="Alex Lindqvist").status_code == 200
    assert _ride(app, dose_id)[:3] == ("confirmed", "driver", "Alex Lindqvist")
    assert b'name="contact_name"' not in client.get(f"/ride/{fresh}").data


def test_a_link_sent_while_the_ride_stands_confirmed_shows_it(app, client, dose_id, clock):
    assert _confirm(client, _link(app, dose_id, clock.now)).status_code == 200
    clock.advance(hours=1)
    late = client.get(f"/ride/{_link(app, dose_id, clock.now)}")
    assert "Sam Lindqvist will pick you up" in _text(late) and 'name="contact_name"' not in _text(late)


def test_without_a_clinic_phone_the_page_asks_for_a_call_in_words(app, client, dose_id, clock):
    token = _link(app, dose_id, clock.now)
    assert _confirm(client, token).status_code == 200
    html = _text(client.get(f"/ride/{token}"))
    assert "tel:" not in html
    assert "To change it, please call us." in html


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
