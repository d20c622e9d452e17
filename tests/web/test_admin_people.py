"""The admin's pages for providers (details, weekly availability, time off) and staff accounts."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff
from clinic.models.user import User
from tests.factories import book_series, make_clinic, make_location, make_user
from tests.web.test_login import _sign_in, _token_from

STRONG = "harbor-lantern-quietly-47"


@pytest.fixture
def clinic(app, clock):
    with app.app_context():
        clinic = make_clinic()
        make_user("admin", email="admin@example.com")
        db.session.commit()
        return clinic


@pytest.fixture
def admin(app, client, clinic):
    assert _sign_in(client, email="admin@example.com").status_code == 302
    return client


def _post(client, path, data, page=None):
    token = _token_from(client.get(page or path).data)
    return client.post(path, data={**data, "csrf_token": token})


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _field_error(html: str, field_id: str) -> str:
    """The error shown under the field with this id."""
    match = re.search(rf'id="{field_id}".*?</label>\s*<small class="field-error">([^<]+)</small>', html, re.S)
    assert match, f"no error next to {field_id}"
    return match.group(1)


def _new_provider(admin, **fields):
    data = {
        "name": "Ana Ruiz, RN",
        "role": "nurse",
        "email": "ana@example.com",
        "max_concurrent": "2",
        **fields,
    }
    return _post(admin, "/admin/providers/new", data)


def _provider_id(app, email="ana@example.com") -> int:
    with app.app_context():
        return db.session.scalar(select(Provider.id).where(Provider.email == email))


def test_the_admin_adds_a_provider_and_sees_them_listed(app, admin):
    created = _new_provider(admin, email="Ana@Example.com")
    assert created.status_code == 302
    provider_id = _provider_id(app)
    assert created.headers["Location"] == f"/admin/providers/{provider_id}"
    page = admin.get(created.headers["Location"]).get_data(as_text=True)
    assert "Added Ana Ruiz, RN" in page and "No weekly availability yet" in page

    listed = admin.get("/admin/providers/").get_data(as_text=True)
    assert "Ana Ruiz, RN" in listed and "ana@example.com" in listed and "Nurse" in listed
    assert "<script>" not in listed and "style=" not in listed
    assert 'href="/admin/providers/"' in admin.get("/admin/").get_data(as_text=True)


def test_a_refused_provider_shows_the_error_next_to_the_field_and_writes_nothing(app, admin):
    before = _count(app, Provider)
    bad_email = _new_provider(admin, email="not-an-email")
    assert bad_email.status_code == 400
    assert _field_error(bad_email.get_data(as_text=True), "email")
    too_many = _new_provider(admin, max_concurrent="0")
    assert _field_error(too_many.get_data(as_text=True), "max_concurrent") == "Give a number from 1 to 20"
    assert _new_provider(admin).status_code == 302
    taken = _new_provider(admin, name="Someone else")
    assert taken.status_code == 422
    assert "already exists" in _field_error(taken.get_data(as_text=True), "email")
    assert _count(app, Provider) == before + 1


def test_the_admin_changes_a_provider_and_marks_them_inactive(app, admin, clinic):
    path = f"/admin/providers/{clinic['provider_id']}"
    saved = _post(
        admin,
        path,
        {"name": "Dr. Ada Quinn", "role": "prescriber", "email": "ada@example.com", "max_concurrent": "3"},
    )
    assert saved.status_code == 302
    with app.app_context():
        provider = db.session.get(Provider, clinic["provider_id"])
        assert (provider.name, provider.max_concurrent, provider.active) == ("Dr. Ada Quinn", 3, False)
    assert ">inactive</span>" in admin.get(path).get_data(as_text=True)


def test_weekly_availability_rows_are_added_checked_and_removed(app, admin, clinic):
    assert _new_provider(admin).status_code == 302
    provider_id = _provider_id(app)
    path = f"/admin/providers/{provider_id}"
    window = {"weekday": "0", "location_id": str(clinic["location_id"])}
    morning = _post(
        admin, f"{path}/availability", {**window, "start_time": "08:00", "end_time": "12:00"}, path
    )
    assert morning.status_code == 302
    afternoon = _post(
        admin, f"{path}/availability", {**window, "start_time": "13:00", "end_time": "17:00"}, path
    )
    assert afternoon.status_code == 302
    page = admin.get(path).get_data(as_text=True)
    assert page.count('data-testid="availability-row"') == 2
    assert "Added Monday 1:00\u202fPM to 5:00\u202fPM" in page

    overlap = _post(
        admin, f"{path}/availability", {**window, "start_time": "11:00", "end_time": "14:00"}, path
    )
    assert overlap.status_code == 422
    assert "Overlaps Mon 08:00-12:00" in _field_error(overlap.get_data(as_text=True), "start_time")
    backwards = _post(
        admin, f"{path}/availability", {**window, "start_time": "18:00", "end_time": "17:30"}, path
    )
    assert _field_error(backwards.get_data(as_text=True), "end_time") == "Must be later than the start"
    nowhere = _post(
        admin,
        f"{path}/availability",
        {**window, "location_id": "999", "start_time": "18:00", "end_time": "19:00"},
        path,
    )
    assert nowhere.status_code == 400
    assert _field_error(nowhere.get_data(as_text=True), "location_id")
    with app.app_context():
        other = make_location(name="Harbor", timezone="America/Los_Angeles")
        db.session.commit()
        other_id = other.id
    # The same wall-clock hours at another location are not an overlap: its clock is another zone's.
    elsewhere = {**window, "location_id": str(other_id), "start_time": "09:00", "end_time": "11:00"}
    assert _post(admin, f"{path}/availability", elsewhere, path).status_code == 302

    with app.app_context():
        rows = db.session.scalars(
            select(ProviderAvailability).where(ProviderAvailability.provider_id == provider_id)
        ).all()
        first = next(r.id for r in rows if r.start.hour == 8)
    assert len(rows) == 3
    removed = _post(admin, f"{path}/availability/{first}/remove", {}, path)
    assert removed.status_code == 302
    assert admin.get(path).get_data(as_text=True).count('data-testid="availability-row"') == 2
    assert _post(admin, f"{path}/availability/{first}/remove", {}, path).status_code == 404


def test_time_off_is_entered_in_local_time_and_warns_about_visits_booked_inside(app, admin, clinic, clock):
    with app.app_context():
        book_series(clinic, clock.now)  # doses from Mon 8 March 2027, 09:00 New York
    path = f"/admin/providers/{clinic['provider_id']}"
    data = {
        "time_off_start": "2027-03-08T00:00",
        "time_off_end": "2027-03-09T00:00",
        "time_off_location_id": str(clinic["location_id"]),
        "reason": "Training",
    }
    added = _post(admin, f"{path}/time-off", data, path)
    assert added.status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(ProviderTimeOff)).one()
        assert (entry.start, entry.end) == (
            datetime(2027, 3, 8, 5, 0, tzinfo=UTC),  # midnight EST
            datetime(2027, 3, 9, 5, 0, tzinfo=UTC),
        )
        time_off_id = entry.id
    page = admin.get(path).get_data(as_text=True)
    assert "1 booked visit falls inside it and stays booked until the front desk moves it" in page
    # The visit's local time as the location's locale writes it, never its patient.
    assert "Mon, Mar 8, 9:00\u2009\u2013\u200911:30\u202fAM dose at" in page
    assert "Mon, Mar 8, 2027, 12:00\u202fAM" in page and "Training" in page and ">1 to move<" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "patient.read")) == 0
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
        assert actions == "provider.time_off.add"

    removed = _post(admin, f"{path}/time-off/{time_off_id}/remove", {}, path)
    assert removed.status_code == 302
    assert _count(app, ProviderTimeOff) == 0


def test_refused_time_off_names_the_field_and_writes_nothing(app, admin, clinic):
    path = f"/admin/providers/{clinic['provider_id']}"
    data = {"time_off_location_id": str(clinic["location_id"]), "reason": "Leave"}
    backwards = _post(
        admin,
        f"{path}/time-off",
        {**data, "time_off_start": "2027-04-02T09:00", "time_off_end": "2027-04-01T09:00"},
        path,
    )
    assert backwards.status_code == 422
    assert _field_error(backwards.get_data(as_text=True), "time_off_end") == "Must be later than the start"
    far = _post(
        admin,
        f"{path}/time-off",
        {**data, "time_off_start": "2090-04-01T09:00", "time_off_end": "2090-04-02T09:00"},
        path,
    )
    assert far.status_code == 400
    assert _field_error(far.get_data(as_text=True), "time_off_start").startswith("Choose a day between")
    no_reason = _post(
        admin,
        f"{path}/time-off",
        {**data, "reason": "", "time_off_start": "2027-04-01T09:00", "time_off_end": "2027-04-02T09:00"},
        path,
    )
    assert no_reason.status_code == 400
    assert _count(app, ProviderTimeOff) == 0


def test_new_time_off_blocks_booking_with_the_provider(app, admin, clinic, api_as):
    path = f"/admin/providers/{clinic['provider_id']}"
    data = {
        "time_off_start": "2027-03-10T08:00",
        "time_off_end": "2027-03-10T18:00",
        "time_off_location_id": str(clinic["location_id"]),
        "reason": "Conference",
    }
    assert _post(admin, f"{path}/time-off", data, path).status_code == 302
    visit = {
        "patient_id": clinic["patient_id"],
        "kind": "consult",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-10T10:00:00-05:00",
    }
    refused = api_as("frontdesk").post("/api/v1/appointments", json=visit)
    assert refused.status_code == 409
    assert "provider_time_off" in refused.get_data(as_text=True)


def test_other_roles_cannot_open_the_admin_pages(app, client, clinic):
    with app.app_context():
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    _sign_in(client)
    for path in (
        "/admin/providers/",
        f"/admin/providers/{clinic['provider_id']}",
        "/admin/users/",
        "/admin/users/new",
    ):
        assert client.get(path).status_code == 403, path


def _new_user(admin, **fields):
    data = {
        "email": "desk2@example.com",
        "role": "frontdesk",
        "provider_id": "",
        "password": STRONG,
        **fields,
    }
    return _post(admin, "/admin/users/new", data)


def test_the_admin_creates_accounts_that_can_sign_in(app, admin, clinic):
    assert _new_user(admin).status_code == 302
    linked = _new_user(
        admin, email="nurse@example.com", role="provider", provider_id=str(clinic["provider_id"])
    )
    assert linked.status_code == 302
    listed = admin.get("/admin/users/").get_data(as_text=True)
    assert "desk2@example.com" in listed and "Front desk" in listed
    assert re.search(r"nurse@example.com.*?Provider.*?Provider \d+.*?active.*?never", listed, re.S)
    assert "(America/New_York)" in listed

    for email in ("desk2@example.com", "nurse@example.com"):
        fresh = app.test_client()
        assert _sign_in(fresh, email=email, password=STRONG).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.create")).all()


def test_a_refused_account_shows_each_error_next_to_its_field(app, admin, clinic):
    before = _count(app, User)
    unlinked = _new_user(admin, role="provider")
    assert unlinked.status_code == 400
    assert (
        _field_error(unlinked.get_data(as_text=True), "provider_id")
        == "Choose the provider this account signs in as"
    )
    weak = _new_user(admin, password="password1234")
    assert weak.status_code == 400
    assert _field_error(weak.get_data(as_text=True), "password").startswith("Too easy to guess")
    short = _new_user(admin, password="short")
    assert _field_error(short.get_data(as_text=True), "password") == "Use at least 12 characters"
    taken = _new_user(admin, email="admin@example.com")
    assert "already exists" in _field_error(taken.get_data(as_text=True), "email")
    assert _count(app, User) == before


def _desk_user(app) -> int:
    with app.app_context():
        user = make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return user.id


def test_disabling_an_account_ends_its_sessions_and_enabling_lets_it_back(app, admin):
    user_id = _desk_user(app)
    desk = app.test_client()
    _sign_in(desk)
    assert desk.get("/").status_code == 200
    path = f"/admin/users/{user_id}"
    assert _post(admin, f"{path}/disable", {}, path).status_code == 302
    assert desk.get("/").status_code == 302  # signed out on the server
    assert _sign_in(app.test_client()).status_code == 401
    assert "disabled" in admin.get("/admin/users/").get_data(as_text=True)

    assert _post(admin, f"{path}/enable", {}, path).status_code == 302
    assert _sign_in(app.test_client()).status_code == 302


def test_an_admin_cannot_disable_their_own_account(app, admin):
    with app.app_context():
        own = db.session.scalar(select(User.id).where(User.email == "admin@example.com"))
    path = f"/admin/users/{own}"
    page = admin.get(path).get_data(as_text=True)
    assert "Disable account" not in page and "your own account" in page
    refused = _post(admin, f"{path}/disable", {}, path)
    assert refused.status_code == 422
    assert "You cannot disable your own account" in refused.get_data(as_text=True)
    assert admin.get("/admin/users/").status_code == 200  # still signed in


def test_a_new_password_meets_the_policy_and_ends_the_sessions(app, admin):
    user_id = _desk_user(app)
    desk = app.test_client()
    _sign_in(desk)
    path = f"/admin/users/{user_id}/password"
    page = f"/admin/users/{user_id}"
    weak = _post(
        admin, path, {"new_password": "desk@example.com1", "confirm_password": "desk@example.com1"}, page
    )
    assert weak.status_code == 422
    assert _field_error(weak.get_data(as_text=True), "new_password").startswith("Too easy to guess")
    typo = _post(admin, path, {"new_password": STRONG, "confirm_password": STRONG + "x"}, page)
    assert _field_error(typo.get_data(as_text=True), "confirm_password") == "The two passwords differ"
    assert desk.get("/").status_code == 200  # refused changes end nothing

    assert _post(admin, path, {"new_password": STRONG, "confirm_password": STRONG}, page).status_code == 302
    assert desk.get("/").status_code == 302
    assert _sign_in(app.test_client()).status_code == 401  # the old password
    assert _sign_in(app.test_client(), password=STRONG).status_code == 302


def test_the_role_and_linked_provider_of_an_account_change_together(app, admin, clinic):
    user_id = _desk_user(app)
    path = f"/admin/users/{user_id}"
    mismatch = _post(admin, path, {"role": "frontdesk", "provider_id": str(clinic["provider_id"])})
    assert mismatch.status_code == 400
    assert "Only provider accounts" in _field_error(mismatch.get_data(as_text=True), "provider_id")
    changed = _post(admin, path, {"role": "provider", "provider_id": str(clinic["provider_id"])})
    assert changed.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.role, user.provider_id) == ("provider", clinic["provider_id"])
