from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.series import Series
from tests.factories import book_series, make_clinic, make_patient, make_provider


@pytest.fixture
def clinic(app):
    with app.app_context():
        return make_clinic()


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


def _body(clinic, protocol="spravato-induction", start_date="2027-03-08", start_time="09:00", **extra):
    return {
        "patient_id": clinic["patient_id"],
        "protocol": protocol,
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": start_date,
        "start_time": start_time,
        **extra,
    }


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_spravato_induction_keeps_09_00_across_the_dst_change(app, desk, clinic):
    preview = desk.post("/api/v1/series/preview", json=_body(clinic))
    assert preview.status_code == 200, preview.json
    assert preview.json["ok"] is True
    visits = preview.json["occurrences"]
    doses = [v for v in visits if v["kind"] == "dose"]
    assert len(doses) == 12
    assert [v["status"] for v in visits] == ["ok"] * 14

    created = desk.post("/api/v1/series", json=_body(clinic))
    assert created.status_code == 201, created.json
    appointments = created.json["appointments"]
    starts = [datetime.fromisoformat(a["start"]) for a in appointments if a["kind"] == "dose"]
    assert [s.date() for s in starts] == [
        date(2027, 3, 8),
        date(2027, 3, 11),
        date(2027, 3, 15),
        date(2027, 3, 18),
        date(2027, 3, 22),
        date(2027, 3, 25),
        date(2027, 3, 29),
        date(2027, 4, 1),
        date(2027, 4, 5),
        date(2027, 4, 12),
        date(2027, 4, 19),
        date(2027, 4, 26),
    ]
    assert {s.strftime("%H:%M") for s in starts} == {"09:00"}
    assert starts[0].utcoffset() == timedelta(hours=-5)  # EST before 14 March
    assert starts[2].utcoffset() == timedelta(hours=-4)  # EDT after
    dose = appointments[0]
    assert datetime.fromisoformat(dose["end"]) - datetime.fromisoformat(dose["start"]) == timedelta(
        minutes=150
    )
    assert {a["chair_id"] for a in appointments if a["kind"] == "dose"} <= set(clinic["rooms"])
    follow_ups = [a for a in appointments if a["kind"] == "follow_up"]
    assert [datetime.fromisoformat(f["start"]).date() for f in follow_ups] == [
        date(2027, 5, 3),
        date(2027, 5, 24),
    ]
    assert [a["dose_number"] for a in appointments if a["kind"] == "dose"] == list(range(1, 13))
    assert len({a["uid"] for a in appointments}) == 14

    listed = desk.get(f"/api/v1/appointments?series_id={created.json['id']}")
    assert len(listed.json) == 14


def test_a_closure_day_moves_the_dose_to_a_nearby_day(app, desk, clinic, api_as):
    api_as("admin").post(f"/api/v1/locations/{clinic['location_id']}/closures", json={"date": "2027-03-11"})
    preview = desk.post("/api/v1/series/preview", json=_body(clinic)).json
    second = preview["occurrences"][1]
    assert second["status"] == "moved"
    assert datetime.fromisoformat(second["original_start"]).date() == date(2027, 3, 11)
    moved_to = datetime.fromisoformat(second["start"])
    assert moved_to.date() != date(2027, 3, 11)
    assert moved_to.strftime("%H:%M") == "09:00"
    assert any("closed" in reason.lower() for reason in second["reasons"])
    created = desk.post("/api/v1/series", json=_body(clinic))
    assert created.status_code == 201
    starts = [datetime.fromisoformat(a["start"]).date() for a in created.json["appointments"]]
    assert date(2027, 3, 11) not in starts
    assert created.json["appointments"][1]["planning_note"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            {},
            "Closed: the location is closed on Thu, Mar 11; moved to Fri, Mar 12, 9:00\u202fAM",
        ),
        (
            {"timezone": "Europe/Berlin", "locale": "de_DE"},
            "Closed: the location is closed on Do., 11. März; moved to Fr., 12. März, 09:00",
        ),
    ],
)
def test_the_reasons_write_days_and_times_as_the_locations_locale_does(app, desk, api_as, location, reason):
    with app.app_context():
        clinic = make_clinic(**location)
    api_as("admin").post(f"/api/v1/locations/{clinic['location_id']}/closures", json={"date": "2027-03-11"})
    preview = desk.post("/api/v1/series/preview", json=_body(clinic)).json
    second = preview["occurrences"][1]
    assert (second["status"], second["reasons"]) == ("moved", [reason])
    created = desk.post("/api/v1/series", json=_body(clinic))
    assert created.json["appointments"][1]["planning_note"] == reason


