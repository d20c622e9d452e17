"""Texts patients send back reach POST /sms/inbound, signed by the SMS provider: keywords are answered on
the spot, anything else waits on the front desk's list."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.domain.reminders import SMS_FORBIDDEN_WORDS
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.message import InboundMessage
from clinic.models.patient import Patient
from clinic.notify.twilio import request_signature
from tests.factories import book_series, make_clinic, make_patient

TOKEN = "twilio-auth-token"
BASE_URL = "https://clinic.example.org"
PHONE = "+16175550142"
_sids = iter(range(1, 10_000))


@pytest.fixture
def texting(app, clock):
    """A clinic (phone (617) 555-0100) whose patient, texting from PHONE, has a series from 8 March 09:00."""
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, CLINIC_BASE_URL=BASE_URL)
    with app.app_context():
        clinic = make_clinic(phone="+16175550100", public_name="Riverside Clinic")
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.phone, patient.reminder_channels = PHONE, ["email", "sms"]
        db.session.commit()
        series = book_series(clinic, clock.now)
        return {**clinic, "first_visit": series.appointments[0].id}


def _form(body: str, sender: str = PHONE, sid: str | None = None) -> dict[str, str]:
    return {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+16175550100",
        "Body": body,
        "NumMedia": "0",
    }


def _post(client, form: dict[str, str], signature: str | None = None):
    if signature is None:
        signature = request_signature(TOKEN, BASE_URL + "/sms/inbound", form.items())
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def _reply(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    text = response.get_data(as_text=True)
    assert "<Response>" in text and "</Response>" in text
    return text.split("<Response>", 1)[1].rsplit("</Response>", 1)[0]


def _messages(app) -> list[InboundMessage]:
    with app.app_context():
        return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()


def _status(app, appointment_id: int) -> str:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).status


def _patient(app, patient_id: int) -> Patient:
    with app.app_context():
        return db.session.get(Patient, patient_id)


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IHRoZSBzaWduYXR1cmU=", request_signature("another-token", BASE_URL + "/sms/inbound", [])],
)
def test_a_request_without_the_providers_signature_is_refused_and_writes_nothing(
    app, client, texting, signature
):
    response = _post(client, _form("C"), signature=signature)
    assert response.status_code == 403
    assert _messages(app) == []
    assert _status(app, texting["first_visit"]) == "scheduled"


def test_a_signature_over_other_parameters_or_another_url_is_refused(app, client, texting):
    form = _form("STOP")
    signed_for_other_body = request_signature(
        TOKEN, BASE_URL + "/sms/inbound", {**form, "Body": "HELP"}.items()
    )
    assert _post(client, form, signature=signed_for_other_body).status_code == 403
    signed_for_other_url = request_signature(TOKEN, "https://evil.example/sms/inbound", form.items())
    assert _post(client, form, signature=signed_for_other_url).status_code == 403
    assert "sms" in _patient(app, texting["patient_id"]).reminder_channels


def test_without_an_auth_token_configured_every_request_is_refused(app, client, texting):
    app.config["TWILIO_AUTH_TOKEN"] = None
    assert _post(client, _form("C")).status_code == 403
    assert _messages(app) == []


@pytest.mark.parametrize("word", ["C", " yes ", "Confirm", "c."])
def test_c_yes_confirm_confirm_the_next_visit_within_seven_days(app, client, clock, texting, word):
    reply = _reply(_post(client, _form(word)))
    assert "<Message>" in reply
    assert "Riverside Clinic" in reply and "is confirmed" in reply
    assert "March 8" in reply and "9:00 AM" in reply  # plain spaces: a text stays in the GSM alphabet
    assert _status(app, texting["first_visit"]) == "confirmed"
    (message,) = _messages(app)
    assert (message.status, message.keyword, message.patient_id) == (
        "handled",
        "confirm",
        texting["patient_id"],
    )
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment.confirm")).one()
        assert event.object_id == str(texting["first_visit"]) and event.details == {"via": "sms"}


def test_confirming_with_no_visit_in_the_next_seven_days_asks_the_front_desk(app, client, clock, texting):
    clock.now = datetime(2027, 2, 20, 15, 0, tzinfo=UTC)  # the first visit is 16 days away
    reply = _reply(_post(client, _form("C")))
    assert "no visit in the next 7 days" in reply and "(617) 555-0100" in reply
    assert _status(app, texting["first_visit"]) == "scheduled"
    (message,) = _messages(app)
    assert (message.status, message.patient_id) == ("open", texting["patient_id"])


def test_stop_turns_text_reminders_off_and_start_turns_them_back_on(app, client, clock, texting):
    reply = _reply(_post(client, _form("STOP")))
    assert "no more text messages" in reply
    patient = _patient(app, texting["patient_id"])
    assert patient.reminder_channels == ["email"]
    assert patient.reminder_consent is True  # e-mail reminders go on

    clock.advance(minutes=5)
    reply = _reply(_post(client, _form("start")))
    assert "text reminders again" in reply
    assert sorted(_patient(app, texting["patient_id"]).reminder_channels) == ["email", "sms"]
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "patient.update").order_by(AuditEvent.id)
        ).all()
        assert [e.details for e in events[-2:]] == [{"fields": ["reminder_channels"], "via": "sms"}] * 2
    assert [m.keyword for m in _messages(app)] == ["stop", "start"]
    assert {m.status for m in _messages(app)} == {"handled"}


def test_help_answers_with_the_clinics_phone_in_national_format(app, client, texting):
    reply = _reply(_post(client, _form("Help")))
    assert "(617) 555-0100" in reply
    assert "+1617" not in reply


def test_any_other_text_becomes_an_open_message_linked_to_the_patient(app, client, texting):
    reply = _reply(_post(client, _form("Can I come at 10 instead? <b>thanks</b> & bye")))
    assert "front desk will read your message" in reply
    (message,) = _messages(app)
    assert (message.status, message.patient_id, message.keyword) == ("open", texting["patient_id"], None)
    assert message.body == "Can I come at 10 instead? <b>thanks</b> & bye"
    assert _status(app, texting["first_visit"]) == "scheduled"


def test_a_text_from_an_unknown_number_is_kept_unlinked_and_not_answered(app, client, texting):
    response = _post(client, _form("C", sender="+16175559999"))
    assert _reply(response) == ""
    (message,) = _messages(app)
    assert (message.status, message.patient_id, message.from_number) == ("open", None, "+16175559999")
    assert _status(app, texting["first_visit"]) == "scheduled"


def test_a_number_two_patients_share_links_neither_and_confirms_nothing(app, client, texting):
    with app.app_context():
        make_patient(phone=PHONE)
        db.session.commit()
    _post(client, _form("C"))
    (message,) = _messages(app)
    assert (message.status, message.patient_id) == ("open", None)
    assert _status(app, texting["first_visit"]) == "scheduled"


def test_a_repeated_delivery_of_one_text_is_stored_once_and_answered_once(app, client, texting):
    form = _form("Running late", sid="SM" + "7" * 32)
    assert "<Message>" in _reply(_post(client, form))
    assert _reply(_post(client, form)) == ""
    assert len(_messages(app)) == 1


def test_a_signed_request_without_a_sender_names_the_field(app, client, texting):
    form = _form("C")
    del form["From"]
    response = _post(client, form)
    assert response.status_code == 400
    assert "From" in response.get_data(as_text=True)
    assert _messages(app) == []


def test_replies_name_neither_the_drug_nor_a_diagnosis(app, client, clock, texting):
    replies = [_reply(_post(client, _form(word))) for word in ("C", "HELP", "Question", "STOP", "START")]
    clock.now += timedelta(days=30)
    replies.append(_reply(_post(client, _form("C"))))
    for reply in replies:
        assert reply.startswith("<Message>")
        lowered = reply.lower()
        assert not [word for word in SMS_FORBIDDEN_WORDS if word in lowered], reply
