from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from tests.factories import make_clinic, make_patient


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


def _series(desk, clinic, protocol="spravato-induction", **extra):
    body = {
        "patient_id": clinic["patient_id"],
        "protocol": protocol,
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": "2027-03-08",
        "start_time": "09:00",
        **extra,
    }
    response = desk.post("/api/v1/series", json=body)
    assert response.status_code == 201, response.json
    return response.json


def _doses(series):
    return [a for a in series["appointments"] if a["kind"] == "dose"]


def test_moving_a_dose_too_close_to_its_neighbour_is_409_naming_the_min_gap(app, desk, clinic):
    series = _series(desk, clinic)
    second = _doses(series)[1]  # Thu 11 March; the first is Mon 8 March
    response = desk.patch(f"/api/v1/appointments/{second['id']}", json={"start": "2027-03-09T09:00:00-05:00"})
    assert response.status_code == 409
    codes = {rule["code"] for c in response.json["conflicts"] for rule in c["rules"]}
    assert "min_gap" in codes
    message = response.json["conflicts"][0]["rules"][0]["message"]
    assert "apart" in message
    unchanged = desk.get(f"/api/v1/appointments/{second['id']}").json
    assert unchanged["start"] == second["start"]
    assert unchanged["sequence"] == 0


def test_moving_one_dose_within_the_rules_bumps_its_sequence(app, desk, clinic):
    series = _series(desk, clinic)
    second = _doses(series)[1]
    response = desk.patch(f"/api/v1/appointments/{second['id']}", json={"start": "2027-03-11T13:30:00-05:00"})
    assert response.status_code == 200, response.json
    [moved] = response.json
    assert moved["start"] == "2027-03-11T13:30:00-05:00"
    assert moved["sequence"] == 1
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.reschedule"))
        assert event.object_id == str(second["id"])


def test_scope_following_shifts_later_doses_and_keeps_their_spacing(app, desk, clinic):
    series = _series(desk, clinic)
    doses = _doses(series)
    third = doses[2]  # Mon 15 March 09:00 EDT
    response = desk.patch(
        f"/api/v1/appointments/{third['id']}",
        json={"start": "2027-03-16T10:00:00-04:00", "scope": "following"},
    )
    assert response.status_code == 200, response.json
    moved = response.json
    assert len(moved) == 12  # doses 3..12 and the two follow-ups
    before = {a["id"]: datetime.fromisoformat(a["start"]) for a in series["appointments"]}
    for visit in moved:
        new = datetime.fromisoformat(visit["start"])
        old = before[visit["id"]]
        assert (new.date() - old.date()).days == 1
        assert new.strftime("%H:%M") == "10:00"
        assert visit["sequence"] == 1
    first_two = desk.get(f"/api/v1/appointments/{doses[0]['id']}").json
    assert first_two["sequence"] == 0


def test_reschedule_preview_shows_the_rules_without_moving(app, desk, clinic):
    series = _series(desk, clinic)
    second = _doses(series)[1]
    preview = desk.post(
        f"/api/v1/appointments/{second['id']}/reschedule-preview", json={"start": "2027-03-09T09:00:00-05:00"}
    )
    assert preview.status_code == 200
    assert preview.json[0]["rules"][0]["code"] == "min_gap"
    assert desk.get(f"/api/v1/appointments/{second['id']}").json["start"] == second["start"]


def test_cancel_one_visit_or_the_rest_of_the_series(app, desk, clinic):
    series = _series(desk, clinic)
    doses = _doses(series)
    one = desk.post(f"/api/v1/appointments/{doses[0]['id']}/cancel", json={"reason": "Patient unwell"})
    assert one.status_code == 200
    assert [a["status"] for a in one.json] == ["cancelled"]
    assert one.json[0]["sequence"] == 1
    again = desk.post(f"/api/v1/appointments/{doses[0]['id']}/cancel", json={"reason": "twice"})
    assert again.status_code == 409

    rest = desk.post(
        f"/api/v1/appointments/{doses[5]['id']}/cancel",
        json={"reason": "Stopping treatment", "scope": "following"},
    )
    assert len(rest.json) == 9  # doses 6..12 and both follow-ups
    statuses = [a["status"] for a in desk.get(f"/api/v1/series/{series['id']}").json["appointments"]]
    assert statuses.count("scheduled") == 4
    missing_reason = desk.post(f"/api/v1/appointments/{doses[1]['id']}/cancel", json={})
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.json["errors"]


