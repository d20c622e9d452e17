"""Dates, instants and timezones out of any plausible range are 422 at the schema, naming the field, and
write nothing; the values at the edge of each range are accepted.

The clock stands at Monday 1 March 2027 15:00 UTC, so visits and pickups may lie between 2025-03-01T15:00Z
and 2030-03-01T15:00Z, and "today" reaches 2 March in the furthest-ahead timezone (UTC+14).
"""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location, LocationClosure
from clinic.models.patient import Patient
from clinic.models.series import Series
from tests.api.test_locations import VALID_LOCATION
from tests.api.test_patients import VALID_PATIENT
from tests.factories import make_clinic

CALENDAR_TYPOS = ("0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00")
RIDE = {
    "mode": "driver",
    "contact_name": "Sam Lindqvist",
    "contact_phone": "+16175550177",
    "status": "arranged",
}


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


@pytest.fixture
def dose(desk, clinic):
    booked = desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-03T10:00:00-05:00"))
    assert booked.status_code == 201, booked.json
    return booked.json


def _visit(clinic, start):
    return {
        "patient_id": clinic["patient_id"],
        "kind": "dose",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": start,
        "chair_id": clinic["chairs"][0],
    }


def _series(clinic, start_date):
    return {
        "patient_id": clinic["patient_id"],
        "protocol": "spravato-induction",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": start_date,
        "start_time": "09:00",
    }


def _refused(response, field):
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    return response


def _row(app, model, row_id, *columns):
    with app.app_context():
        row = db.session.get(model, row_id)
        return tuple(getattr(row, column) for column in columns)


def _ride(app, appointment_id):
    with app.app_context():
        transport = db.session.get(Appointment, appointment_id).transport
        return (transport.status, transport.contact_name, transport.pickup_at, transport.updated_at)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_pickup_out_of_range_is_refused_and_the_lists_keep_answering(app, desk, dose):
    before = _ride(app, dose["id"])
    for pickup_at in (*CALENDAR_TYPOS, "2025-03-01T14:59:59Z", "2030-03-01T15:00:01Z"):
        refused = _refused(
            desk.put(f"/api/v1/appointments/{dose['id']}/transport", json={**RIDE, "pickup_at": pickup_at}),
            "pickup_at",
        )
        assert "pickup_at" in refused.json["detail"]
    assert _ride(app, dose["id"]) == before

    assert desk.get("/api/v1/transport/at-risk?hours=72").status_code == 200
    assert desk.get("/api/v1/appointments").status_code == 200
    shown = desk.get(f"/api/v1/appointments/{dose['id']}")
    assert shown.status_code == 200
    assert shown.json["transport"]["status"] == "missing"


@pytest.mark.parametrize("pickup_at", ["2025-03-01T15:00:00Z", "2030-03-01T10:00:00-05:00"])
def test_a_pickup_at_either_end_of_the_window_is_saved(app, desk, dose, pickup_at):
    saved = desk.put(f"/api/v1/appointments/{dose['id']}/transport", json={**RIDE, "pickup_at": pickup_at})
    assert saved.status_code == 200, saved.json
    assert _ride(app, dose["id"])[0] == "arranged"


def test_a_visit_out_of_range_is_not_booked(app, desk, clinic):
    for start in (*CALENDAR_TYPOS, "2030-03-01T10:01:00-05:00"):
        _refused(desk.post("/api/v1/appointments", json=_visit(clinic, start)), "start")
    assert _count(app, Appointment) == 0
    last_bookable = desk.post("/api/v1/appointments", json=_visit(clinic, "2030-03-01T10:00:00-05:00"))
    assert last_bookable.status_code == 201, last_bookable.json


def test_a_visit_is_not_moved_out_of_range(app, desk, dose):
    before = _row(app, Appointment, dose["id"], "start_at", "updated_at")
    for start in (*CALENDAR_TYPOS, "2030-03-01T15:00:01Z"):
        for path in ("", "/reschedule-preview"):
            method = desk.patch if path == "" else desk.post
            _refused(method(f"/api/v1/appointments/{dose['id']}{path}", json={"start": start}), "start")
    assert _row(app, Appointment, dose["id"], "start_at", "updated_at") == before
    last_day = desk.post(
        f"/api/v1/appointments/{dose['id']}/reschedule-preview", json={"start": "2030-03-01T10:00:00-05:00"}
    )
    assert last_day.status_code == 200, last_day.json


def test_a_series_out_of_range_is_neither_previewed_nor_booked(app, desk, clinic):
    for start_date in ("0001-01-01", "1899-12-31", "9999-12-31", "2025-02-28", "2030-03-02"):
        for path in ("/api/v1/series/preview", "/api/v1/series"):
            _refused(desk.post(path, json=_series(clinic, start_date)), "start_date")
    assert (_count(app, Series), _count(app, Appointment)) == (0, 0)
    last_day = desk.post("/api/v1/series/preview", json=_series(clinic, "2030-03-01"))
    assert last_day.status_code == 200, last_day.json


