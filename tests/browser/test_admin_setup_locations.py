"""An admin sets up a location through the pages: its details and weekly hours (two spans on a Monday), the
US public holidays of 2027 as closure days, and a Spravato room there."""

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.location import Location
from tests.browser.test_floor_session import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_an_admin_sets_up_a_location_with_hours_holidays_and_a_chair(app, page, clock):
    with app.app_context():
        make_user("admin", email="admin@example.com")
        db.session.commit()
    sign_in(page, "admin@example.com")
    page.get_by_role("link", name="Clinic setup").first.click()
    page.get_by_role("link", name="Locations").click()
    page.get_by_role("button", name="New location").click()

    page.get_by_label("Name", exact=True).fill("Harbor Clinic")
    page.get_by_label("Public name").fill("Harbor Health")
    page.get_by_label("Address").fill("1 Harbor Way, Boston, MA")
    page.get_by_label("Phone").fill("617-555-0100")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Monday").fill("08:00-12:00, 11:00-18:00")  # overlapping: refused, naming the day
    page.get_by_role("button", name="Create location").click()
    assert "Monday: 11:00-18:00 overlaps 08:00-12:00" in page.get_by_test_id("error-hours_mon").inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "Harbor Clinic"  # what was typed stays

    page.get_by_label("Monday").fill("08:00-12:00, 13:00-18:00")
    page.get_by_label("Saturday").fill("09:00-13:00")
    page.get_by_label("Medical transport").uncheck()
    page.get_by_role("button", name="Create location").click()
    assert "Location Harbor Clinic created" in flash(page)
    assert page.get_by_label("Monday").input_value() == "08:00-12:00, 13:00-18:00"

    holidays = page.get_by_test_id("holidays-form")
    holidays.get_by_label("Country").select_option("US")
    holidays.get_by_label("Years").fill("2027")
    holidays.get_by_role("button", name="Import holidays").click()
    # The federal holidays and their observed days; those before today (1 March) are counted, not listed.
    assert "15 public holidays of 2027 added as closure days" in flash(page)
    assert page.get_by_test_id("closure").count() == 12
    assert "3 earlier closure days not shown" in page.get_by_test_id("closures").inner_text()
    assert "Independence Day" in page.locator('[data-testid="closure"][data-date="2027-07-04"]').inner_text()
    observed = page.locator('[data-testid="closure"][data-date="2027-07-05"]')
    assert "Independence Day (observed)" in observed.inner_text()
    assert "Mon, Jul 5, 2027" in observed.inner_text()

    page.get_by_role("link", name="Locations").first.click()
    row = page.get_by_test_id("locations").locator("tr", has_text="Harbor Clinic")
    assert "Mon 08:00-12:00, 13:00-18:00" in row.inner_text()
    assert "Patients see: Harbor Health" in row.inner_text()

    page.get_by_role("link", name="Clinic setup").first.click()
    page.get_by_role("link", name="Chairs and rooms").click()
    page.get_by_role("button", name="New chair or room").click()
    page.get_by_label("Name").fill("Spravato room 1")
    page.get_by_label("Location").select_option(label="Harbor Clinic")
    page.get_by_label("Kind").select_option(label="Spravato room")
    page.get_by_role("button", name="Add chair or room").click()
    assert "Spravato room 1 added at Harbor Clinic" in flash(page)
    chairs = page.get_by_test_id("chairs-at-location").filter(has_text="Harbor Clinic")
    assert "Spravato room 1" in chairs.inner_text()

    with app.app_context():
        location = db.session.scalars(select(Location)).one()
        assert location.opening_hours["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
        assert location.phone == "+16175550100"
        assert location.allowed_transport_modes == ["driver", "taxi"]
        chair = db.session.scalars(select(Chair)).one()
        assert (chair.location_id, chair.kind, chair.active) == (location.id, "spravato_room", True)
