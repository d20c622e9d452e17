"""Texts go out through Twilio's Messages API: a real local HTTP server stands in for Twilio and checks the
request it receives; its errors become the outbox's retry or failure."""

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.reminder import Reminder
from clinic.notify.base import DeliveryError, OutgoingMessage
from clinic.notify.channels import build_channels
from clinic.notify.sms import HttpSmsChannel
from clinic.notify.twilio import TwilioSmsChannel, request_signature, signature_valid
from clinic.services.appointments import book_appointment
from tests.delivery import free_port
from tests.factories import FACTORY_ACTOR, make_clinic, make_patient

SID, TOKEN, SENDER = "AC0123456789abcdef0123456789abcdef", "twilio-auth-token", "+16175550100"


@dataclass
class FakeTwilio:
    """What the stand-in received: one (path, headers, form) per request."""

    base_url: str = ""
    requests: list[tuple[str, dict, dict]] = field(default_factory=list)
    fail_with: int | None = None
    error_body: dict = field(default_factory=dict)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server calls it by this name
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            fake.requests.append((self.path, dict(self.headers), form))
            status = fake.fail_with or 201
            payload = fake.error_body if fake.fail_with else {"sid": "SM" + "0" * 32, "status": "queued"}
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def on_twilio(app, smtp_server, twilio):
    controller, _ = smtp_server
    app.config.update(
        NOTIFY_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM=SENDER,
        TWILIO_BASE_URL=twilio.base_url,
        # Set too, to show Twilio wins when both are configured.
        SMS_GATEWAY_URL="http://127.0.0.1:9/unused",
    )
    return twilio


@pytest.fixture
def booked(app, clock):
    """A Spravato dose on Mon 8 March 2027 at 09:00 New York time for a patient who wants texts."""
    with app.app_context():
        clinic = make_clinic()
        patient = make_patient(
            reminder_channels=["sms"], phone="+16175550142", rems_enrolled_on=date(2027, 1, 4)
        )
        db.session.commit()
        appointment = book_appointment(
            {
                "patient_id": patient.id,
                "kind": "dose",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "chair_id": clinic["rooms"][0],
                "protocol": "spravato-induction",
                "start": datetime(2027, 3, 8, 14, 0, tzinfo=UTC),
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        return appointment.id


def _ride_check(app, appointment_id) -> Reminder:
    with app.app_context():
        return db.session.scalars(
            select(Reminder).where(
                Reminder.appointment_id == appointment_id,
                Reminder.kind == "ride_check",
                Reminder.channel == "sms",
            )
        ).one()


def _dispatch_ride_check(app, clock):
    clock.now = datetime(2027, 3, 5, 14, 0, tzinfo=UTC)  # the 72 h ride reminder is due
    with app.app_context():
        dispatch_due_reminders()


def _send_the_booking_confirmation(app, clock, on_twilio):
    """The word that the visit is booked goes out first, so what follows is the ride check alone."""
    with app.app_context():
        clock.now = db.session.scalar(select(Reminder.due_at).where(Reminder.kind == "confirmation"))
        assert dispatch_due_reminders()["sent"] == 1
    on_twilio.requests.clear()


def test_a_reminder_text_is_one_messages_api_request_in_twilios_shape(app, clock, booked, on_twilio):
    _send_the_booking_confirmation(app, clock, on_twilio)
    _dispatch_ride_check(app, clock)
    sent = [r for r in on_twilio.requests if r[2].get("To") == "+16175550142"]
    assert len(sent) == 1
    path, headers, form = sent[0]
    assert path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert set(form) == {"To", "From", "Body"}
    assert form["From"] == SENDER
    lowered = form["Body"].lower()
    assert "ride" in lowered and "ketamine" not in lowered and "spravato" not in lowered
    reminder = _ride_check(app, booked)
    assert (reminder.status, reminder.recipient) == ("sent", "+16175550142")


def test_a_twilio_server_error_is_retried_later(app, clock, booked, on_twilio):
    on_twilio.fail_with = 503
    _dispatch_ride_check(app, clock)
    reminder = _ride_check(app, booked)
    assert (reminder.status, reminder.attempts) == ("pending", 1)
    assert "503" in reminder.status_reason


def test_a_number_twilio_rejects_fails_at_once_with_twilios_error_code(app, clock, booked, on_twilio):
    on_twilio.fail_with = 400
    on_twilio.error_body = {"code": 21211, "message": "The 'To' number is not a valid phone number."}
    _dispatch_ride_check(app, clock)
    reminder = _ride_check(app, booked)
    assert (reminder.status, reminder.attempts) == ("failed", 1)
    assert "400" in reminder.status_reason and "21211" in reminder.status_reason


def test_throttling_and_an_unreachable_twilio_are_transient(twilio):
    message = OutgoingMessage("+16175550142", "", "Hello", "", "key-1")
    twilio.fail_with = 429
    with pytest.raises(DeliveryError) as throttled:
        TwilioSmsChannel(SID, TOKEN, SENDER, twilio.base_url).send(message)
    assert not throttled.value.permanent
    with pytest.raises(DeliveryError) as unreachable:
        TwilioSmsChannel(SID, TOKEN, SENDER, f"http://127.0.0.1:{free_port()}").send(message)
    assert not unreachable.value.permanent


def test_a_messaging_service_sender_is_sent_as_messaging_service_sid(twilio):
    TwilioSmsChannel(SID, TOKEN, "MG" + "1" * 32, twilio.base_url).send(
        OutgoingMessage("+16175550142", "", "Hello", "", "key-2")
    )
    assert twilio.requests[0][2] == {
        "To": "+16175550142",
        "MessagingServiceSid": "MG" + "1" * 32,
        "Body": "Hello",
    }


def test_twilio_is_chosen_when_an_account_sid_is_set(tmp_path):
    config = {
        "NOTIFY_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 25,
        "MAIL_SENDER": "c@x.invalid",
    }
    gateway = {**config, "SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}
    assert isinstance(build_channels(gateway, str(tmp_path))["sms"], HttpSmsChannel)
    both = {**gateway, "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": SENDER}
    assert isinstance(build_channels(both, str(tmp_path))["sms"], TwilioSmsChannel)


def test_the_signature_is_the_one_twilio_documents():
    # The example of Twilio's webhook security guide.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert request_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signature_valid("12345", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid(
        "12345", url, {**params, "Digits": "1235"}.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert not signature_valid(None, url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
