"""A whole Spravato session run from the floor board with the clock frozen: the front desk checks the patient
in, the provider records the blood pressure, the dose, the 40-minute checks, is refused discharge while the
rules are not met, discharges once they are, and reads the REMS form filled from what happened."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.extensions import db
from clinic.models.patient import Patient
from tests.factories import DEFAULT_PASSWORD, book_series, make_clinic, make_user
from tests.sessions import RIDE_VERIFIED

pytestmark = pytest.mark.browser

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # Mon 8 March 09:00 EST, the first dose of the series


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def card(page):
    return page.get_by_test_id("chair").filter(has_text="Ines Alvarez")


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def record_bp(page, when: str, systolic: str, diastolic: str) -> None:
    action = card(page).get_by_test_id("bp-action")
    action.locator("summary").click()
    assert action.get_by_label("When").input_value() == when  # the board offers the check due next
    action.get_by_label("Systolic (mmHg)").fill(systolic)
    action.get_by_label("Diastolic (mmHg)").fill(diastolic)
    action.get_by_role("button", name="Save blood pressure").click()
    assert "Recorded." in flash(page)


def test_a_spravato_session_from_arrival_to_discharge_on_the_floor(app, page, clock, api_as):
    with app.app_context():
        clinic = make_clinic()
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.first_name, patient.last_name = "Ines", "Alvarez"
        series = book_series(clinic, clock.now)
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        visit = series.appointments[0].id
    clock.now = START - timedelta(minutes=20)
    desk_api = api_as("frontdesk")
    assert desk_api.put(f"/api/v1/appointments/{visit}/transport", json=RIDE_VERIFIED).status_code == 200

    # The front desk sees the patient arriving and checks her in from the board.
    sign_in(page, "desk@example.com")
    page.goto("/floor/")
    assert card(page).get_by_test_id("phase").inner_text() == "arriving"
    assert card(page).get_by_test_id("bp-action").count() == 0  # measurements are the provider's
    card(page).get_by_role("button", name="Check in").click()
    assert "Checked in (Ines Alvarez)" in flash(page)
    assert card(page).get_by_test_id("phase").inner_text() == "checked in"
    page.get_by_role("button", name="Sign out").click()

    # The provider takes the blood pressure and gives the dose.
    clock.advance(minutes=5)
    sign_in(page, "doc@example.com")
    page.goto("/floor/")
    record_bp(page, "pre", "128", "82")
    dose = card(page).get_by_test_id("dose-action")
    dose.locator("summary").click()
    dose.get_by_label("Dose (mg)").select_option("56")
    dose.get_by_label("Lot number").fill("LOT-2027-A")
    dose.get_by_role("button", name="Save dose").click()
    assert "Dose recorded (Ines Alvarez)" in flash(page)
    assert card(page).get_by_test_id("phase").inner_text() == "monitoring"
    assert "10:45" in card(page).get_by_test_id("monitoring-until").inner_text()  # dose 08:45 + 120 min

    # Forty minutes later the check at 40 minutes is due; sedation and dissociation are assessed.
    clock.advance(minutes=41)
    page.goto("/floor/")
    next_check = card(page).get_by_test_id("next-check")
    assert "OVERDUE" in next_check.inner_text()
    record_bp(page, "post40", "138", "88")
    sedation = card(page).get_by_test_id("sedation-action")
    sedation.locator("summary").click()
    sedation.get_by_label("MOAA/S (0-5)").fill("5")
    sedation.get_by_label("CADSS (0-92)").fill("4")
    sedation.get_by_role("button", name="Save sedation").click()
    assert "Recorded." in flash(page)

    # Discharge is refused while the monitoring time runs and the discharge BP is missing.
    card(page).get_by_role("button", name="Discharge").click()
    refusal = flash(page)
    assert "Not discharged (Ines Alvarez)" in refusal
    assert "monitored for 120 minutes" in refusal and "bp_discharge" in refusal
    assert card(page).get_by_test_id("phase").inner_text() == "monitoring"

    clock.advance(minutes=65)  # 10:31: the discharge check is due (15 minutes before the two hours end)
    page.goto("/floor/")
    record_bp(page, "discharge", "124", "80")
    clock.advance(minutes=15)  # 10:46: past the two hours
    page.goto("/floor/")
    assert card(page).get_by_test_id("phase").inner_text() == "ready"
    card(page).get_by_role("button", name="Discharge").click()
    assert "Discharged (Ines Alvarez)" in flash(page)
    assert card(page).get_by_test_id("phase").inner_text() == "discharged"

    # The REMS form is filled from the session.
    page.goto(f"/appointments/{visit}/rems-form")
    form = page.get_by_test_id("rems-form")
    assert page.get_by_test_id("rems-session-date").inner_text() == "Mon, Mar 8, 2027"
    assert page.get_by_test_id("rems-monitoring-minutes").inner_text() == "121 minutes"
    text = form.inner_text()
    assert "56.0 mg (2 devices)" in text and "LOT-2027-A" in text
    assert "128/82" in text and "138/88" in text and "124/80" in text
