"""Booking in a browser at a desk (1366x900) and on a phone (390x844): the front desk reaches the forms
through the one menu (folded behind a Menu button on the phone), fills them, and the buttons that preview and
book are in view and clickable, with no sideways page scroll at any step."""

import pytest

from clinic.extensions import db
from tests.browser.test_accessibility import serious_violations
from tests.factories import DEFAULT_PASSWORD, make_clinic, make_patient, make_user

pytestmark = pytest.mark.browser

SIZES = [pytest.param((1366, 900), id="desk"), pytest.param((390, 844), id="phone")]


def follow_menu(page, name: str) -> None:
    """Follow a link of the site menu the way a user does: on a narrow screen the links are folded away until
    the Menu button opens them."""
    menu = page.get_by_role("button", name="Menu")
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)
    if menu.is_visible():
        assert not link.is_visible()
        menu.click()
    link.click()


def assert_no_sideways_scroll(page) -> None:
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url} is {width} px wide on a {viewport} px screen"


def assert_clickable(page, button) -> None:
    """The button is on screen after scrolling to it, inside the viewport's width, and nothing covers it."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["height"] >= 24 and box["width"] >= 44  # a target a thumb can hit
    covered = button.evaluate(
        """b => { const r = b.getBoundingClientRect();
                  const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                  return !(top === b || b.contains(top)); }"""
    )
    assert not covered, "something covers the button"


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("size", SIZES)
def test_front_desk_books_a_series_and_finds_it_on_today(app, page, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    with app.app_context():
        clinic = make_clinic()
        make_patient(first_name="Riley", last_name="Castellanos")
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()

    sign_in(page, "desk@example.com")
    follow_menu(page, "Book a series")
    page.wait_for_url("**/book/")  # waits for the load event: htmx must be bound before typing
    menu = page.get_by_role("navigation", name="Main")
    current = menu.get_by_role("link", name="Book a series", include_hidden=True)  # folded away on a phone
    assert current.get_attribute("aria-current") == "page"
    assert_no_sideways_scroll(page)

    page.get_by_label("Find patient").fill("Castel")
    page.get_by_label("Castellanos, Riley", exact=False).check()
    page.get_by_label("Protocol").select_option("iv-ketamine-induction")
    page.get_by_label("Location").select_option(str(clinic["location_id"]))
    page.get_by_label("Provider").select_option(str(clinic["provider_id"]))
    page.get_by_label("First dose on").fill("2027-03-08")
    page.get_by_label("At (local time)").fill("10:00")
    preview_button = page.get_by_role("button", name="Preview")
    assert_clickable(page, preview_button)
    preview_button.click()

    preview = page.get_by_test_id("series-preview")
    preview.wait_for()
    assert preview.locator(".badge-ok").count() == 8
    first = preview.locator("tbody tr").first.inner_text()
    assert "Dose 1" in first and "Mon, Mar 8, 2027, 10:00\u2009–\u200911:55\u202fAM" in first
    assert_no_sideways_scroll(page)
    assert serious_violations(page) == []  # the preview htmx put in the page, too

    book = page.get_by_role("button", name="Book these 8 visits")
    assert_clickable(page, book)
    book.click()
    page.wait_for_url("**/today/**")
    assert page.get_by_text("Booked 8 visits for Riley Castellanos.").is_visible()
    assert_no_sideways_scroll(page)
    visits = page.get_by_test_id("visit")
    assert visits.count() == 1
    assert "Riley Castellanos" in visits.first.inner_text()
    assert "10:00" in visits.first.inner_text() and "11:55" in visits.first.inner_text()

    page.get_by_role("link", name="Next day →").click()
    page.get_by_role("link", name="Next day →").click()
    page.wait_for_url("**date=2027-03-10**")
    assert "Riley Castellanos" in page.get_by_test_id("visit").first.inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_front_desk_books_a_consult_and_a_refused_time_says_why(app, page, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    with app.app_context():
        clinic = make_clinic()
        make_patient(first_name="Dana", last_name="Okonkwo")
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()

    sign_in(page, "desk@example.com")
    follow_menu(page, "Book a visit")
    page.wait_for_url("**/book/visit")
    assert_no_sideways_scroll(page)

    page.get_by_label("Find patient").fill("Okon")
    page.get_by_label("Okonkwo, Dana", exact=False).check()
    page.locator("select[name=kind]").select_option("consult")
    page.locator("select[name=location_id]").select_option(str(clinic["location_id"]))
    page.locator("select[name=provider_id]").select_option(str(clinic["provider_id"]))
    page.get_by_label("On", exact=True).fill("2027-03-06")  # a Saturday: the clinic is closed
    page.get_by_label("At (local time)").fill("10:00")
    book = page.get_by_role("button", name="Book the visit")
    assert_clickable(page, book)
    book.click()
    refusal = page.get_by_test_id("visit-conflict")
    assert "Nothing was booked" in refusal.inner_text()
    assert_no_sideways_scroll(page)
    assert serious_violations(page) == []

    page.get_by_label("Okonkwo, Dana", exact=False).check()
    page.get_by_label("On", exact=True).fill("2027-03-03")
    page.get_by_label("At (local time)").fill("10:00")
    page.get_by_label("Length in minutes (not for doses)").fill("45")
    book = page.get_by_role("button", name="Book the visit")
    assert_clickable(page, book)
    book.click()
    page.wait_for_url("**/appointments/**")
    assert page.get_by_text("Booked: consult for Dana Okonkwo on").is_visible()
    assert "10:00" in page.get_by_test_id("visit-time").inner_text()
    assert "10:45" in page.get_by_test_id("visit-time").inner_text()
    assert_no_sideways_scroll(page)
