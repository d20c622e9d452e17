import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.location import Location, LocationClosure

VALID_LOCATION = {
    "name": "Harbor Clinic",
    "timezone": "America/New_York",
    "address": "1 Harbor Way, Boston, MA",
    "opening_hours": {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "sat": [["09:00", "13:00"]]},
}


def _location_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Location.id)))


def test_admin_creates_location_and_reads_it_back(app, api_as):
    admin = api_as("admin")
    response = admin.post("/api/v1/locations", json=VALID_LOCATION)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["timezone"] == "America/New_York"
    assert body["opening_hours"]["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert body["opening_hours"]["tue"] == []
    assert body["allowed_transport_modes"] == ["driver", "taxi", "medical_transport"]

    fetched = admin.get(f"/api/v1/locations/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json["name"] == "Harbor Clinic"


def test_unknown_timezone_is_422_naming_the_field_and_writes_nothing(app, api_as):
    response = api_as("admin").post("/api/v1/locations", json={**VALID_LOCATION, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "timezone" in response.json["errors"]
    assert response.json["status"] == 422
    assert _location_count(app) == 0


def test_overlapping_or_backwards_opening_hours_are_rejected_per_day(app, api_as):
    hours = {"mon": [["08:00", "12:00"], ["11:00", "15:00"]], "tue": [["18:00", "08:00"]], "fun": []}
    response = api_as("admin").post("/api/v1/locations", json={**VALID_LOCATION, "opening_hours": hours})
    assert response.status_code == 422
    errors = response.json["errors"]["opening_hours"]
    assert set(errors) == {"mon", "tue", "fun"}
    assert _location_count(app) == 0


def test_malformed_json_is_400_problem(app, api_as):
    response = api_as("admin").post(
        "/api/v1/locations", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "body" in response.json["errors"]


def test_unknown_field_is_rejected_by_name(app, api_as):
    response = api_as("admin").post("/api/v1/locations", json={**VALID_LOCATION, "colour": "blue"})
    assert response.status_code == 422
    assert "colour" in response.json["errors"]


def test_duplicate_name_is_422(app, api_as):
    admin = api_as("admin")
    assert admin.post("/api/v1/locations", json=VALID_LOCATION).status_code == 201
    again = admin.post("/api/v1/locations", json=VALID_LOCATION)
    assert again.status_code == 422
    assert "name" in again.json["errors"]
    assert _location_count(app) == 1


def test_without_token_is_401_and_wrong_role_is_403(app, client, api_as):
    anonymous = client.post("/api/v1/locations", json=VALID_LOCATION)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.mimetype == "application/problem+json"

    forged = client.post(
        "/api/v1/locations", json=VALID_LOCATION, headers={"Authorization": "Bearer 1.forged"}
    )
    assert forged.status_code == 401

    frontdesk = api_as("frontdesk").post("/api/v1/locations", json=VALID_LOCATION)
    assert frontdesk.status_code == 403
    assert _location_count(app) == 0


def test_closures_are_added_listed_and_removed(app, api_as):
    admin = api_as("admin")
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    created = admin.post(
        f"/api/v1/locations/{location_id}/closures", json={"date": "2027-07-05", "reason": "Independence Day"}
    )
    assert created.status_code == 201
    assert created.json == {
        "id": created.json["id"],
        "location_id": location_id,
        "date": "2027-07-05",
        "reason": "Independence Day",
    }
    duplicate = admin.post(f"/api/v1/locations/{location_id}/closures", json={"date": "2027-07-05"})
    assert duplicate.status_code == 422
    assert "date" in duplicate.json["errors"]

    bad_date = admin.post(f"/api/v1/locations/{location_id}/closures", json={"date": "2027-02-30"})
    assert bad_date.status_code == 422
    assert "date" in bad_date.json["errors"]

    listed = admin.get(f"/api/v1/locations/{location_id}/closures")
    assert [c["date"] for c in listed.json] == ["2027-07-05"]

    removed = admin.delete(f"/api/v1/locations/{location_id}/closures/{created.json['id']}")
    assert removed.status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count(LocationClosure.id))) == 0


def test_closure_for_unknown_location_is_404(app, api_as):
    response = api_as("admin").post("/api/v1/locations/999/closures", json={"date": "2027-07-05"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_patch_changes_only_given_fields(app, api_as):
    admin = api_as("admin")
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    response = admin.patch(f"/api/v1/locations/{location_id}", json={"allowed_transport_modes": ["driver"]})
    assert response.status_code == 200
    assert response.json["allowed_transport_modes"] == ["driver"]
    assert response.json["timezone"] == "America/New_York"
    empty = admin.patch(f"/api/v1/locations/{location_id}", json={"allowed_transport_modes": []})
    assert empty.status_code == 422


def test_public_name_and_locale_are_optional_on_create_and_changed_by_patch(app, api_as):
    admin = api_as("admin")
    created = admin.post("/api/v1/locations", json=VALID_LOCATION)
    assert (created.json["public_name"], created.json["locale"]) == ("", "en_US")
    location_id = created.json["id"]
    changed = admin.patch(
        f"/api/v1/locations/{location_id}", json={"public_name": "Harbor Health", "locale": "de_DE"}
    )
    assert changed.status_code == 200
    assert (changed.json["public_name"], changed.json["locale"]) == ("Harbor Health", "de_DE")
    assert changed.json["name"] == "Harbor Clinic"


@pytest.mark.parametrize("locale", ["xx_XX", "en_ZZ", "en-US", "english", "../etc"])
def test_an_unknown_locale_is_422_naming_it_and_writes_nothing(app, api_as, locale):
    response = api_as("admin").post("/api/v1/locations", json={**VALID_LOCATION, "locale": locale})
    assert response.status_code == 422
    assert "locale" in response.json["errors"]
    assert _location_count(app) == 0


def test_us_holidays_become_closures_and_a_second_import_adds_none(app, api_as):
    admin = api_as("admin")
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    admin.post(f"/api/v1/locations/{location_id}/closures", json={"date": "2027-12-24", "reason": "Party"})
    response = admin.post(
        f"/api/v1/locations/{location_id}/holidays", json={"country": "US", "years": [2027]}
    )
    assert response.status_code == 201, response.json
    created = {closure["date"]: closure["reason"] for closure in response.json}
    assert created["2027-07-04"] == "Independence Day"
    assert created["2027-07-05"] == "Independence Day (observed)"
    assert created["2027-11-25"] == "Thanksgiving Day"
    assert "2027-12-24" not in created  # already closed, kept with its own reason
    assert all(closure["location_id"] == location_id for closure in response.json)

    again = admin.post(f"/api/v1/locations/{location_id}/holidays", json={"country": "US", "years": [2027]})
    assert again.status_code == 201
    assert again.json == []
    listed = admin.get(f"/api/v1/locations/{location_id}/closures").json
    assert {"date": "2027-12-24", "reason": "Party"}.items() <= next(
        c for c in listed if c["date"] == "2027-12-24"
    ).items()
    assert len(listed) == len(created) + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "ZZ", "years": [2027]}, "country"),
        ({"country": "", "years": [2027]}, "country"),
        ({"country": "US", "subdivision": "XX", "years": [2027]}, "subdivision"),
        ({"country": "US", "years": [1999]}, "years"),
        ({"country": "US", "years": [2027, 2099]}, "years"),
        ({"country": "US", "years": []}, "years"),
        ({"country": "US", "years": ["2027"]}, "years"),
        ({"country": "US"}, "years"),
    ],
)
def test_a_bad_holiday_import_is_422_naming_the_field_and_writes_nothing(app, api_as, body, field):
    admin = api_as("admin")
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    response = admin.post(f"/api/v1/locations/{location_id}/holidays", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count(LocationClosure.id))) == 0


def test_holidays_need_an_admin_and_a_known_location(app, api_as):
    admin = api_as("admin")
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    body = {"country": "US", "years": [2027]}
    assert api_as("frontdesk").post(f"/api/v1/locations/{location_id}/holidays", json=body).status_code == 403
    unknown = admin.post("/api/v1/locations/999/holidays", json=body)
    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"
