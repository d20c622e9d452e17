import pytest

from clinic.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _user(app, role: str, email: str) -> None:
    with app.app_context():
        make_user(role, email=email)
        db.session.commit()


def test_staff_signs_in_through_the_login_page_and_out_again(app, page):
    _user(app, "frontdesk", "desk@example.com")
    page.goto("/patients/")
    assert "/login" in page.url
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients/")
    assert "desk@example.com" in page.get_by_test_id("signed-in-user").inner_text()
    assert page.get_by_role("link", name="Patients").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_shows_an_error(app, page):
    _user(app, "frontdesk", "desk@example.com")
    page.goto("/login")
    page.get_by_label("E-mail").fill("desk@example.com")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Wrong e-mail or password")


def test_api_docs_render_without_network(app, page):
    page.goto("/api/docs")
    page.get_by_text("/api/v1/locations", exact=True).first.wait_for()
    assert page.locator(".opblock").count() > 10