def test_iv_ketamine_induction_never_on_consecutive_days(app, desk, clinic):
    created = desk.post(
        "/api/v1/series", json=_body(clinic, protocol="iv-ketamine-induction", start_time="10:00")
    )
    assert created.status_code == 201, created.json
    doses = [a for a in created.json["appointments"] if a["kind"] == "dose"]
    days = [datetime.fromisoformat(d["start"]).date() for d in doses]
    assert len(days) == 6
    assert all((b - a).days >= 2 for a, b in pairwise(days))
    assert (days[-1] - days[0]).days <= 21
    assert {d["chair_id"] for d in doses} <= set(clinic["chairs"])
    span = datetime.fromisoformat(doses[0]["end"]) - datetime.fromisoformat(doses[0]["start"])
    assert span == timedelta(minutes=115)
    assert len(created.json["appointments"]) == 8


def test_spravato_maintenance_every_other_week(app, desk, clinic):
    body = _body(clinic, protocol="spravato-maintenance", parameters={"interval_weeks": 2, "doses": 3})
    created = desk.post("/api/v1/series", json=body)
    assert created.status_code == 201, created.json
    days = [datetime.fromisoformat(a["start"]).date() for a in created.json["appointments"]]
    assert days == [date(2027, 3, 8), date(2027, 3, 22), date(2027, 4, 5)]
    bad = desk.post("/api/v1/series/preview", json={**body, "parameters": {"interval_weeks": 3}})
    assert bad.status_code == 422
    assert "parameters.interval_weeks" in bad.json["errors"]


def test_iv_booster_is_one_infusion(app, desk, clinic):
    created = desk.post("/api/v1/series", json=_body(clinic, protocol="iv-ketamine-booster"))
    assert created.status_code == 201
    assert [a["kind"] for a in created.json["appointments"]] == ["dose"]


def test_spravato_without_rems_enrolment_is_refused_unless_overridden(app, desk, clinic):
    with app.app_context():
        patient = make_patient(rems_enrolled_on=None)
        db.session.commit()
        clinic = {**clinic, "patient_id": patient.id}
    refused = desk.post("/api/v1/series", json=_body(clinic))
    assert refused.status_code == 409
    assert refused.json["conflicts"][0]["code"] == "rems_not_enrolled"
    assert _count(app, Appointment) == 0

    allowed = desk.post("/api/v1/series", json=_body(clinic, rems_override_reason="Enrolment faxed, pending"))
    assert allowed.status_code == 201
    assert allowed.json["rems_override_reason"] == "Enrolment faxed, pending"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "series.create"))
        assert event.details["rems_override_reason"] == "Enrolment faxed, pending"


def test_a_series_that_cannot_fit_is_409_listing_every_conflict_and_writes_nothing(app, desk, clinic):
    with app.app_context():
        elsewhere = make_provider(None).id  # no availability at this location
        db.session.commit()
    response = desk.post("/api/v1/series", json={**_body(clinic), "provider_id": elsewhere})
    assert response.status_code == 409
    conflicts = response.json["conflicts"]
    assert len(conflicts) == 14
    assert {rule["code"] for c in conflicts for rule in c["rules"]} == {"provider_unavailable"}
    assert "Room" not in str(conflicts)
    assert _count(app, Appointment) == 0
    assert _count(app, Series) == 0


def test_a_series_in_the_past_is_refused(app, desk, clinic):
    response = desk.post("/api/v1/series", json=_body(clinic, start_date="2027-02-01"))
    assert response.status_code == 409
    assert any(r["code"] == "in_past" for c in response.json["conflicts"] for r in c["rules"])


def test_invalid_series_requests_name_the_field(app, desk, clinic):
    cases = [
        (_body(clinic, protocol="laughing-gas"), "protocol"),
        (_body(clinic, start_time="9am"), "start_time"),
        (_body(clinic, start_date="2027-02-30"), "start_date"),
        ({**_body(clinic), "patient_id": 999}, "patient_id"),
        ({**_body(clinic), "provider_id": 999}, "provider_id"),
    ]
    for body, field in cases:
        response = desk.post("/api/v1/series", json=body)
        assert response.status_code == 422, (field, response.json)
        assert field in response.json["errors"]
    assert _count(app, Series) == 0


def test_second_patient_gets_the_other_room_and_a_third_is_moved(app, desk, clinic):
    with app.app_context():
        others = [make_patient(rems_enrolled_on=date(2027, 1, 1)).id for _ in range(2)]
        db.session.commit()
    body = _body(clinic, protocol="spravato-maintenance", parameters={"doses": 1})
    first = desk.post("/api/v1/series", json=body).json["appointments"][0]
    second = desk.post("/api/v1/series", json={**body, "patient_id": others[0]}).json["appointments"][0]
    assert first["chair_id"] != second["chair_id"]
    assert first["start"] == second["start"]
    third = desk.post("/api/v1/series/preview", json={**body, "patient_id": others[1]}).json["occurrences"][0]
    assert third["status"] == "moved"
    assert third["start"] != first["start"]


