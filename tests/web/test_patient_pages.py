"""Registering, editing and opening a patient on the staff pages, and sending the ride link from there."""

from datetime import date

import pytest
from sqlalchemy import func, select

from clinic.domain.reminders import SMS_FORBIDDEN_WORDS
from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.models.reminder import Reminder
from tests.factories import book_series, make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from

FORM = {
    "first_name": "Avery",
    "last_name": "Lindqvist",
    "date_of_birth": "1984-02-29",
    "email": "avery@example.com",
    "phone": "(617) 555-0142",
    "email_reminders": "y",
    "sms_reminders": "y",
    "reminder_consent": "y",
    "rems_enrolled_on": "2027-01-10",
    "emergency_contact_name": "Sam Lindqvist",
    "emergency_contact_phone": "617 555 0177",
    "ride_mode": "driver",
    "ride_contact_name": "Sam Lindqvist",
    "ride_contact_phone": "+1 617 555 0177",
    "notes": "Prefers the window chair.\nSpeak on her right side.",
}


@pytest.fixture
def desk(app, client):
    with app.app_context():
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    _sign_in(client)
    return client


def _post_new(client, **changes):
    token = _token_from(client.get("/patients/new").data)
    data = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    return client.post("/patients/new", data={**data, "csrf_token": token})


def _patients(app) -> list[Patient]:
    with app.app_context():
        return list(db.session.scalars(select(Patient).order_by(Patient.id)))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_front_desk_registers_a_patient_with_every_field_and_sees_them_on_the_page(app, desk):
    form = desk.get("/patients/new").data.decode()
    for label in (
        "First name", "Last name", "Date of birth", "E-mail", "Mobile phone", "E-mail reminders",
        "Text message reminders", "Consent to reminders", "REMS enrolment date", "Emergency contact name",
        "Emergency contact phone", "How they usually get home", "Driver or company", "Driver&#39;s phone",
        "Notes",
    ):  # fmt: skip
        assert label in form, label

    response = _post_new(desk)
    assert response.status_code == 302
    (patient,) = _patients(app)
    assert response.headers["Location"].endswith(f"/patients/{patient.id}")
    assert (patient.phone, patient.emergency_contact_phone) == ("+16175550142", "+16175550177")
    assert patient.reminder_channels == ["email", "sms"] and patient.reminder_consent
    assert patient.rems_enrolled_on == date(2027, 1, 10)
    assert patient.default_ride == {
        "mode": "driver",
        "contact_name": "Sam Lindqvist",
        "contact_phone": "+16175550177",
    }
    page = desk.get(response.headers["Location"]).data.decode()
    assert "Registered Avery Lindqvist." in page
    assert 'Sam Lindqvist · <span class="phone-number">(617) 555-0177</span>' in page
    assert "Driver (friend or family)" in page
    assert "Prefers the window chair.\nSpeak on her right side." in page
    assert "Sun, Jan 10, 2027" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Give the first name"),
        ({"date_of_birth": "2031-01-01"}, "date_of_birth", "A date of birth is between 1900-01-01 and today"),
        ({"date_of_birth": "not a date"}, "date_of_birth", "Not a valid date value."),
        ({"phone": "555"}, "phone", "Not a phone number we can call"),
        ({"email": "avery@"}, "email", "Not an e-mail address"),
        ({"rems_enrolled_on": "2019-03-04"}, "rems_enrolled_on", "A REMS enrolment is between 2019-03-05"),
        ({"emergency_contact_phone": ""}, "emergency_contact_phone", "Give a phone number for the emergency"),
        ({"ride_mode": ""}, "ride_mode", "Say how the patient gets home"),
        ({"ride_mode": "taxi", "ride_contact_phone": ""}, "ride_contact_phone", "A phone number to reach"),
        ({"ride_mode": "balloon"}, "ride_mode", "Not a valid choice"),
        ({"phone": "", "email_reminders": None}, "reminder_consent", "Text message reminders need a mobile"),
        ({"notes": "x" * 2001}, "notes", "2000"),
    ],
)
def test_a_field_that_cannot_be_saved_is_named_next_to_it_and_nothing_is_written(
    app, desk, changes, field, message
):
    response = _post_new(desk, **changes)
    assert response.status_code == 422
    html = response.data.decode()
    assert "Nothing was saved" in html
    # the message follows its own field, before the next field's label
    assert message in html.split(f'id="{field}"', 1)[1].split("<label", 1)[0]
    assert _count(app, Patient) == 0


