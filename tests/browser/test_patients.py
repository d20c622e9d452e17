"""The front desk registers a patient in the browser, is warned when registering the same person again, and
corrects the REMS enrolment date."""

import pytest

from clinic.extensions import db
from tests.browser.test_floor_session import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def fill_new_patient(page) -> None:
    page.goto("/patients/")
    page.get_by_role("button", name="New patient").click()
    page.get_by_label("First name").fill("Avery")
    page.get_by_label("Last name").fill("Lindqvist")
    page.get_by_label("Date of birth").fill("1984-02-29")
    page.get_by_label("E-mail", exact=True).fill("avery@example.com")
    page.get_by_label("Mobile phone").fill("(617) 555-0142")
    page.get_by_label("Text message reminders").check()
    page.get_by_label("Consent to reminders").check()
    page.get_by_label("REMS enrolment date").fill("2027-01-10")
    page.get_by_label("Emergency contact name").fill("Sam Lindqvist")
    page.get_by_label("Emergency contact phone").fill("617 555 0177")
    page.get_by_label("How they usually get home").select_option("driver")
    page.get_by_label("Driver or company").fill("Sam Lindqvist")
    page.get_by_label("Driver's phone").fill("617 555 0177")
    page.get_by_label("Notes").fill("Prefers the window chair.")


def test_the_front_desk_registers_a_patient_is_warned_of_a_duplicate_and_edits_the_rems_date(app, page):
    with app.app_context():
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    sign_in(page, "desk@example.com")

    fill_new_patient(page)
    page.get_by_role("button", name="Register patient").click()
    assert page.locator(".flash").first.inner_text() == "Registered Avery Lindqvist."
    record_url = page.url
    details = page.get_by_test_id("patient-details")
    assert details.get_by_test_id("rems-enrolment").inner_text() == "Sun, Jan 10, 2027"
    assert "(617) 555-0177" in details.get_by_test_id("emergency-contact").inner_text()
    assert "Driver (friend or family)" in details.get_by_test_id("default-ride").inner_text()

    # The same person again: a warning naming the record, and nothing saved until confirmed.
    fill_new_patient(page)
    page.get_by_role("button", name="Register patient").click()
    warning = page.get_by_test_id("duplicate-warning")
    assert "already be registered" in warning.inner_text()
    warning.get_by_role("link", name="Avery Lindqvist").click()
    assert page.url == record_url

    page.get_by_role("button", name="Edit").click()
    assert page.get_by_label("Mobile phone").input_value() == "+1 617-555-0142"
    page.get_by_label("REMS enrolment date").fill("2027-02-01")
    page.get_by_role("button", name="Save changes").click()
    assert page.url == record_url
    assert page.get_by_test_id("rems-enrolment").inner_text() == "Mon, Feb 1, 2027"

    page.goto("/patients/?q=lindqvist")
    assert page.get_by_role("link", name="Lindqvist, Avery").count() == 1  # the duplicate was never saved
