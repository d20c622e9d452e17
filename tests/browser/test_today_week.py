"""Today and Week in a browser at a desk (1366x900) and on a phone (390x844), reached through the menu: a
visit fills every quarter hour it holds, every chair is reachable, the filters sit on one line at normal
height, the grids scroll inside their boxes and never the page, and the week lists the visits."""

from datetime import UTC, date, datetime, time

import pytest

from clinic.extensions import db
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.services.appointments import book_appointment
from clinic.services.series import create_series
from tests.browser.test_booking import assert_no_sideways_scroll, follow_menu
from tests.browser.test_floor_session import sign_in
from tests.factories import FACTORY_ACTOR, make_chair, make_clinic, make_patient, make_provider, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_day(app, clock):
    """Six infusion chairs and two rooms; an infusion 10:00-11:55 in Infusion 1 and a consult at 16:00."""
    with app.app_context():
        ids = make_clinic()
        location = db.session.get(Location, ids["location_id"])
        for n in (3, 4, 5, 6):
            make_chair(location, name=f"Infusion {n}", kind="infusion_chair")
        patient = db.session.get(Patient, ids["patient_id"])
        patient.first_name, patient.last_name = "Ines", "Alvarez"
        create_series(
            {
                "patient_id": ids["patient_id"],
                "protocol": "iv-ketamine-induction",
                "location_id": ids["location_id"],
                "provider_id": ids["provider_id"],
                "start_date": date(2027, 3, 8),
                "start_time": time(10),
                "parameters": {},
            },
            FACTORY_ACTOR,
            clock.now,
        )
        book_appointment(
            {
                "patient_id": make_patient(first_name="Noor", last_name="Haddad").id,
                "kind": "consult",
                "location_id": location.id,
                "provider_id": make_provider(location, name="Dr Okafor").id,
                "start": datetime(2027, 3, 8, 21, 0, tzinfo=UTC),  # 16:00 in New York
            },
            FACTORY_ACTOR,
            clock.now,
        )
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return ids


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


SIZES = [pytest.param(1366, 900, id="desk"), pytest.param(390, 844, id="phone")]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_day_grid_and_the_week_at_a_desk_and_on_a_phone(page, busy_day, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "desk@example.com")
    follow_menu(page, "Today")  # on the phone through the Menu button
    page.wait_for_url("**/today/")
    menu = page.get_by_role("navigation", name="Main")
    assert menu.get_by_role("link", name="Today", include_hidden=True).get_attribute("aria-current") == "page"
    page.goto(f"/today/?location_id={busy_day['location_id']}&date=2027-03-08")

    # The page itself never scrolls sideways; the grid scrolls inside its own box.
    assert_no_sideways_scroll(page)
    scroller = page.get_by_test_id("day-grid-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")

    # The 10:00-11:55 infusion covers 10:00 to 12:00: as tall as the two hours from 10:00 to 12:00.
    infusion = page.get_by_test_id("visit").filter(has_text="Ines Alvarez")
    ten, twelve = (_box(page.locator(".hour-label", has_text=label)) for label in ("10:00", "12:00"))
    block = _box(infusion)
    assert abs(block["y"] - ten["y"]) < 4
    assert abs(block["height"] - (twelve["y"] - ten["y"])) < 6

    # Every lane can be scrolled to; the chair headers and the times stay in view while scrolling.
    lanes = page.get_by_test_id("lane")
    assert lanes.count() == 9  # six chairs, two rooms, and Dr Okafor's visits without a chair
    header = lanes.first
    top_before = _box(header)["y"]
    scroller.evaluate("e => { e.scrollTop = e.scrollHeight; e.scrollLeft = e.scrollWidth; }")
    assert abs(_box(header)["y"] - top_before) < 2
    assert page.evaluate("window.scrollX") == 0  # the box scrolled, not the page
    consult = page.get_by_test_id("visit").filter(has_text="Noor Haddad")
    consult.scroll_into_view_if_needed()
    assert consult.is_visible()
    time_label = page.locator(".hour-label", has_text="4:00")
    assert _box(time_label)["x"] <= _box(scroller)["x"] + 2

    # The filters: the kind select and the Show button side by side, at the same normal height.
    show = page.get_by_role("button", name="Show")
    kind = page.get_by_label("Kind of visit")
    show_box, kind_box = _box(show), _box(kind)
    assert show_box["height"] < 60 and abs(show_box["height"] - kind_box["height"]) < 8
    assert abs(show_box["y"] - kind_box["y"]) < 8 and show_box["width"] < width / 2
    kind.select_option("consult")
    show.click()
    assert page.get_by_test_id("visit").count() == 1

    # The week of that day, by chair then by provider.
    page.get_by_role("link", name="This week").click()
    assert "week of Monday, March 8, 2027" in page.locator("h1").inner_text()
    assert_no_sideways_scroll(page)
    page.goto(f"/week/?location_id={busy_day['location_id']}&date=2027-03-08")
    visits = page.get_by_test_id("week-visit")
    assert (
        visits.filter(has_text="Ines Alvarez").count() >= 2
        and visits.filter(has_text="Noor Haddad").count() == 1
    )
    page.get_by_role("link", name="By provider").click()
    rows = page.get_by_test_id("week-row")
    assert rows.filter(has_text="Dr Okafor").count() == 1
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name="Next week →").click()
    assert "week of Monday, March 15, 2027" in page.locator("h1").inner_text()
    assert page.get_by_test_id("week-visit").filter(has_text="Noor Haddad").count() == 0


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_day_that_cannot_be_read_is_named_not_replaced(page, busy_day, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "desk@example.com")
    response = page.goto(f"/today/?location_id={busy_day['location_id']}&date=garbage")
    assert response.status == 400
    assert "Enter the day as YYYY-MM-DD" in page.locator("form").filter(has_text="Day").inner_text()
    message = page.get_by_text("Enter the day as YYYY-MM-DD")
    assert message.is_visible() and message.bounding_box()["y"] < height  # in view without scrolling
    assert_no_sideways_scroll(page)
