from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.provider import Provider
from tests.factories import make_location


def _location_id(app) -> int:
    with app.app_context():
        location = make_location()
        db.session.commit()
        return location.id


def test_admin_adds_chairs_and_names_are_unique_per_location(app, api_as):
    location_id = _location_id(app)
    admin = api_as("admin")
    created = admin.post("/api/v1/chairs", json={"location_id": location_id, "name": "Chair 1"})
    assert created.status_code == 201
    assert created.json["kind"] == "infusion_chair"
    room = admin.post(
        "/api/v1/chairs", json={"location_id": location_id, "name": "Room A", "kind": "spravato_room"}
    )
    assert room.json["kind"] == "spravato_room"

    duplicate = admin.post("/api/v1/chairs", json={"location_id": location_id, "name": "Chair 1"})
    assert duplicate.status_code == 422
    assert "name" in duplicate.json["errors"]

    listed = api_as("frontdesk").get(f"/api/v1/chairs?location_id={location_id}")
    assert [chair["name"] for chair in listed.json] == ["Chair 1", "Room A"]


def test_chair_at_unknown_location_or_of_unknown_kind_is_422(app, api_as):
    admin = api_as("admin")
    missing = admin.post("/api/v1/chairs", json={"location_id": 4242, "name": "Chair 1"})
    assert missing.status_code == 422
    assert "location_id" in missing.json["errors"]
    location_id = _location_id(app)
    bad_kind = admin.post("/api/v1/chairs", json={"location_id": location_id, "name": "X", "kind": "sofa"})
    assert "kind" in bad_kind.json["errors"]
    as_string = admin.post("/api/v1/chairs", json={"location_id": str(location_id), "name": "X"})
    assert "location_id" in as_string.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Chair.id))) == 0


def test_frontdesk_cannot_add_chairs(app, api_as):
    location_id = _location_id(app)
    response = api_as("frontdesk").post(
        "/api/v1/chairs", json={"location_id": location_id, "name": "Chair 1"}
    )
    assert response.status_code == 403


def test_provider_with_weekly_availability(app, api_as):
    location_id = _location_id(app)
    body = {
        "name": "Dr. Ada Quinn",
        "role": "prescriber",
        "email": "Ada.Quinn@Example.com",
        "max_concurrent": 3,
        "availability": [
            {"weekday": "mon", "start": "08:00", "end": "12:00", "location_id": location_id},
            {"weekday": 2, "start": "13:00", "end": "17:30", "location_id": location_id},
        ],
    }
    response = api_as("admin").post("/api/v1/providers", json=body)
    assert response.status_code == 201, response.json
    assert response.json["email"] == "ada.quinn@example.com"
    assert response.json["availability"] == [
        {"weekday": "mon", "start": "08:00", "end": "12:00", "location_id": location_id},
        {"weekday": "wed", "start": "13:00", "end": "17:30", "location_id": location_id},
    ]


def test_invalid_provider_bodies_name_the_field(app, api_as):
    location_id = _location_id(app)
    admin = api_as("admin")
    base = {"name": "Dr. B", "role": "prescriber", "email": "b@example.com"}
    cases = [
        ({**base, "role": "surgeon"}, "role"),
        ({**base, "email": "not-an-email"}, "email"),
        ({**base, "max_concurrent": 0}, "max_concurrent"),
        (
            {
                **base,
                "availability": [
                    {"weekday": "funday", "start": "08:00", "end": "09:00", "location_id": location_id}
                ],
            },
            "availability",
        ),
        (
            {
                **base,
                "availability": [
                    {"weekday": "mon", "start": "25:00", "end": "09:00", "location_id": location_id}
                ],
            },
            "availability",
        ),
        (
            {
                **base,
                "availability": [
                    {"weekday": "mon", "start": "10:00", "end": "09:00", "location_id": location_id}
                ],
            },
            "availability",
        ),
        (
            {
                **base,
                "availability": [{"weekday": "mon", "start": "08:00", "end": "12:00", "location_id": 999}],
            },
            "availability.0.location_id",
        ),
        (
            {
                **base,
                "availability": [
                    {"weekday": "mon", "start": "08:00", "end": "12:00", "location_id": location_id},
                    {"weekday": "mon", "start": "11:00", "end": "14:00", "location_id": location_id},
                ],
            },
            "availability",
        ),
    ]
    for body, field in cases:
        response = admin.post("/api/v1/providers", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (field, response.json)
    with app.app_context():
        assert db.session.scalar(select(func.count(Provider.id))) == 0


def test_provider_email_is_unique(app, api_as):
    admin = api_as("admin")
    body = {"name": "Dr. B", "role": "nurse", "email": "b@example.com"}
    assert admin.post("/api/v1/providers", json=body).status_code == 201
    again = admin.post("/api/v1/providers", json={**body, "email": "B@example.com"})
    assert again.status_code == 422
    assert "email" in again.json["errors"]
