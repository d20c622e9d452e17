"""The visit page in a browser at a desk (1366x900) and on a phone (390x844): it never scrolls sideways, a
refused move keeps Move disabled and offers free times that fill the form and preview again, and a visit is
cancelled only after its confirmation step."""


import pytest

from tests.browser.test_floor_session import sign_in
from tests.factories import make_infusion_day

pytestmark = pytest.mark.browser


@pytest.fixture
def second_infusion(app, clock):
    """The second of Ines Alvarez's IV ketamine infusions (the first on Mon 8 March 2027 at 10:00 EST)."""
    with app.app_context():
        return make_infusion_day(clock.now, consult_patient_name=None)["series"][1]


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_move_with_a_suggested_time_then_cancel_with_confirmation(page, second_infusion, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "desk@example.com")
    page.goto(f"/appointments/{second_infusion}")
    assert page.get_by_test_id("visit-status").inner_text() == "scheduled"
    assert "Infusion" in page.get_by_test_id("visit-place").inner_text()
    _fits(page, width)

    # The day after the first infusion is refused (never on consecutive days): Move stays disabled and
    # free times nearby are offered.
    page.get_by_test_id("reschedule").locator("summary").click()
    page.get_by_label("New start").fill("2027-03-09T10:00")
    page.get_by_role("button", name="Preview the move").click()
    suggestions = page.get_by_test_id("move-suggestions").get_by_role("button")
    suggestions.first.wait_for()
    move = page.get_by_role("button", name="Move", exact=True)
    assert move.is_disabled()
    assert page.locator(".badge-conflict").count() >= 1
    _fits(page, width)

    # A suggestion fills the time and previews again; the move passes, so Move is enabled.
    chosen = suggestions.first
    chosen_label = chosen.inner_text()
    chosen_start = chosen.get_attribute("data-new-start")
    chosen.click()
    page.locator('#move-preview [data-move-ok="true"]').wait_for()
    assert page.get_by_label("New start").input_value() == chosen_start
    assert move.is_enabled()
    move.click()
    assert "Moved 1 visit(s)." in page.locator(".flash").first.inner_text()
    when = page.get_by_test_id("visit-time").inner_text()
    # The visit now starts on the suggested day at the suggested time ("Wed, Mar 10, 8:00 AM").
    day, _, _ = chosen_label.rpartition(", ")
    hour, minute = int(chosen_start[11:13]), chosen_start[14:16]
    assert when.startswith(day) and f"{hour % 12 or 12}:{minute}" in when
    _fits(page, width)

    # Cancelling asks first: the reason is required and only "Yes, cancel this visit" cancels.
    page.get_by_role("button", name="Cancel this visit…").click()
    page.get_by_test_id("confirm-cancel").wait_for()
    _fits(page, width)
    yes = page.get_by_role("button", name="Yes, cancel this visit")
    yes.click()  # no reason given: the browser keeps the page and nothing is sent
    assert page.get_by_test_id("confirm-cancel").is_visible()
    page.get_by_label("Why is the visit cancelled?").fill("Patient travelling")
    yes.click()
    page.wait_for_url(f"**/appointments/{second_infusion}")
    assert "Cancelled 1 visit(s)." in page.locator(".flash").first.inner_text()
    assert page.get_by_test_id("visit-status").inner_text() == "cancelled"
    assert page.get_by_test_id("cancel-reason").inner_text() == "Patient travelling"
    assert page.get_by_test_id("cancel-link").count() == 0
    assert page.get_by_test_id("reschedule").count() == 0
    _fits(page, width)
