"""The floor board through the API with the clock frozen: each chair's visit, its phase and next check."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import marshmallow as ma
import pytest
from sqlalchemy import event, func, select

from clinic.api.schemas.floor import FloorBoardSchema, board_json
from clinic.domain.floor import FloorPhase, NextCheck
from clinic.domain.transport import TransportStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.services.chairs import update_chair
from clinic.services.floor import FloorBoard, FloorChair, FloorCheck, FloorVisit, PatientAnswer
from tests.factories import FACTORY_ACTOR, FACTORY_NOW, book_series, make_clinic, make_patient, make_provider
from tests.sessions import bp, check_in_with_ride, dose, monitored_session, record

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
    assert sorted(c["chair_id"] for c in board["chairs"]) == sorted(clinic["rooms"] + clinic["chairs"][:1])
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


def test_the_board_reads_no_patient_it_does_not_show(app, clock, clinic, api_as):
    """A patient in the chair hides the next arrival, and the next arrival the patient who left: the board
    neither shows nor reads them, so the audit of each read names only the patients shown."""
    with app.app_context():
        patient = make_patient(rems_enrolled_on=date(2027, 1, 4))
        db.session.commit()
        first = db.session.get(Appointment, clinic["id"])
        following = book_series(clinic, clock.now, patient_id=patient.id, start_time=time(13)).appointments[0]
        # the next patient of the same room, as soon as the first visit ends
        length = following.end_at - following.start_at
        following.chair_id, following.start_at = first.chair_id, first.end_at
        following.end_at = first.end_at + length
        db.session.commit()
        following_id, arrives_at = following.id, following.start_at

    def reads(patient_id: int) -> int:
        with app.app_context():
            return len(
                db.session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "patient.read", AuditEvent.object_id == str(patient_id)
                    )
                ).all()
            )

    clock.now = START - timedelta(minutes=10)
    desk = api_as("frontdesk")
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    monitored_session(desk, doctor, clinic["id"], clock)
    assert clock.now >= arrives_at - timedelta(hours=1)  # the next patient is arriving too
    before = (reads(clinic["patient_id"]), reads(patient.id))
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert (visit["appointment_id"], visit["phase"]) == (clinic["id"], "ready")
    assert (reads(clinic["patient_id"]), reads(patient.id)) == (before[0] + 1, before[1])

    assert desk.post(f"/api/v1/appointments/{clinic['id']}/complete", json={}).status_code == 200
    clock.advance(minutes=2)
    before = (reads(clinic["patient_id"]), reads(patient.id))
    visit = _visit(_board(desk, clinic["location_id"]), clinic["chair_id"])
    assert (visit["appointment_id"], visit["phase"]) == (following_id, "arriving")
    assert (reads(clinic["patient_id"]), reads(patient.id)) == (before[0], before[1] + 1)


def test_each_read_of_the_board_is_audited_once_per_patient_it_shows(app, clock, clinic, api_as):
    """One `patient.read` row per patient on the board, naming who read it, when, from where and through
    which endpoint (PostgreSQL writes them from one array of patients, SQLite row by row: the same rows)."""
    with app.app_context():
        other = make_provider(db.session.get(Location, clinic["location_id"]), max_concurrent=2)
        patient = make_patient(rems_enrolled_on=date(2027, 1, 4))
        db.session.commit()
        book_series(clinic, clock.now, patient_id=patient.id, provider_id=other.id)
        patient_ids = sorted([clinic["patient_id"], patient.id])
        before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    clock.now = START - timedelta(minutes=30)
    desk = api_as("frontdesk", email="desk@example.com")

    response = desk.get(
        f"/api/v1/floor?location_id={clinic['location_id']}", environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert response.status_code == 200
    assert sum(c["visit"] is not None for c in response.json["chairs"]) == 2

    with app.app_context():
        reads = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > before, AuditEvent.action == "patient.read")
            .order_by(AuditEvent.id)
        ).all()
        rows = [
            (e.object_type, e.object_id, e.actor_label, e.remote_addr, e.details, e.occurred_at)
            for e in reads
        ]
    via = {"via": "floor.FloorResource"}
    assert rows == [
        ("patient", str(pid), "desk@example.com", "10.1.2.3", via, clock.now) for pid in patient_ids
    ]


def test_the_answer_is_what_the_declared_fields_make_of_the_board():
    zone = ZoneInfo("America/New_York")
    at = datetime(2027, 3, 8, 9, 0, tzinfo=zone)
    full = FloorVisit(
        appointment_id=7,
        patient_name="Ines Alvarez",
        phase=FloorPhase.MONITORING,
        start=at,
        checked_in_at=at - timedelta(minutes=5),
        dose_given_at=at + timedelta(minutes=10),
        completed_at=at + timedelta(hours=3),
        monitoring_until=at + timedelta(hours=2, minutes=10),
        next_check=NextCheck("bp_post40", at + timedelta(minutes=50), True),
        checks=[
            FloorCheck("bp_pre", at - timedelta(minutes=5), at - timedelta(minutes=2), False),
            FloorCheck("bp_post40", at + timedelta(minutes=50), None, True),
            FloorCheck("bp_discharge", None, None, False),
        ],
        ride_status=TransportStatus.VERIFIED,
        ride_pickup_at=at + timedelta(hours=3),
        patient_answers=(
            PatientAnswer("phq9", 12, at - timedelta(minutes=55), True),
            PatientAnswer("gad7", None, at - timedelta(minutes=55), False),
        ),
    )
    bare = FloorVisit(
        appointment_id=8,
        patient_name=None,
        phase=FloorPhase.ARRIVING,
        start=at + timedelta(hours=1),
        checked_in_at=None,
        dose_given_at=None,
        completed_at=None,
        monitoring_until=None,
        next_check=None,
        checks=[],
        ride_status=None,
        ride_pickup_at=None,
    )
    board = FloorBoard(
        SimpleNamespace(id=3),
        at,
        [
            FloorChair(1, "Room 1", "spravato_room", full),
            FloorChair(2, "Room 2", "spravato_room", bare),
            FloorChair(3, "Infusion 1", "infusion_chair", None),
        ],
    )
    schema = FloorBoardSchema()
    declared = ma.Schema.dump(schema, board)
    assert schema.dump(board) == declared
    assert board_json(board) == declared and declared["chairs"][0]["visit"]["ride"]["status"] == "verified"
    assert declared["chairs"][0]["visit"]["patient_answers"][0]["total"] == 12
