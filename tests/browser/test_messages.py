"""A patient's text reaches the live server through the signed webhook; the front desk reads it on a phone
and on a laptop without sideways scrolling, and marks it handled."""

import urllib.parse
import urllib.request

import pytest

from clinic.extensions import db
from clinic.models.patient import Patient
from clinic.notify.twilio import request_signature
from tests.factories import DEFAULT_PASSWORD, make_clinic, make_user

pytestmark = pytest.mark.browser

TOKEN = "twilio-auth-token"


def _text(live_server, body: str, sid: str) -> str:
    form = {"MessageSid": sid, "From": "+16175550142", "To": "+16175550100", "Body": body}
    signature = request_signature(TOKEN, live_server.url + "/sms/inbound", form.items())
    request = urllib.request.Request(  # noqa: S310 - the local test server
        live_server.url + "/sms/inbound",
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local test server
        return response.read().decode()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 900)])
def test_the_front_desk_reads_a_text_and_marks_it_handled(app, live_server, page, clock, width, height):
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, CLINIC_BASE_URL=live_server.url)
    with app.app_context():
        clinic = make_clinic(phone="+16175550100")
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.first_name, patient.last_name, patient.phone = "Avery", "Lindqvist", "+16175550142"
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    long_word = "https://example.org/" + "a" * 120
    assert "front desk will read" in _text(
        live_server, f"Can my sister drive me? {long_word}", "SM-browser-1"
    )

    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/messages/")
    card = page.locator("article.inbound-message")
    assert card.count() == 1
    assert "Avery Lindqvist" in card.inner_text() and "Can my sister drive me?" in card.inner_text()
    assert "10:00" in card.inner_text()  # 15:00 UTC, shown in Boston time
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    button = card.get_by_role("button", name="Mark handled")
    assert button.bounding_box()["height"] < 60  # one line, not a squeezed pill
    button.click()
    page.get_by_text("The message is marked as handled.").wait_for()
    assert page.locator("article.inbound-message").count() == 0
    assert page.get_by_text("No open messages.").is_visible()