def test_a_form_without_its_csrf_token_is_refused(app, desk):
    response = desk.post("/patients/new", data=FORM)
    assert response.status_code == 400
    assert _count(app, Patient) == 0


def test_registering_the_same_person_again_warns_and_saves_only_once_confirmed(app, desk):
    assert _post_new(desk).status_code == 302
    (existing,) = _patients(app)

    again = _post_new(desk, first_name=" avery", last_name="LINDQVIST", email="other@example.com")
    assert again.status_code == 409
    html = again.data.decode()
    assert 'data-testid="duplicate-warning"' in html
    assert f'href="/patients/{existing.id}">Avery Lindqvist</a>' in html
    assert "This is a different person" in html
    assert _count(app, Patient) == 1

    # someone else with the same name but another birthday is no duplicate
    assert _post_new(desk, date_of_birth="1990-01-01").status_code == 302
    confirmed = _post_new(desk, last_name="Lindqvist", different_person="y")
    assert confirmed.status_code == 302
    assert [p.date_of_birth.isoformat() for p in _patients(app)] == ["1984-02-29", "1990-01-01", "1984-02-29"]


def test_editing_shows_the_record_and_saves_the_changes(app, desk):
    _post_new(desk)
    (patient,) = _patients(app)
    form = desk.get(f"/patients/{patient.id}/edit").data.decode()
    assert 'value="Avery"' in form and 'value="+1 617-555-0142"' in form
    assert '<option selected value="driver">' in form

    data = {**FORM, "rems_enrolled_on": "2027-02-01", "ride_mode": "", "ride_contact_name": ""}
    data["ride_contact_phone"] = ""
    saved = desk.post(f"/patients/{patient.id}/edit", data={**data, "csrf_token": _token_from(form.encode())})
    assert saved.status_code == 302
    (patient,) = _patients(app)
    assert patient.rems_enrolled_on == date(2027, 2, 1) and patient.default_ride is None
    page = desk.get(f"/patients/{patient.id}").data.decode()
    assert "Mon, Feb 1, 2027" in page and "Saved." in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.update"))
        assert event.details == {"fields": ["default_ride", "rems_enrolled_on"]}

    refused = desk.post(
        f"/patients/{patient.id}/edit",
        data={**data, "emergency_contact_phone": "12", "csrf_token": _token_from(form.encode())},
    )
    assert refused.status_code == 422
    assert "Not a phone number we can call" in refused.data.decode()
    assert _patients(app)[0].emergency_contact_phone == "+16175550177"


def test_only_the_front_desk_registers_and_edits(app, client, clock):
    with app.app_context():
        clinic = make_clinic()
        book_series(clinic, clock.now)
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        make_user("admin", email="admin@example.com")
        db.session.commit()
    patient_id = clinic["patient_id"]
    _sign_in(client)
    assert 'href="/patients/new"' in client.get("/patients/").data.decode()
    client.post("/logout", data={"csrf_token": _token_from(client.get("/").data)})

    _sign_in(client, email="doc@example.com")
    assert 'href="/patients/new"' not in client.get("/patients/").data.decode()
    page = client.get(f"/patients/{patient_id}").data.decode()
    assert f'href="/patients/{patient_id}/timeline"' in page
    assert f'href="/patients/{patient_id}/edit"' not in page and 'data-testid="ride-link-form"' not in page
    assert client.get("/patients/new").status_code == 403
    assert client.get(f"/patients/{patient_id}/edit").status_code == 403
    client.post("/logout", data={"csrf_token": _token_from(client.get("/provider").data)})

    _sign_in(client, email="admin@example.com")
    assert client.get("/patients/new").status_code == 403
    assert client.get(f"/patients/{patient_id}").status_code == 403


