"""The floor board through the API with the clock frozen: each chair's visit, its phase and next check."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.services.chairs import update_chair
from tests.factories import FACTORY_ACTOR, FACTORY_NOW, book_series, make_clinic, make_patient, make_provider
from tests.sessions import bp, check_in_with_ride, dose, record

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST


@pytest.fixture
def clinic(app, clock):
    with app.app_context():
        clinic = make_clinic()
        first = book_series(clinic, clock.now).appointments[0]
        return {**clinic, "id": first.id, "chair_id": first.chair_id}


def _board(client, location_id: int) -> dict:
    response = client.get(f"/api/v1/floor?location_id={location_id}")
    assert response.status_code == 200, response.json
    return response.json


def _visit(board: dict, chair_id: int) -> dict | None:
    [chair] = [c for c in board["chairs"] if c["chair_id"] == chair_id]
    return chair["visit"]


def test_every_active_chair_is_on_the_board_free_until_its_visit_arrives(app, clock, clinic, api_as):
    with app.app_context():
        retired = db.session.get(Chair, clinic["chairs"][1])
        update_chair(retired, {"active": False}, FACTORY_ACTOR, FACTORY_NOW)
        db.session.commit()
    clock.now = START - timedelta(minutes=61)
    desk = api_as("frontdesk")
    board = _board(desk, clinic["location_id"])
    assert sorted(c["chair_id"] for c in board["chairs"]) == sorted(
        clinic["rooms"] + clinic["chairs"][:1]
    )
    assert all(c["visit"] is None for c in board["chairs"])

    clock.now = START - timedelta(minutes=60)
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert visit["appointment_id"] == clinic["id"]
    assert visit["phase"] == "arriving"
    assert visit["patient_name"]
    assert visit["ride"]["status"] == "missing"
    assert visit["ride"]["pickup_at"].endswith("-05:00")
    assert (visit["checked_in_at"], visit["dose_given_at"], visit["monitoring_until"]) == (None, None, None)


def test_a_spravato_session_moves_through_every_phase(app, clock, clinic, api_as):
    clock.now = START - timedelta(minutes=10)
    desk = api_as("frontdesk")
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    check_in_with_ride(desk, clinic["id"])
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert visit["phase"] == "checked_in"
    assert visit["checked_in_at"] == "2027-03-08T08:50:00-05:00"
    assert visit["next_check"] == {"name": "bp_pre", "due_at": "2027-03-08T08:50:00-05:00", "overdue": False}
    assert visit["ride"]["status"] == "verified"

    clock.advance(minutes=5)
    assert _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])["next_check"]["overdue"] is True
    record(doctor, clinic["id"], bp("pre"))
    clock.advance(minutes=5)
    assert dose(doctor, clinic["id"]).status_code == 201
    clock.advance(minutes=30)
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert visit["phase"] == "monitoring"
    assert visit["dose_given_at"] == "2027-03-08T09:00:00-05:00"
    assert visit["monitoring_until"] == "2027-03-08T11:00:00-05:00"
    assert visit["next_check"]["overdue"] is True  # sedation and dissociation are due at the dose
    assert {c["name"]: c["done_at"] is not None for c in visit["checks"]} == {
        "bp_pre": True,
        "bp_post40": False,
        "sedation": False,
        "dissociation": False,
        "bp_discharge": False,
    }
    record(doctor, clinic["id"], {"instrument": "sedation", "moaas": 5})
    record(doctor, clinic["id"], {"instrument": "dissociation", "cadss_total": 0})
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert visit["next_check"] == {
        "name": "bp_post40",
        "due_at": "2027-03-08T09:40:00-05:00",
        "overdue": False,
    }

    clock.advance(minutes=15)
    record(doctor, clinic["id"], bp("post40"))
    clock.advance(minutes=70)
    record(doctor, clinic["id"], bp("discharge"))
    clock.advance(minutes=5)
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert (visit["phase"], visit["next_check"]) == ("ready", None)

    assert desk.post(f"/api/v1/appointments/{clinic['id']}/complete", json={}).status_code == 200
    clock.advance(minutes=14)
    assert _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])["phase"] == "discharged"
    clock.advance(minutes=1)
    assert _visit(_board(desk, clinic["location_id"]), clinic["chair_id"]) is None


def test_a_provider_sees_names_only_of_the_patients_they_treat(app, clock, clinic, api_as):
    with app.app_context():
        other = make_provider(db.session.get(Location, clinic["location_id"]), max_concurrent=2)
        patient = make_patient(rems_enrolled_on=date(2027, 1, 4))
        db.session.commit()
        theirs = book_series(clinic, clock.now, patient_id=patient.id, provider_id=other.id).appointments[0]
        theirs_chair = theirs.chair_id
    assert theirs_chair != clinic["chair_id"]
    clock.now = START - timedelta(minutes=5)
    desk = api_as("frontdesk")
    check_in_with_ride(desk, clinic["id"])
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    board = _board(doctor, clinic["location_id"])
    assert _visit(board, clinic["chair_id"])["patient_name"]
    busy = _visit(board, theirs_chair)
    assert (busy["phase"], busy["patient_name"]) == ("arriving", None)
    assert _visit(_board(desk, clinic["location_id"]), theirs_chair)["patient_name"]
    assert api_as("admin").get(f"/api/v1/floor?location_id={clinic['location_id']}").status_code == 403


def test_an_unknown_location_is_a_404_and_one_is_required(app, clock, clinic, api_as):
    desk = api_as("frontdesk")
    assert desk.get("/api/v1/floor?location_id=999").status_code == 404
    assert desk.get("/api/v1/floor").status_code == 422


def test_the_board_is_read_in_the_same_number_of_queries_however_many_chairs_are_busy(
    app, clock, clinic, api_as
):
    with app.app_context():
        other = make_provider(db.session.get(Location, clinic["location_id"]), max_concurrent=2)
        patient = make_patient(rems_enrolled_on=date(2027, 1, 4))
        db.session.commit()
        second = book_series(clinic, clock.now, patient_id=patient.id, provider_id=other.id).appointments[0]
        second_id = second.id

    def queries() -> tuple[int, int]:
        _board(doctor, clinic["location_id"])  # the token's first use is recorded once
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            board = _board(doctor, clinic["location_id"])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements), sum(c["visit"] is not None for c in board["chairs"])

    clock.now = START - timedelta(hours=2)
    desk = api_as("frontdesk")
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    free, busy = queries()
    assert busy == 0
    clock.now = START - timedelta(minutes=5)
    check_in_with_ride(desk, clinic["id"])
    check_in_with_ride(desk, second_id)
    record(doctor, clinic["id"], bp("pre"))
    dose(doctor, clinic["id"])
    clock.advance(minutes=30)
    assert queries() == (free + 1, 2)  # and one insert audits the patients read, however many
