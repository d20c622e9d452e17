"""GET /api/v1/slots: free times that pass every rule a booking checks."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from tests.factories import make_clinic, make_patient


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


def _query(clinic, **params):
    base = {"location_id": clinic["location_id"], "provider_id": clinic["provider_id"], "from": "2027-03-09"}
    return "/api/v1/slots?" + "&".join(f"{k}={v}" for k, v in {**base, **params}.items())


def _new_patient(app) -> int:
    with app.app_context():
        patient_id = make_patient().id
        db.session.commit()
    return patient_id


def _book(desk, clinic, slot, **body):
    return desk.post(
        "/api/v1/appointments",
        json={
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": slot["start"],
            **body,
        },
    )


def test_every_free_dose_slot_of_a_day_can_be_booked_one_after_another(app, desk, clinic):
    query = _query(clinic, kind="dose", protocol="iv-ketamine-booster", days=1)
    first = desk.get(query)
    assert first.status_code == 200, first.json
    slots = first.json["slots"]
    assert slots[0] == {
        "start": "2027-03-09T08:00:00-05:00",
        "end": "2027-03-09T09:55:00-05:00",
        "chair_id": clinic["chairs"][0],
    }
    assert slots[-1]["start"] == "2027-03-09T16:00:00-05:00"  # the last quarter hour a dose still fits
    booked = 0
    while slots:
        # alternate between the earliest and the latest free time, each for a new patient
        slot = slots[0] if booked % 2 == 0 else slots[-1]
        patient_id = _new_patient(app)
        response = _book(desk, clinic, slot, kind="dose", patient_id=patient_id, chair_id=slot["chair_id"])
        assert response.status_code == 201, (slot, response.json)
        assert response.json["start"] == slot["start"] and response.json["chair_id"] == slot["chair_id"]
        booked += 1
        after = desk.get(query).json["slots"]
        assert slot not in after
        assert {s["start"] for s in after} <= {s["start"] for s in slots}  # booking only takes time away
        slots = after
    # two infusion chairs (and a provider for two at once) over 10 hours of 115-minute doses
    assert 8 <= booked <= 10
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == booked


def test_every_free_follow_up_slot_of_a_patient_can_be_booked(app, desk, clinic):
    query = _query(clinic, kind="follow_up", patient_id=clinic["patient_id"], days=1)
    slots = desk.get(query).json["slots"]
    assert len(slots) == 39  # 08:00 .. 17:30 every 15 minutes
    assert all(slot["chair_id"] is None for slot in slots)
    booked = 0
    while slots:
        response = _book(desk, clinic, slots[0], kind="follow_up", patient_id=clinic["patient_id"])
        assert response.status_code == 201, (slots[0], response.json)
        booked += 1
        slots = desk.get(query).json["slots"]
    assert booked == 20  # back to back, 30 minutes each


def test_a_patient_with_a_dose_that_day_gets_no_dose_slots_that_day(app, desk, clinic):
    dose = {"kind": "dose", "patient_id": clinic["patient_id"], "chair_id": clinic["chairs"][0]}
    assert _book(desk, clinic, {"start": "2027-03-09T08:00:00-05:00"}, **dose).status_code == 201
    doses = desk.get(
        _query(clinic, kind="dose", protocol="iv-ketamine-booster", patient_id=clinic["patient_id"], days=2)
    ).json["slots"]
    assert doses and all(s["start"].startswith("2027-03-10") for s in doses)
    # without the patient the other chair is still free that day; other kinds of visit are fine too
    anyone = desk.get(_query(clinic, kind="dose", protocol="iv-ketamine-booster", days=1)).json["slots"]
    assert anyone[0]["start"] == "2027-03-09T08:00:00-05:00" and anyone[0]["chair_id"] == clinic["chairs"][1]
    follow_ups = desk.get(_query(clinic, kind="follow_up", patient_id=clinic["patient_id"], days=1)).json
    assert follow_ups["slots"][0]["start"] == "2027-03-09T10:00:00-05:00"


def test_slots_default_to_a_week_from_today_and_skip_what_has_passed(app, desk, clinic, clock):
    clock.now = datetime.fromisoformat("2027-03-01T10:07:00-05:00")  # Monday
    params = {"location_id": clinic["location_id"], "provider_id": clinic["provider_id"]}
    answer = desk.get("/api/v1/slots?kind=consult&" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert answer.status_code == 200
    starts = [datetime.fromisoformat(s["start"]) for s in answer.json["slots"]]
    assert starts[0].isoformat() == "2027-03-01T10:15:00-05:00"
    assert starts == sorted(starts)
    # this week: the rest of Monday, then 39 quarter hours on each working day through Friday
    assert len(starts) == 30 + 4 * 39 and starts[-1].isoformat() == "2027-03-05T17:30:00-05:00"
    longer = desk.get("/api/v1/slots?kind=consult&days=14&" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert len(longer.json["slots"]) == 200  # capped
    week = desk.get(_query(clinic, kind="integration", **{"from": "2027-03-01"})).json["slots"]
    assert {s["start"][:10] for s in week} == {f"2027-03-0{d}" for d in (1, 2, 3, 4, 5)}
    lengths = {datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) for s in week}
    assert lengths == {timedelta(hours=1)}


def test_spravato_dose_slots_need_the_patients_rems_enrolment(app, desk, clinic):
    unenrolled = _new_patient(app)
    query = _query(clinic, kind="dose", protocol="spravato-maintenance", days=1)
    assert desk.get(query).json["slots"][0]["chair_id"] == clinic["rooms"][0]
    assert desk.get(f"{query}&patient_id={unenrolled}").json["slots"] == []
    assert desk.get(f"{query}&patient_id={clinic['patient_id']}").json["slots"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "dose"}, "protocol"),
        ({"kind": "nap"}, "kind"),
        ({"kind": "consult", "days": 0}, "days"),
        ({"kind": "consult", "days": 32}, "days"),
        ({"kind": "consult", "from": "someday"}, "from"),
        ({"kind": "consult", "from": "1999-01-01"}, "from"),
        ({"kind": "consult", "location_id": 999999}, "location_id"),
        ({"kind": "consult", "patient_id": 999999}, "patient_id"),
        ({"kind": "consult", "provider_id": "x"}, "provider_id"),
        ({"kind": "dose", "protocol": "no-such-protocol"}, "protocol"),
    ],
)
def test_bad_input_is_422_naming_the_field(app, desk, clinic, params, field):
    answer = desk.get(_query(clinic, **params))
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]


def test_only_those_who_book_visits_see_free_times(app, client, clinic, api_as):
    query = _query(clinic, kind="consult")
    assert client.get(query).status_code == 401
    assert api_as("admin").get(query).status_code == 403
    assert api_as("provider").get(query).status_code == 403