def test_no_show_only_after_the_start_and_then_replan_the_rest(app, desk, clinic, clock, api_as):
    series = _series(desk, clinic)
    doses = _doses(series)
    early = desk.post(f"/api/v1/appointments/{doses[0]['id']}/no-show")
    assert early.status_code == 409

    clock.now = datetime.fromisoformat("2027-03-08T10:00:00-05:00")
    desk = api_as("frontdesk")  # the first token expired in the week that passed
    assert desk.post(f"/api/v1/appointments/{doses[0]['id']}/no-show").json["status"] == "no_show"

    replanned = desk.post(f"/api/v1/series/{series['id']}/replan", json={"start_date": "2027-03-10"})
    assert replanned.status_code == 200, replanned.json
    new_doses = [a for a in replanned.json if a["kind"] == "dose"]
    assert len(new_doses) == 12  # nothing was given yet
    assert datetime.fromisoformat(new_doses[0]["start"]).date() == date(2027, 3, 10)
    assert [a["dose_number"] for a in new_doses] == list(range(1, 13))
    after = desk.get(f"/api/v1/series/{series['id']}").json["appointments"]
    cancelled = [a for a in after if a["status"] == "cancelled"]
    assert len(cancelled) == 13 and all(a["cancel_reason"] == "re-planned" for a in cancelled)


def test_single_visits_and_a_taken_chair(app, desk, clinic):
    with app.app_context():
        other = make_patient().id
        db.session.commit()
    body = {
        "patient_id": clinic["patient_id"],
        "kind": "dose",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-09T10:00:00-05:00",
        "chair_id": clinic["chairs"][0],
    }
    booked = desk.post("/api/v1/appointments", json=body)
    assert booked.status_code == 201, booked.json
    assert booked.json["protocol"] == "iv-ketamine-booster"
    end = datetime.fromisoformat(booked.json["end"])
    assert end - datetime.fromisoformat(booked.json["start"]) == timedelta(minutes=115)

    taken = desk.post("/api/v1/appointments", json={**body, "patient_id": other})
    assert taken.status_code == 409
    assert {c["code"] for c in taken.json["conflicts"]} == {"no_chair"}
    answer = taken.get_data(as_text=True)
    assert "patient" not in answer.lower() and "Ient" not in answer  # nothing about who holds the chair

    follow_up = desk.post(
        "/api/v1/appointments",
        json={**body, "kind": "follow_up", "chair_id": None, "start": "2027-03-10T15:00:00-05:00"},
    )
    assert follow_up.status_code == 201
    assert follow_up.json["chair_id"] is None

    naive = desk.post("/api/v1/appointments", json={**body, "start": "2027-03-09T10:00:00"})
    assert naive.status_code == 422
    assert "start" in naive.json["errors"]
    wrong_kind = desk.post(
        "/api/v1/appointments",
        json={**body, "chair_id": clinic["rooms"][0], "protocol": "iv-ketamine-booster"},
    )
    assert wrong_kind.status_code == 422
    assert "chair_id" in wrong_kind.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == 2


def test_listing_filters(app, desk, clinic, api_as):
    series = _series(desk, clinic)
    in_march = desk.get("/api/v1/appointments?start=2027-03-01T00:00:00Z&end=2027-04-01T00:00:00Z")
    assert len(in_march.json) == 7
    assert all(a["patient_name"] for a in in_march.json)
    desk.post(f"/api/v1/appointments/{_doses(series)[0]['id']}/cancel", json={"reason": "x"})
    scheduled = desk.get("/api/v1/appointments?status=scheduled")
    assert len(scheduled.json) == 13
    both = desk.get("/api/v1/appointments?status=scheduled,cancelled")
    assert len(both.json) == 14
    bad = desk.get("/api/v1/appointments?status=lost")
    assert bad.status_code == 422
    assert api_as("provider").get("/api/v1/appointments").status_code == 200
    assert api_as("admin").get("/api/v1/appointments").status_code == 403


def _visit(clinic, start, kind="dose", **extra):
    body = {
        "patient_id": clinic["patient_id"],
        "kind": kind,
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": start,
        **extra,
    }
    if kind == "dose":
        body.setdefault("protocol", "iv-ketamine-booster")
    return body


