"""One Spravato session through the API with the clock frozen: check-in window, dose, discharge rules."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Dose
from clinic.models.audit import AuditEvent
from tests.factories import book_series, make_clinic
from tests.sessions import (
    NO_DISSOCIATION,
    RIDE_VERIFIED,
    SEDATION_AWAKE,
    bp,
    check_in_with_ride,
    dose,
    monitored_session,
    record,
)

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST, until 11:30


@pytest.fixture
def visit(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        return {**clinic, "id": series.appointments[0].id}


@pytest.fixture
def staff(api_as, visit, clock):
    """Sign in once the clock is set: ``desk, doctor = staff()``."""

    def sign_in():
        return api_as("frontdesk"), api_as("provider", provider_id=visit["provider_id"])

    return sign_in


def _codes(response) -> list[str]:
    assert response.status_code == 409, response.json
    return [c["code"] for c in response.json["conflicts"]]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_check_in_opens_an_hour_before_the_start_and_closes_at_the_end(app, clock, visit, staff):
    clock.now = START - timedelta(days=2)
    desk, _ = staff()
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json=RIDE_VERIFIED)
    assert _codes(desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={})) == [
        "outside_check_in_window"
    ]
    clock.now = START - timedelta(minutes=61)
    desk, _ = staff()
    assert _codes(desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={})) == [
        "outside_check_in_window"
    ]
    clock.now = START + timedelta(minutes=151)  # after the scheduled end
    desk, _ = staff()
    refused = desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={"override_reason": "late"})
    assert _codes(refused) == ["outside_check_in_window"]  # the ride override does not open the window
    clock.now = START - timedelta(minutes=60)
    desk, _ = staff()
    checked_in = desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={})
    assert checked_in.status_code == 200, checked_in.json
    assert checked_in.json["checked_in_at"] == "2027-03-08T08:00:00-05:00"


def test_outside_the_window_without_a_ride_both_rules_are_named(app, clock, visit, staff):
    clock.now = START - timedelta(days=2)
    desk, _ = staff()
    refused = desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={})
    assert _codes(refused) == ["outside_check_in_window", "transport_missing"]


def test_undo_check_in_needs_a_reason_is_audited_and_refused_once_dosed(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    blank = desk.post(f"/api/v1/appointments/{visit['id']}/undo-check-in", json={"reason": " "})
    assert blank.status_code == 422 and "reason" in blank.json["errors"]
    undone = desk.post(f"/api/v1/appointments/{visit['id']}/undo-check-in", json={"reason": "wrong patient"})
    assert undone.status_code == 200, undone.json
    assert (undone.json["status"], undone.json["checked_in_at"]) == ("scheduled", None)
    [event] = _events(app, "appointment.undo_check_in")
    assert event.details == {"reason": "wrong patient", "checked_in_at": START.isoformat()}
    again = desk.post(f"/api/v1/appointments/{visit['id']}/undo-check-in", json={"reason": "twice"})
    assert again.status_code == 409

    assert desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={}).status_code == 200
    assert dose(doctor, visit["id"]).status_code == 201
    dosed = desk.post(f"/api/v1/appointments/{visit['id']}/undo-check-in", json={"reason": "oops"})
    assert _codes(dosed) == ["dose_recorded"]


def test_a_dose_needs_a_checked_in_dosing_visit(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    assert _codes(dose(doctor, visit["id"])) == ["not_checked_in"]
    assert desk.post(f"/api/v1/appointments/{visit['id']}/dose", json={"dose_mg": 56}).status_code == 403


def test_the_dose_is_checked_against_the_protocol_and_its_times(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    clock.advance(minutes=15)
    for body, field in (
        ({"dose_mg": 42}, "dose_mg"),
        ({"dose_mg": 56, "devices": 3}, "devices"),
        ({"given_at": "2027-03-08T09:30:00-05:00"}, "given_at"),  # in the future
        ({"given_at": "2027-03-08T08:59:00-05:00"}, "given_at"),  # before check-in
    ):
        refused = dose(doctor, visit["id"], **body)
        assert refused.status_code == 422, (body, refused.json)
        assert field in refused.json["errors"], body
    given = dose(doctor, visit["id"], 84)
    assert given.status_code == 201, given.json
    assert (given.json["dose_mg"], given.json["devices"]) == (84, 3)
    assert given.json["given_at"] == "2027-03-08T09:15:00-05:00"
    shown = desk.get(f"/api/v1/appointments/{visit['id']}").json
    assert shown["dose_given_at"] == "2027-03-08T09:15:00-05:00"


def test_a_second_dose_call_corrects_it_with_a_reason_and_keeps_the_first(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    clock.advance(minutes=15)
    first = dose(doctor, visit["id"], 56, given_at="2027-03-08T09:10:00-05:00").json
    clock.advance(minutes=20)
    unexplained = dose(doctor, visit["id"], 84)
    assert unexplained.status_code == 422 and "correction_reason" in unexplained.json["errors"]
    corrected = dose(
        doctor, visit["id"], 84, given_at="2027-03-08T09:10:00-05:00", correction_reason="three devices"
    )
    assert corrected.status_code == 201, corrected.json
    assert (corrected.json["amends_id"], corrected.json["correction_reason"]) == (
        first["id"],
        "three devices",
    )
    with app.app_context():
        doses = db.session.scalars(select(Dose).order_by(Dose.id)).all()
        assert [(int(d.dose_mg), d.superseded_at is not None) for d in doses] == [(56, True), (84, False)]
    [event] = _events(app, "dose.correct")
    assert event.details["amends"] == first["id"] and event.details["reason"] == "three devices"


def test_discharge_lists_every_broken_rule_until_the_session_is_done(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json={**RIDE_VERIFIED, "status": "arranged"})
    assert desk.post(f"/api/v1/appointments/{visit['id']}/check-in", json={}).status_code == 200
    complete = f"/api/v1/appointments/{visit['id']}/complete"
    assert _codes(desk.post(complete, json={})) == [
        "dose_not_recorded",
        "checks_missing",
        "escort_not_verified",
    ]

    record(doctor, visit["id"], bp("pre"))
    dose(doctor, visit["id"])
    clock.advance(minutes=40)
    record(doctor, visit["id"], bp("post40", 172, 104))
    record(doctor, visit["id"], {"instrument": "sedation", "moaas": 2})
    record(doctor, visit["id"], NO_DISSOCIATION)
    refused = desk.post(complete, json={})
    assert _codes(refused) == [
        "monitoring_incomplete",
        "checks_missing",
        "vitals_out_of_range",
        "escort_not_verified",
    ]
    assert "bp_discharge" in refused.json["conflicts"][1]["message"]

    clock.advance(minutes=70)
    record(doctor, visit["id"], bp("discharge", 150, 95))
    record(doctor, visit["id"], SEDATION_AWAKE)
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json=RIDE_VERIFIED)
    assert _codes(desk.post(complete, json={})) == ["monitoring_incomplete"]
    clock.advance(minutes=10)  # two hours after the dose
    done = desk.post(complete, json={})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed" and done.json["discharge_overrides"] is None


def test_front_desk_may_pass_the_escort_rule_but_not_the_clinical_ones(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    monitored_session(desk, doctor, visit["id"], clock)
    desk.put(f"/api/v1/appointments/{visit['id']}/transport", json={**RIDE_VERIFIED, "status": "confirmed"})
    complete = f"/api/v1/appointments/{visit['id']}/complete"
    assert _codes(desk.post(complete, json={})) == ["escort_not_verified"]
    done = desk.post(complete, json={"override_reason": "Escort confirmed by phone, waiting outside"})
    assert done.status_code == 200, done.json
    assert done.json["discharge_overrides"] == ["escort_not_verified"]


def test_only_a_provider_overrides_the_clinical_rules_with_a_reason(app, clock, visit, staff, api_as):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    dose(doctor, visit["id"])
    clock.advance(minutes=30)
    complete = f"/api/v1/appointments/{visit['id']}/complete"
    reason = {"override_reason": "Leaving against medical advice, escort present"}
    assert _codes(desk.post(complete, json=reason)) == ["monitoring_incomplete", "checks_missing"]
    assert _codes(doctor.post(complete, json={})) == ["monitoring_incomplete", "checks_missing"]
    stranger = api_as("provider", provider_id=None)
    assert stranger.post(complete, json=reason).status_code == 404
    done = doctor.post(complete, json=reason)
    assert done.status_code == 200, done.json
    assert done.json["discharge_overrides"] == ["monitoring_incomplete", "checks_missing"]
    assert done.json["discharge_override_reason"] == reason["override_reason"]
    [event] = _events(app, "appointment.complete")
    assert event.details == {
        "override_reason": reason["override_reason"],
        "overridden": ["monitoring_incomplete", "checks_missing"],
    }


def test_a_high_blood_pressure_before_the_dose_holds_it_until_a_prescriber_confirms(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    alerted = record(doctor, visit["id"], bp("pre", 152, 94))
    assert [a["code"] for a in alerted["alerts"]] == ["bp_confirm_before_dose"]
    held = dose(doctor, visit["id"])
    assert _codes(held) == ["prescriber_confirmation_needed"]
    assert "152/94" in held.json["conflicts"][0]["message"]
    with app.app_context():
        assert db.session.scalars(select(Dose)).all() == []
    confirmed = dose(doctor, visit["id"], prescriber_confirmation="Dr. Osei, by phone at 09:05")
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["prescriber_confirmation"] == "Dr. Osei, by phone at 09:05"
    [event] = _events(app, "dose.record")
    assert event.details["prescriber_confirmation"] == "Dr. Osei, by phone at 09:05"


def test_a_pre_dose_recheck_back_under_the_limit_releases_the_dose(app, clock, visit, staff):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    record(doctor, visit["id"], bp("pre", 146, 88))
    clock.advance(minutes=10)
    record(doctor, visit["id"], bp("pre", 136, 86))
    assert dose(doctor, visit["id"]).status_code == 201


def test_high_vitals_after_the_dose_alert_the_prescriber_and_put_a_recheck_on_the_floor(
    app, clock, visit, staff
):
    clock.now = START
    desk, doctor = staff()
    check_in_with_ride(desk, visit["id"])
    record(doctor, visit["id"], bp("pre"))
    assert dose(doctor, visit["id"]).status_code == 201
    clock.advance(minutes=40)
    urgent = record(doctor, visit["id"], bp("post40", 184, 104))
    assert [(a["code"], a["severity"]) for a in urgent["alerts"]] == [("bp_high_after_dose", "urgent")]
    deep = record(doctor, visit["id"], {"instrument": "sedation", "moaas": 3})
    assert [(a["code"], a["severity"]) for a in deep["alerts"]] == [("sedation_deep", "urgent")]
    record(doctor, visit["id"], NO_DISSOCIATION)
    board = doctor.get(f"/api/v1/floor?location_id={visit['location_id']}").json
    [chair] = [c for c in board["chairs"] if c["visit"] and c["visit"]["appointment_id"] == visit["id"]]
    recheck = [c for c in chair["visit"]["checks"] if c["name"] == "bp_recheck"]
    assert recheck and recheck[0]["due_at"] == "2027-03-08T09:55:00-05:00"
    clock.advance(minutes=16)
    board = doctor.get(f"/api/v1/floor?location_id={visit['location_id']}").json
    [chair] = [c for c in board["chairs"] if c["visit"] and c["visit"]["appointment_id"] == visit["id"]]
    assert chair["visit"]["next_check"]["name"] == "bp_recheck" and chair["visit"]["next_check"]["overdue"]
    record(doctor, visit["id"], bp("post40", 150, 92))
    board = doctor.get(f"/api/v1/floor?location_id={visit['location_id']}").json
    [chair] = [c for c in board["chairs"] if c["visit"] and c["visit"]["appointment_id"] == visit["id"]]
    assert not [c for c in chair["visit"]["checks"] if c["name"] == "bp_recheck"]