@pytest.fixture
def booked(app, clock):
    """The clinic's patient (e-mail and text reminders) with a Spravato induction from Mon 8 March."""
    with app.app_context():
        clinic = make_clinic()
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.reminder_channels = ["email", "sms"]
        series = book_series(clinic, clock.now)
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return {**clinic, "series_id": series.id, "first": series.appointments[0].id}


def test_the_patient_page_links_visits_series_rides_and_reminders_in_local_time(app, client, booked, clock):
    _sign_in(client)
    page = client.get(f"/patients/{booked['patient_id']}").data.decode()
    upcoming = page.split('data-testid="upcoming-visits"')[1].split("</section>")[0]
    # 14:00 UTC, shown in the location's zone and locale
    assert f'href="/appointments/{booked["first"]}">Mon, Mar 8, 2027, 9:00\u202fAM</a>' in upcoming
    assert "dose 1" in upcoming and "missing" in upcoming
    assert "Spravato induction" in page.split('data-testid="patient-series"')[1]
    rides = page.split('data-testid="patient-rides"')[1].split("</section>")[0]
    assert "11:30" in rides and rides.count("<tr>") == 6  # the header and the next five dosing visits
    reminders = page.split('data-testid="patient-reminders"')[1].split("</section>")[0]
    assert "ride check" in reminders and "E-mail, Text message" in reminders and "UTC" not in reminders
    assert "Send ride link by text message" in rides

    clock.advance(days=90)  # the series is over: its visits are recent, none is ahead
    _sign_in(client)
    later = client.get(f"/patients/{booked['patient_id']}").data.decode()
    assert "No visits booked." in later
    recent = later.split('data-testid="recent-visits"')[1].split("</section>")[0]
    newest = recent.split("<tbody>")[1].split("</tr>")[0]
    assert "Mon, May 24, 2027, 9:00\u202fAM" in newest
    assert 'data-testid="ride-link-form"' not in later


def _send(client, patient_id, channel):
    page = client.get(f"/patients/{patient_id}")
    return client.post(
        f"/patients/{patient_id}/ride-link", data={"channel": channel, "csrf_token": _token_from(page.data)}
    )


def test_the_front_desk_sends_the_ride_link_again_through_the_outbox(app, client, booked, live_channels):
    _mailbox, gateway = live_channels
    with app.app_context():
        dispatch_due_reminders()  # the word that the series is booked goes first
    gateway.received.clear()
    _sign_in(client)
    sent = _send(client, booked["patient_id"], "sms")
    assert sent.status_code == 302
    assert "goes out by text message" in client.get(sent.headers["Location"]).data.decode()
    with app.app_context():
        (row,) = db.session.scalars(select(Reminder).where(Reminder.idempotency_key.like("ride-link:%")))
        assert (row.kind, row.channel, row.appointment_id) == ("ride_missing", "sms", booked["first"])
        assert dispatch_due_reminders()["sent"] == 1
    (message,) = gateway.received
    text = message["text"]
    assert message["to"] == "+16175550123" and "/ride/" in text
    assert not any(word in text.lower() for word in SMS_FORBIDDEN_WORDS)


def test_a_ride_link_goes_only_on_a_channel_the_patient_agreed_to(app, client, booked):
    with app.app_context():
        db.session.get(Patient, booked["patient_id"]).reminder_channels = ["email"]
        db.session.commit()
    _sign_in(client)
    refused = _send(client, booked["patient_id"], "sms")
    assert (
        "has not agreed to messages on this channel" in client.get(refused.headers["Location"]).data.decode()
    )
    assert _send(client, booked["patient_id"], "pigeon").status_code == 302
    with app.app_context():
        keys = db.session.scalars(select(Reminder.idempotency_key)).all()
        assert not [key for key in keys if key.startswith("ride-link:")]