def test_a_second_dose_on_the_same_local_day_is_409_dose_same_day(app, desk, clinic):
    assert (
        desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-09T08:00:00-05:00")).status_code == 201
    )
    late = desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-09T15:00:00-05:00"))
    assert late.status_code == 409
    assert [c["code"] for c in late.json["conflicts"]] == ["dose_same_day"]
    assert (
        late.json["conflicts"][0]["message"] == "One dose a day: the patient already has a dose on Tue, Mar 9"
    )
    follow_up = desk.post(
        "/api/v1/appointments", json=_visit(clinic, "2027-03-09T15:00:00-05:00", "follow_up")
    )
    assert follow_up.status_code == 201
    next_day = desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-10T08:00:00-05:00"))
    assert next_day.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.kind == "dose")) == 2


def test_a_series_dose_moves_off_a_day_the_patient_already_has_a_dose(app, desk, clinic):
    booster = desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-11T14:00:00-05:00"))
    assert booster.status_code == 201
    series = _series(desk, clinic)
    doses = _doses(series)
    days = [a["start"][:10] for a in doses]
    assert "2027-03-11" not in days  # the series' Thursday
    moved = next(a for a in doses if "One dose a day" in a["planning_note"])
    assert moved["start"][:10] == "2027-03-12"


def test_moving_a_dose_onto_a_day_with_another_dose_is_409_with_suggestions(app, desk, clinic):
    series = _series(desk, clinic)  # doses on Mon 8 and Thu 11 March
    booster = desk.post("/api/v1/appointments", json=_visit(clinic, "2027-03-09T10:00:00-05:00")).json
    refused = desk.patch(f"/api/v1/appointments/{booster['id']}", json={"start": "2027-03-11T14:00:00-05:00"})
    assert refused.status_code == 409
    assert refused.json["conflicts"][0]["rules"] == [
        {
            "code": "dose_same_day",
            "message": "One dose a day: the patient already has a dose on Thu, Mar 11",
        }
    ]
    # Thursday is out whole; Friday morning is nearer than Wednesday afternoon
    assert refused.json["suggestions"] == [
        "2027-03-12T08:00:00-05:00",
        "2027-03-12T08:15:00-05:00",
        "2027-03-12T08:30:00-05:00",
    ]
    assert desk.get(f"/api/v1/appointments/{booster['id']}").json["sequence"] == 0
    taken = desk.patch(
        f"/api/v1/appointments/{booster['id']}", json={"start": refused.json["suggestions"][0]}
    )
    assert taken.status_code == 200, taken.json
    # a series dose cannot move onto the booster's new day either
    second = _doses(series)[1]
    onto = desk.patch(f"/api/v1/appointments/{second['id']}", json={"start": "2027-03-12T13:00:00-05:00"})
    assert onto.status_code == 409
    assert "dose_same_day" in {r["code"] for r in onto.json["conflicts"][0]["rules"]}


def test_every_suggestion_of_a_refused_move_passes(app, desk, clinic):
    series = _series(desk, clinic)
    second = _doses(series)[1]
    refused = desk.patch(f"/api/v1/appointments/{second['id']}", json={"start": "2027-03-09T09:00:00-05:00"})
    assert refused.status_code == 409
    suggestions = refused.json["suggestions"]
    assert len(suggestions) == 3
    for start in suggestions:
        preview = desk.post(f"/api/v1/appointments/{second['id']}/reschedule-preview", json={"start": start})
        assert preview.json[0]["rules"] == [], start
    assert (
        desk.patch(f"/api/v1/appointments/{second['id']}", json={"start": suggestions[0]}).status_code == 200
    )
    # moving the rest of the series: each suggestion moves every later visit within the rules
    third = _doses(series)[2]
    following = desk.patch(
        f"/api/v1/appointments/{third['id']}",
        json={"start": "2027-03-13T09:00:00-05:00", "scope": "following"},
    )
    assert following.status_code == 409  # a Saturday
    assert following.json["suggestions"]
    for start in following.json["suggestions"]:
        preview = desk.post(
            f"/api/v1/appointments/{third['id']}/reschedule-preview",
            json={"start": start, "scope": "following"},
        )
        assert all(move["rules"] == [] for move in preview.json), start
