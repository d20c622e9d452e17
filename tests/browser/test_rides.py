import re
from datetime import UTC, datetime

import pytest

from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.services.appointments import book_appointment
from tests.factories import DEFAULT_PASSWORD, FACTORY_ACTOR, make_clinic, make_patient, make_user

pytestmark = pytest.mark.browser


def test_patient_confirms_the_ride_on_a_phone_and_the_desk_checks_them_in(
    app, chromium, live_server, page, clock, live_channels
):
    mailbox, _ = live_channels
    app.config["CLINIC_BASE_URL"] = live_server.url
    with app.app_context():
        clinic = make_clinic()
        patient = make_patient(first_name="Avery", last_name="Lindqvist", reminder_channels=["email"])
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        book_appointment(
            {
                "patient_id": patient.id,
                "kind": "dose",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "chair_id": clinic["chairs"][0],
                "start": datetime(2027, 3, 4, 15, 0, tzinfo=UTC),
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        dispatch_due_reminders()  # the 72-hour ride reminder is due now

    [ride_mail] = [m for m in mailbox.messages if ":ride_check:" in m["X-Clinic-Idempotency-Key"]]
    text, _ = mailbox.bodies(ride_mail)
    link = re.search(r"https?://\S+/ride/\S+", text).group(0)

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        patient_page = phone.new_page()
        patient_page.goto(link)
        assert patient_page.get_by_role("heading", name="Your ride home").is_visible()
        form_width = patient_page.locator("form").bounding_box()["width"]
        assert form_width <= 390
        patient_page.get_by_label("Driver's name").fill("Sam Lindqvist")
        patient_page.get_by_label("Their phone number").fill("617 555 0177")
        patient_page.get_by_role("button", name="Confirm my ride").click()
        assert "Sam Lindqvist" in patient_page.get_by_test_id("ride-confirmed").inner_text()
    finally:
        phone.close()

    clock.now = datetime(2027, 3, 4, 14, 50, tzinfo=UTC)  # ten minutes before the visit: check-in is open
    page.goto("/login")
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/today/?location_id={clinic['location_id']}&date=2027-03-04")
    badge = page.get_by_test_id("ride-badge")
    assert badge.inner_text() == "ride: confirmed"
    page.get_by_test_id("visit").first.click()
    page.get_by_role("button", name="Check in").click()
    assert page.get_by_text("Checked in.").is_visible()
    assert page.get_by_test_id("visit-status").inner_text() == "checked in"