def test_roles_for_series(app, api_as, clinic):
    # A provider who does not treat the patient cannot even tell the patient exists.
    refused = api_as("provider").post("/api/v1/series", json=_body(clinic))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"patient_id": [f"No such record: {clinic['patient_id']}"]}
    assert api_as("admin").post("/api/v1/series/preview", json=_body(clinic)).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_a_long_planning_note_is_cut_to_fit_not_a_server_error(app):
    from clinic.services.series import PLANNING_NOTE_LENGTH, _note

    reasons = tuple(f"Chair busy at {h:02d}:00; moved to {h:02d}:15, every room taken" for h in range(20))
    note = _note(reasons)
    assert len(note) == PLANNING_NOTE_LENGTH and note.endswith("…")
    assert _note(("short",)) == "short"


@pytest.mark.parametrize(
    ("enrolled_on", "booked"),
    # An enrolment is recorded once it has happened, so "the day after the first dose" cannot be entered
    # before that dose; tests/domain/test_rems.py holds that edge of the rule.
    [(date(2027, 3, 7), True), (date(2027, 3, 8), True), (None, False)],
)
def test_rems_enrolment_on_the_day_of_the_first_dose_is_in_time_for_a_series_and_a_single_dose(
    app, api_as, clock, clinic, enrolled_on, booked
):
    clock.now = datetime(2027, 3, 8, 11, 0, tzinfo=UTC)  # 06:00 in New York, before the 09:00 first dose
    desk = api_as("frontdesk")
    ids = []
    for _ in range(2):
        body = {"first_name": "Rae", "last_name": "Okafor", "date_of_birth": "1980-01-02"}
        if enrolled_on is not None:
            body["rems_enrolled_on"] = enrolled_on.isoformat()
        created = desk.post("/api/v1/patients", json=body)
        assert created.status_code == 201, created.json
        ids.append(created.json["id"])
    preview = desk.post("/api/v1/series/preview", json=_body({**clinic, "patient_id": ids[0]}))
    assert preview.json["rems_ok"] is booked
    series = desk.post("/api/v1/series", json=_body({**clinic, "patient_id": ids[0]}))
    assert series.status_code == (201 if booked else 409), series.json
    # the same rule for a first dose booked on its own, the same day
    single = desk.post(
        "/api/v1/appointments",
        json={
            "patient_id": ids[1],
            "kind": "dose",
            "protocol": "spravato-maintenance",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": "2027-03-08T14:00:00-05:00",
        },
    )
    assert single.status_code == (201 if booked else 409), single.json
    if not booked:
        assert [c["code"] for c in single.json["conflicts"]] == ["rems_not_enrolled"]


def test_a_series_default_ride_fills_every_future_dose_still_without_one(app, clock, api_as):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        series_id, visit_count = series.id, len(series.appointments)
        doses = [a.id for a in series.appointments if a.kind == "dose"]
    desk = api_as("frontdesk")
    own = {
        "mode": "taxi",
        "contact_name": "Metro Cabs",
        "contact_phone": "+16175550100",
        "status": "confirmed",
    }
    assert desk.put(f"/api/v1/appointments/{doses[1]}/transport", json=own).status_code == 200

    bad = desk.put(f"/api/v1/series/{series_id}/ride", json={"mode": "driver", "contact_phone": "nope"})
    assert bad.status_code == 422 and "contact_phone" in bad.json["errors"]
    ride = {"mode": "driver", "contact_name": "Sam Lindqvist", "contact_phone": "+16175550177"}
    answered = desk.put(f"/api/v1/series/{series_id}/ride", json=ride)
    assert answered.status_code == 200, answered.json
    assert answered.json["default_ride"] == ride
    rides = {a["id"]: a for a in answered.json["appointments"]}
    first = desk.get(f"/api/v1/appointments/{doses[0]}").json
    assert (
        first["transport"]["status"] == "arranged" and first["transport"]["contact_name"] == "Sam Lindqvist"
    )
    kept = desk.get(f"/api/v1/appointments/{doses[1]}").json
    assert kept["transport"]["status"] == "confirmed" and kept["transport"]["contact_name"] == "Metro Cabs"
    assert len(rides) == visit_count

    cleared = desk.delete(f"/api/v1/series/{series_id}/ride")
    assert cleared.status_code == 200 and cleared.json["default_ride"] is None
    assert desk.get(f"/api/v1/appointments/{doses[0]}").json["transport"]["status"] == "arranged"  # kept
    doctor = api_as("provider")
    assert doctor.put(f"/api/v1/series/{series_id}/ride", json=ride).status_code == 403
