from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.provider import Provider
from tests.factories import book_series, make_clinic, make_location


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


def test_a_chair_that_visits_hold_is_not_retired_or_moved_409_and_a_free_one_is(app, clock, api_as):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        held_room = series.appointments[0].chair_id
        held = sum(1 for visit in series.appointments if visit.chair_id == held_room)
        free_chair = clinic["chairs"][0]
        other = make_location(name="Other site").id
        db.session.commit()
    admin = api_as("admin")
    refused = admin.patch(f"/api/v1/chairs/{held_room}", json={"active": False})
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert f"{held} upcoming visits" in refused.json["detail"]
    assert refused.json["conflicts"][0]["code"] == "chair_has_visits"
    moved = admin.patch(f"/api/v1/chairs/{held_room}", json={"location_id": other})
    assert moved.status_code == 409
    assert admin.get(f"/api/v1/chairs/{held_room}").json["active"] is True

    retired = admin.patch(f"/api/v1/chairs/{free_chair}", json={"active": False, "location_id": other})
    assert retired.status_code == 200, retired.json
    assert (retired.json["active"], retired.json["location_id"]) == (False, other)
    unknown = admin.patch(f"/api/v1/chairs/{free_chair}", json={"location_id": 4242})
    assert unknown.status_code == 422
    assert "location_id" in unknown.json["errors"]


def test_a_chair_that_visits_held_once_may_be_retired_after_they_ended(app, clock, api_as):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        room = series.appointments[0].chair_id
        last_end = max(visit.end_at for visit in series.appointments if visit.chair_id == room)
    clock.now = last_end
    response = api_as("admin").patch(f"/api/v1/chairs/{room}", json={"active": False})
    assert response.status_code == 200
    assert response.json["active"] is False


def _clinic(app, clock):
    from tests.factories import book_series, make_clinic

    with app.app_context():
        clinic = make_clinic()
        book_series(clinic, clock.now)  # doses from Mon 8 March 2027, 09:00 New York
        return clinic


def test_time_off_is_added_listed_and_removed_with_the_visits_it_leaves_booked(app, api_as, clock):
    clinic = _clinic(app, clock)
    admin = api_as("admin")
    path = f"/api/v1/providers/{clinic['provider_id']}/time-off"
    body = {"start": "2027-03-08T00:00:00-05:00", "end": "2027-03-09T00:00:00-05:00", "reason": "Training"}
    created = admin.post(path, json=body)
    assert created.status_code == 201, created.json
    assert created.json == {
        "id": created.json["id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-08T00:00:00-05:00",
        "end": "2027-03-09T00:00:00-05:00",
        "reason": "Training",
        "booked_visits": 1,
    }
    # Given in another offset, answered in the provider's own timezone (after the switch to daylight time).
    later = admin.post(
        path, json={"start": "2027-08-02T12:00:00Z", "end": "2027-08-03T12:00:00Z", "reason": "Leave"}
    )
    assert later.json["start"] == "2027-08-02T08:00:00-04:00" and later.json["booked_visits"] == 0

    listed = api_as("frontdesk").get(path)
    assert [(t["reason"], t["booked_visits"]) for t in listed.json] == [("Training", 1), ("Leave", 0)]

    assert admin.delete(f"{path}/{created.json['id']}").status_code == 204
    assert admin.delete(f"{path}/{created.json['id']}").status_code == 404
    assert [t["reason"] for t in admin.get(path).json] == ["Leave"]


def test_time_off_blocks_new_bookings_with_the_provider(app, api_as, clock):
    clinic = _clinic(app, clock)
    body = {"start": "2027-03-10T08:00:00-05:00", "end": "2027-03-10T18:00:00-05:00", "reason": "Conference"}
    assert (
        api_as("admin").post(f"/api/v1/providers/{clinic['provider_id']}/time-off", json=body).status_code
        == 201
    )
    visit = {
        "patient_id": clinic["patient_id"],
        "kind": "consult",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-10T10:00:00-05:00",
    }
    refused = api_as("frontdesk").post("/api/v1/appointments", json=visit)
    assert refused.status_code == 409
    assert "provider_time_off" in {
        rule["code"] for c in refused.json["conflicts"] for rule in c.get("rules", [c])
    }


def test_refused_time_off_names_the_field_and_writes_nothing(app, api_as, clock):
    from clinic.models.provider import ProviderTimeOff

    clinic = _clinic(app, clock)
    admin = api_as("admin")
    path = f"/api/v1/providers/{clinic['provider_id']}/time-off"
    valid = {"start": "2027-03-10T08:00:00-05:00", "end": "2027-03-10T18:00:00-05:00", "reason": "Leave"}
    cases = [
        ({**valid, "end": valid["start"]}, "end"),
        ({**valid, "end": "2027-03-09T08:00:00-05:00"}, "end"),
        ({**valid, "start": "0001-01-01T00:00:00+00:00"}, "start"),
        ({**valid, "end": "2099-01-01T00:00:00+00:00"}, "end"),
        ({**valid, "start": "2027-03-10T08:00:00"}, "start"),  # no offset
        ({**valid, "reason": ""}, "reason"),
        ({"start": valid["start"], "end": valid["end"]}, "reason"),
    ]
    for body, field in cases:
        response = admin.post(path, json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (field, response.json)
    assert admin.post("/api/v1/providers/4242/time-off", json=valid).status_code == 404
    assert api_as("frontdesk").post(path, json=valid).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(ProviderTimeOff.id))) == 0


def test_windows_overlap_only_at_the_same_location(app, api_as):
    first, second = _location_id(app), _location_id(app)
    morning = {"weekday": "mon", "start": "08:00", "end": "12:00", "location_id": first}
    body = {"name": "Dr. C", "role": "prescriber", "email": "c@example.com"}
    elsewhere = {**morning, "location_id": second, "start": "09:00", "end": "13:00"}
    assert (
        api_as("admin")
        .post("/api/v1/providers", json={**body, "availability": [morning, elsewhere]})
        .status_code
        == 201
    )
