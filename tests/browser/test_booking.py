import pytest

from clinic.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_clinic, make_patient, make_user

pytestmark = pytest.mark.browser


def test_front_desk_books_a_series_and_finds_it_on_today(app, page):
    with app.app_context():
        clinic = make_clinic()
        make_patient(first_name="Riley", last_name="Castellanos")
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Book a series").click()
    page.wait_for_url("**/book/")  # waits for the load event: htmx must be bound before typing

    page.get_by_label("Find patient").fill("Castel")
    page.get_by_label("Castellanos, Riley", exact=False).check()
    page.get_by_label("Protocol").select_option("iv-ketamine-induction")
    page.get_by_label("Location").select_option(str(clinic["location_id"]))
    page.get_by_label("Provider").select_option(str(clinic["provider_id"]))
    page.get_by_label("First dose on").fill("2027-03-08")
    page.get_by_label("At (local time)").fill("10:00")
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("series-preview")
    preview.wait_for()
    assert preview.locator(".badge-ok").count() == 8
    assert "Mon 2027-03-08 10:00–11:55" in preview.inner_text()

    page.get_by_role("button", name="Book these 8 visits").click()
    page.wait_for_url("**/today/**")
    assert page.get_by_text("Booked 8 visits for Riley Castellanos.").is_visible()
    visits = page.get_by_test_id("visit")
    assert visits.count() == 1
    assert "Riley Castellanos" in visits.first.inner_text()
    assert "10:00–11:55" in visits.first.inner_text()

    page.get_by_role("link", name="Next day →").click()
    page.get_by_role("link", name="Next day →").click()
    page.wait_for_url("**date=2027-03-10**")
    assert "Riley Castellanos" in page.get_by_test_id("visit").first.inner_text()


def test_front_desk_books_a_consult_and_a_refused_time_says_why(app, page):
    with app.app_context():
        clinic = make_clinic()
        make_patient(first_name="Dana", last_name="Okonkwo")
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Book a visit").click()
    page.wait_for_url("**/book/visit")

    page.get_by_label("Find patient").fill("Okon")
    page.get_by_label("Okonkwo, Dana", exact=False).check()
    page.locator("select[name=kind]").select_option("consult")
    page.locator("select[name=location_id]").select_option(str(clinic["location_id"]))
    page.locator("select[name=provider_id]").select_option(str(clinic["provider_id"]))
    page.get_by_label("On", exact=True).fill("2027-03-06")  # a Saturday: the clinic is closed
    page.get_by_label("At (local time)").fill("10:00")
    page.get_by_role("button", name="Book the visit").click()
    refusal = page.get_by_test_id("visit-conflict")
    assert "Nothing was booked" in refusal.inner_text()

    page.get_by_label("Okonkwo, Dana", exact=False).check()
    page.get_by_label("On", exact=True).fill("2027-03-03")
    page.get_by_label("At (local time)").fill("10:00")
    page.get_by_label("Length in minutes (not for doses)").fill("45")
    page.get_by_role("button", name="Book the visit").click()
    page.wait_for_url("**/appointments/**")
    assert page.get_by_text("Booked: consult for Dana Okonkwo on Wed 03 Mar 10:00.").is_visible()
    assert "10:00–10:45" in page.get_by_test_id("visit-time").inner_text()
