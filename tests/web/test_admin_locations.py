"""The admin's setup pages for locations (hours, closures, public holidays) and chairs."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.chair import Chair
from clinic.models.location import Location, LocationClosure
from tests.factories import book_series, make_clinic, make_location, make_user
from tests.web.test_login import _sign_in

NEW_LOCATION = {
    "name": "Harbor Clinic",
    "public_name": "Harbor Health",
    "address": "1 Harbor Way, Boston, MA",
    "phone": "(617) 555-0100",
    "timezone": "America/New_York",
    "locale": "en_US",
    "hours_mon": "08:00-12:00, 13:00-18:00",
    "hours_tue": "8:00-18:00",
    "hours_wed": "",
    "hours_thu": "",
    "hours_fri": "08:00-16:00",
    "hours_sat": "",
    "hours_sun": "",
    "allowed_transport_modes": ["driver", "taxi"],
}


def _errors(response) -> list[str]:
    return re.findall(r'class="field-error[^"]*"[^>]*>([^<]*)<', response.get_data(as_text=True))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def admin(app, client):
    with app.app_context():
        make_user("admin", email="admin@example.com")
        db.session.commit()
    _sign_in(client, email="admin@example.com")
    app.config["WTF_CSRF_ENABLED"] = False  # the forms' CSRF token is checked by tests/security
    return client


def _create(client, **changes) -> int:
    response = client.post("/admin/locations/new", data={**NEW_LOCATION, **changes})
    assert response.status_code == 302, _errors(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_an_admin_creates_a_location_with_two_spans_on_a_weekday(app, admin):
    assert "New location" in admin.get("/admin/locations/").get_data(as_text=True)
    location_id = _create(admin)

    with app.app_context():
        location = db.session.get(Location, location_id)
        assert location.opening_hours == {
            "mon": [["08:00", "12:00"], ["13:00", "18:00"]],
            "tue": [["08:00", "18:00"]],
            "fri": [["08:00", "16:00"]],
        }
        assert location.phone == "+16175550100"  # stored E.164
        assert (location.public_name, location.locale) == ("Harbor Health", "en_US")
        assert location.allowed_transport_modes == ["driver", "taxi"]

    listing = admin.get("/admin/locations/").get_data(as_text=True)
    assert "Harbor Clinic" in listing
    assert "Patients see: Harbor Health" in listing
    assert "Mon 08:00-12:00, 13:00-18:00" in listing
    edit = admin.get(f"/admin/locations/{location_id}").get_data(as_text=True)
    assert 'value="08:00-12:00, 13:00-18:00"' in edit
    assert "never name the treatment" in edit
    assert f'href="/locations/{location_id}/feed">Calendar feed of the location<' in edit


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours_tue", "08:00-12:00, 11:00-15:00", "Tuesday: 11:00-15:00 overlaps 08:00-12:00"),
        ("hours_wed", "18:00-08:00", "Wednesday: 18:00-08:00 opens at or after it closes"),
        ("hours_sat", "nine to five", "Saturday: Write each span as HH:MM-HH:MM"),
        ("hours_sun", "25:00-26:00", "Sunday: Use a 24-hour time"),
        ("timezone", "Mars/Olympus", "Not a valid choice"),
        ("timezone", "localtime", "Not a valid choice"),
        ("locale", "xx_XX", "Not a valid choice"),
        ("phone", "12", "Not a phone number we can call"),
        ("name", "   ", "This field is required"),
        ("name", "Harbor\x00", "Remove the control characters"),
        ("allowed_transport_modes", [], "Allow at least one way home"),
    ],
)
def test_a_bad_field_is_named_next_to_it_and_nothing_is_written(app, admin, field, value, message):
    response = admin.post("/admin/locations/new", data={**NEW_LOCATION, field: value})
    assert response.status_code == 400
    assert any(error.startswith(message) for error in _errors(response)), _errors(response)
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    assert _count(app, Location) == 0


def test_a_taken_name_is_refused_next_to_the_name_and_the_edit_keeps_the_old_values(app, admin):
    first = _create(admin)
    second = _create(admin, name="Second Site")
    response = admin.post(f"/admin/locations/{second}", data={**NEW_LOCATION, "hours_mon": "09:00-17:00"})
    assert response.status_code == 422
    assert _errors(response) == ["A location with this name already exists"]
    with app.app_context():
        assert db.session.get(Location, second).opening_hours["mon"] == [
            ["08:00", "12:00"],
            ["13:00", "18:00"],
        ]
        assert db.session.get(Location, first).name == "Harbor Clinic"


def test_an_edit_changes_hours_public_name_and_locale(app, admin):
    location_id = _create(admin)
    changed = {
        **NEW_LOCATION,
        "public_name": "",
        "locale": "en_GB",
        "phone": "+44 20 7946 0958",
        "hours_mon": "",
        "hours_sat": "09:00-13:00",
    }
    response = admin.post(f"/admin/locations/{location_id}", data=changed)
    assert response.status_code == 302
    with app.app_context():
        location = db.session.get(Location, location_id)
        assert (location.public_name, location.locale, location.phone) == ("", "en_GB", "+442079460958")
        assert "mon" not in location.opening_hours
        assert location.opening_hours["sat"] == [["09:00", "13:00"]]
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "location.update")).one()
        assert {"public_name", "locale", "opening_hours"} <= set(audit.details["fields"])


def test_closures_are_listed_added_and_removed_on_the_edit_page(app, admin, clock):
    location_id = _create(admin)
    added = admin.post(
        f"/admin/locations/{location_id}/closures", data={"date": "2027-03-19", "reason": "Training"}
    )
    assert added.status_code == 302
    page = admin.get(f"/admin/locations/{location_id}").get_data(as_text=True)
    assert "Fri, Mar 19, 2027" in page and "Training" in page

    again = admin.post(f"/admin/locations/{location_id}/closures", data={"date": "2027-03-19"})
    assert again.status_code == 422
    assert _errors(again) == ["2027-03-19 is already a closure day"]
    too_far = admin.post(f"/admin/locations/{location_id}/closures", data={"date": "2099-01-01"})
    assert too_far.status_code == 400
    assert _errors(too_far)[0].startswith("Choose a day between")
    assert _count(app, LocationClosure) == 1

    with app.app_context():
        closure_id = db.session.scalar(select(LocationClosure.id))
    removed = admin.post(f"/admin/locations/{location_id}/closures/{closure_id}/remove")
    assert removed.status_code == 302
    assert _count(app, LocationClosure) == 0
    unknown = admin.post(f"/admin/locations/{location_id}/closures/{closure_id}/remove")
    assert unknown.status_code == 404


def test_past_closures_are_counted_not_listed(app, admin, clock):
    location_id = _create(admin)
    admin.post(f"/admin/locations/{location_id}/closures", data={"date": "2027-02-15", "reason": "Past"})
    admin.post(f"/admin/locations/{location_id}/closures", data={"date": "2027-04-02", "reason": "Ahead"})
    page = admin.get(f"/admin/locations/{location_id}").get_data(as_text=True)
    assert "Ahead" in page and "Past" not in page
    assert "1 earlier closure day not shown" in page


def test_us_holidays_of_2027_become_closures_once(app, admin):
    location_id = _create(admin)
    response = admin.post(
        f"/admin/locations/{location_id}/holidays",
        data={"country": "US", "subdivision": "ma", "years": "2027"},
    )
    assert response.status_code == 302
    with app.app_context():
        closures = {c.date: c.reason for c in db.session.scalars(select(LocationClosure))}
    assert closures[date(2027, 7, 4)] == "Independence Day"
    assert closures[date(2027, 7, 5)] == "Independence Day (observed)"
    assert closures[date(2027, 4, 19)] == "Patriots' Day"  # Massachusetts only
    page = admin.get(f"/admin/locations/{location_id}").get_data(as_text=True)
    assert "Mon, Jul 5, 2027" in page

    before = len(closures)
    again = admin.post(
        f"/admin/locations/{location_id}/holidays",
        data={"country": "US", "subdivision": "MA", "years": "2027"},
        follow_redirects=True,
    )
    assert "already a closure day" in again.get_data(as_text=True)
    assert _count(app, LocationClosure) == before


@pytest.mark.parametrize(
    ("data", "field", "status"),
    [
        ({"country": "ZZ", "years": "2027"}, "country", 400),
        ({"country": "US", "subdivision": "XX", "years": "2027"}, "subdivision", 422),
        ({"country": "US", "years": "1999"}, "years", 422),
        ({"country": "US", "years": "next year"}, "years", 400),
        ({"country": "US", "years": ""}, "years", 400),
    ],
)
def test_a_bad_holiday_import_names_the_field_and_writes_nothing(app, admin, data, field, status):
    location_id = _create(admin)
    response = admin.post(f"/admin/locations/{location_id}/holidays", data=data)
    assert response.status_code == status
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    assert _count(app, LocationClosure) == 0


def test_an_admin_adds_and_edits_chairs(app, admin):
    location_id = _create(admin)
    created = admin.post(
        "/admin/chairs/new", data={"name": "Room A", "location_id": location_id, "kind": "spravato_room"}
    )
    assert created.status_code == 302
    duplicate = admin.post(
        "/admin/chairs/new", data={"name": "Room A", "location_id": location_id, "kind": "infusion_chair"}
    )
    assert duplicate.status_code == 422
    assert _errors(duplicate) == ["This location already has a chair with this name"]
    unknown = admin.post("/admin/chairs/new", data={"name": "X", "location_id": 999, "kind": "sofa"})
    assert unknown.status_code == 400

    listing = admin.get("/admin/chairs/").get_data(as_text=True)
    assert "Room A" in listing and "Spravato room" in listing
    with app.app_context():
        chair_id = db.session.scalar(select(Chair.id))
    renamed = admin.post(
        f"/admin/chairs/{chair_id}",
        data={
            "name": "Quiet room",
            "location_id": location_id,
            "kind": "spravato_room",
        },  # unchecked: inactive
    )
    assert renamed.status_code == 302
    with app.app_context():
        chair = db.session.get(Chair, chair_id)
        assert (chair.name, chair.active) == ("Quiet room", False)
    assert "inactive" in admin.get("/admin/chairs/").get_data(as_text=True)


def test_a_chair_that_visits_hold_cannot_be_deactivated_and_the_page_says_how_many(app, admin, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        room = series.appointments[0].chair_id
        held = sum(1 for visit in series.appointments if visit.chair_id == room)
        other = make_location(name="Other site")
        db.session.commit()
        other_id = other.id
    page = admin.get(f"/admin/chairs/{room}").get_data(as_text=True)
    assert f"{held} upcoming visits hold this chair" in page

    form = {"name": "Room 1", "location_id": clinic["location_id"], "kind": "spravato_room"}
    refused = admin.post(f"/admin/chairs/{room}", data=form)
    assert refused.status_code == 409
    assert _errors(refused) == [
        f"Room 1 still has {held} upcoming visits: move or cancel them before it is deactivated"
    ]
    moved = admin.post(f"/admin/chairs/{room}", data={**form, "location_id": other_id, "active": "y"})
    assert moved.status_code == 409
    assert "moved to another location" in _errors(moved)[0]
    with app.app_context():
        chair = db.session.get(Chair, room)
        assert chair.active and chair.location_id == clinic["location_id"]
    listing = admin.get("/admin/chairs/").get_data(as_text=True)
    assert "Ines" not in listing and "Pat" not in listing  # counts only, no patient


@pytest.mark.parametrize("role", ["frontdesk", "provider"])
def test_only_admins_reach_the_setup_pages(app, client, role):
    with app.app_context():
        location = make_location()
        make_user(role, email="staff@example.com")
        db.session.commit()
        location_id = location.id
    _sign_in(client, email="staff@example.com")
    for path in (
        "/admin/locations/",
        f"/admin/locations/{location_id}",
        "/admin/chairs/",
        "/admin/chairs/new",
    ):
        assert client.get(path).status_code == 403, path
    response = client.post(
        f"/admin/locations/{location_id}/holidays", data={"country": "US", "years": "2027"}
    )
    assert response.status_code in (400, 403)  # the CSRF check may answer first
    assert _count(app, LocationClosure) == 0


def test_a_locale_set_through_the_api_survives_saving_the_page(app, admin):
    with app.app_context():
        location_id = make_location(name="Bonn", timezone="Europe/Berlin", locale="de").id
        db.session.commit()
    page = admin.get(f"/admin/locations/{location_id}").get_data(as_text=True)
    assert '<option selected value="de">' in page
    saved = admin.post(
        f"/admin/locations/{location_id}",
        data={**NEW_LOCATION, "name": "Bonn", "timezone": "Europe/Berlin", "locale": "de", "phone": ""},
    )
    assert saved.status_code == 302, _errors(saved)
    with app.app_context():
        location = db.session.get(Location, location_id)
        assert (location.locale, location.phone) == ("de", None)