def test_a_series_is_not_replanned_out_of_range(app, desk, clinic):
    series = desk.post("/api/v1/series", json=_series(clinic, "2027-03-08")).json
    before = _row(app, Series, series["id"], "start_date", "status")
    replanned = desk.post(f"/api/v1/series/{series['id']}/replan", json={"start_date": "0001-01-01"})
    _refused(replanned, "start_date")
    assert _row(app, Series, series["id"], "start_date", "status") == before


def test_listing_appointments_with_an_out_of_range_bound_is_422(app, desk, dose):
    _refused(desk.get("/api/v1/appointments?start=0001-01-01T00:00:00Z"), "start")
    _refused(desk.get("/api/v1/appointments?end=2200-01-01T00:00:01Z"), "end")
    # Lists reach into any past: only the calendar's bounds apply, not the booking window.
    everything = desk.get("/api/v1/appointments?start=1900-01-01T00:00:00Z&end=2200-01-01T00:00:00Z")
    assert [a["id"] for a in everything.json] == [dose["id"]]


def test_a_closure_out_of_range_is_not_added(app, api_as, clinic):
    admin = api_as("admin")
    path = f"/api/v1/locations/{clinic['location_id']}/closures"
    for day in ("0001-01-01", "9999-12-31", "2030-03-02"):
        _refused(admin.post(path, json={"date": day, "reason": "Typo"}), "date")
    assert _count(app, LocationClosure) == 0
    assert admin.post(path, json={"date": "2030-03-01", "reason": "Staff day"}).status_code == 201


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2027-03-03", "9999-12-31"])
def test_an_implausible_date_of_birth_is_refused(app, desk, day):
    _refused(desk.post("/api/v1/patients", json={**VALID_PATIENT, "date_of_birth": day}), "date_of_birth")
    assert _count(app, Patient) == 0


@pytest.mark.parametrize("day", ["0001-01-01", "2019-03-04", "2027-03-03", "9999-01-01"])
def test_an_implausible_rems_enrolment_is_refused(app, desk, day):
    refused = desk.post("/api/v1/patients", json={**VALID_PATIENT, "rems_enrolled_on": day})
    _refused(refused, "rems_enrolled_on")
    assert _count(app, Patient) == 0


def test_a_patient_is_not_changed_to_implausible_dates(app, desk):
    patient_id = desk.post("/api/v1/patients", json=VALID_PATIENT).json["id"]
    columns = ("date_of_birth", "rems_enrolled_on", "updated_at")
    before = _row(app, Patient, patient_id, *columns)
    path = f"/api/v1/patients/{patient_id}"
    _refused(desk.patch(path, json={"date_of_birth": "0001-01-01"}), "date_of_birth")
    _refused(desk.patch(path, json={"rems_enrolled_on": "9999-01-01"}), "rems_enrolled_on")
    assert _row(app, Patient, patient_id, *columns) == before


def test_the_first_plausible_and_the_latest_today_dates_are_accepted(app, desk):
    oldest = {**VALID_PATIENT, "date_of_birth": "1900-01-01", "rems_enrolled_on": "2019-03-05"}
    created = desk.post("/api/v1/patients", json=oldest)
    assert created.status_code == 201, created.json
    # 15:00 UTC on 1 March is already 2 March east of UTC: a clinic there may enter its own today.
    newest = {**VALID_PATIENT, "date_of_birth": "2027-03-02", "rems_enrolled_on": "2027-03-02"}
    created = desk.post("/api/v1/patients", json={**newest, "email": "newest@example.com"})
    assert created.status_code == 201, created.json


@pytest.mark.parametrize(
    "timezone",
    ["localtime", "Factory", "posixrules", "/etc/localtime", "../zoneinfo/UTC", "america/new_york", "UTC "],
)
def test_a_timezone_that_is_no_place_is_refused_on_create_and_edit(app, api_as, timezone):
    admin = api_as("admin")
    _refused(admin.post("/api/v1/locations", json={**VALID_LOCATION, "timezone": timezone}), "timezone")
    assert _count(app, Location) == 0
    location_id = admin.post("/api/v1/locations", json=VALID_LOCATION).json["id"]
    _refused(admin.patch(f"/api/v1/locations/{location_id}", json={"timezone": timezone}), "timezone")
    assert _row(app, Location, location_id, "timezone") == ("America/New_York",)


@pytest.mark.parametrize("timezone", ["Pacific/Kiritimati", "UTC", "Europe/Paris", "America/Argentina/Salta"])
def test_iana_timezones_of_places_are_accepted(app, api_as, timezone):
    created = api_as("admin").post("/api/v1/locations", json={**VALID_LOCATION, "timezone": timezone})
    assert created.status_code == 201, created.json
    assert created.json["timezone"] == timezone
