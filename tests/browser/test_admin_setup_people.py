"""An admin sets up a provider (two weekly windows and time off) and two staff accounts from the pages, and
the new accounts sign in."""

import pytest

from clinic.extensions import db
from tests.browser.test_floor_session import sign_in
from tests.factories import make_location, make_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "harbor-lantern-quietly-47"


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_an_admin_sets_up_a_provider_and_their_accounts(app, page):
    with app.app_context():
        make_location(name="Riverside", timezone="America/New_York")
        make_user("admin", email="admin@example.com")
        db.session.commit()

    sign_in(page, "admin@example.com")
    page.locator("header").get_by_role("link", name="Clinic setup").click()
    page.get_by_role("link", name="Providers").click()
    page.get_by_role("button", name="Add a provider").click()
    page.get_by_label("Name").fill("Ana Ruiz, RN")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_label("E-mail").fill("ana.ruiz@example.com")
    page.get_by_label("Concurrent dosing visits").fill("2")
    page.get_by_role("button", name="Add provider").click()
    assert "Added Ana Ruiz, RN" in flash(page)

    # Two weekly windows, the second on another day.
    # Typed in 24-hour form, shown in the location's locale (en_US).
    for weekday, start, end, shown in (
        ("Monday", "08:00", "12:00", "8:00\u202fAM to 12:00\u202fPM"),
        ("Wednesday", "13:00", "17:30", "1:00\u202fPM to 5:30\u202fPM"),
    ):
        form = page.get_by_test_id("availability-form")
        form.get_by_label("Weekday").select_option(label=weekday)
        form.get_by_label("From", exact=True).fill(start)
        form.get_by_label("To", exact=True).fill(end)
        form.get_by_label("Location").select_option(label="Riverside")
        form.get_by_role("button", name="Add window").click()
        assert f"Added {weekday} {shown} at Riverside" in flash(page)
    rows = page.get_by_test_id("availability-row")
    assert rows.count() == 2
    assert "Wednesday" in rows.nth(1).inner_text() and "5:30\u202fPM" in rows.nth(1).inner_text()

    # Time off in the location's local time.
    form = page.get_by_test_id("time-off-form")
    form.get_by_label("From", exact=True).fill("2027-03-15T08:00")
    form.get_by_label("To", exact=True).fill("2027-03-19T18:00")
    assert "Riverside" in form.get_by_label("Times are local to").locator("option:checked").inner_text()
    form.get_by_label("Reason").fill("Training course")
    form.get_by_role("button", name="Add time off").click()
    assert "Time off added" in flash(page)
    time_off = page.get_by_test_id("time-off-row")
    assert time_off.count() == 1
    shown = time_off.inner_text()
    assert "Mon, Mar 15, 2027, 8:00\u202fAM" in shown and "Training course" in shown

    # A front desk account, then a provider account linked to the new provider (first forgetting the link).
    page.locator("header").get_by_role("link", name="Clinic setup").click()
    page.get_by_role("link", name="Staff accounts").click()
    for email, role in (("desk.two@example.com", "Front desk"), ("ana.ruiz@example.com", "Provider")):
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Role").select_option(label=role)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Create account").click()
        if role == "Provider":
            assert page.locator(".field-error").inner_text() == "Choose the provider this account signs in as"
            page.get_by_label("Linked provider").select_option(label="Ana Ruiz, RN (nurse)")
            page.get_by_label("Password").fill(NEW_PASSWORD)  # a refused form never shows the password again
            page.get_by_role("button", name="Create account").click()
        assert f"Created the account {email}" in flash(page)
    listed = page.get_by_test_id("user-row").filter(has_text="ana.ruiz@example.com").inner_text()
    assert "Provider" in listed and "Ana Ruiz, RN" in listed and "never" in listed

    for email in ("desk.two@example.com", "ana.ruiz@example.com"):
        page.get_by_role("button", name="Sign out").click()
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        assert email in page.get_by_test_id("signed-in-user").inner_text()
