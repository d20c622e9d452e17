"""When a visit may be measured, through the API with the clock frozen: a dosing visit once checked in, a
follow-up from an hour before its start, never a visit ahead or a cancelled one; corrections stay allowed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.measurement import Measurement
from tests.factories import book_series, make_clinic
from tests.sessions import bp, check_in_with_ride, record

DOSE_START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST
PHQ9 = {"instrument": "phq9", "items": [1, 1, 1, 1, 1, 1, 1, 1, 0]}


@pytest.fixture
def induction(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        follow_up = next(a for a in series.appointments if a.kind == "follow_up")
        return {
            **clinic,
            "dose": series.appointments[0].id,
            "follow_up": follow_up.id,
            "follow_up_start": follow_up.start_at,
        }


@pytest.fixture
def staff(api_as, induction):
    """Sign in once the clock is set: ``desk, doctor = staff()``."""

    def sign_in():
        return api_as("frontdesk"), api_as("provider", provider_id=induction["provider_id"])

    return sign_in


def _measure(client, visit_id: int, body=PHQ9):
    return client.post(f"/api/v1/appointments/{visit_id}/measurements", json=body)


def _refused(response) -> str:
    assert response.status_code == 409, response.json
    [conflict] = response.json["conflicts"]
    assert conflict["code"] == "visit_not_started"
    return conflict["message"]


def _measurement_count(app, visit_id: int) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Measurement).where(Measurement.appointment_id == visit_id)
        return db.session.scalar(query)


def test_visits_days_ahead_are_not_measured(app, clock, induction, staff):
    clock.now = DOSE_START - timedelta(days=2)
    _, doctor = staff()
    _refused(_measure(doctor, induction["dose"], bp("pre")))
    _refused(_measure(doctor, induction["dose"]))
    clock.now = induction["follow_up_start"] - timedelta(days=2)
    _, doctor = staff()
    _refused(_measure(doctor, induction["follow_up"]))
    assert _measurement_count(app, induction["dose"]) == 0
    assert _measurement_count(app, induction["follow_up"]) == 0


def test_a_dosing_visit_is_measured_once_the_patient_is_checked_in(app, clock, induction, staff):
    clock.now = DOSE_START
    desk, doctor = staff()
    message = _refused(_measure(doctor, induction["dose"], bp("pre")))
    assert "checked in" in message
    check_in_with_ride(desk, induction["dose"])
    record(doctor, induction["dose"], bp("pre"))
    assert _measurement_count(app, induction["dose"]) == 1


def test_a_follow_up_is_measured_from_an_hour_before_its_start(app, clock, induction, staff):
    clock.now = induction["follow_up_start"] - timedelta(minutes=61)
    _, doctor = staff()
    message = _refused(_measure(doctor, induction["follow_up"]))
    assert "60 minutes" in message
    clock.now = induction["follow_up_start"] - timedelta(minutes=59)
    assert _measure(doctor, induction["follow_up"]).status_code == 201
    assert _measurement_count(app, induction["follow_up"]) == 1


def test_a_cancelled_visit_is_never_measured(app, clock, induction, staff):
    clock.now = induction["follow_up_start"] - timedelta(days=1)
    desk, _ = staff()
    cancelled = desk.post(f"/api/v1/appointments/{induction['follow_up']}/cancel", json={"reason": "Travel"})
    assert cancelled.status_code == 200, cancelled.json
    clock.now = induction["follow_up_start"]
    _, doctor = staff()
    message = _refused(_measure(doctor, induction["follow_up"]))
    assert "cancelled" in message
    assert _measurement_count(app, induction["follow_up"]) == 0


def test_a_measurement_is_corrected_even_once_the_visit_takes_no_new_ones(app, clock, induction, staff):
    clock.now = DOSE_START
    desk, doctor = staff()
    check_in_with_ride(desk, induction["dose"])
    taken = record(doctor, induction["dose"], bp("pre", 182, 96))
    undone = desk.post(
        f"/api/v1/appointments/{induction['dose']}/undo-check-in", json={"reason": "Wrong patient"}
    )
    assert undone.status_code == 200, undone.json
    _refused(_measure(doctor, induction["dose"], bp("pre")))
    corrected = doctor.post(
        f"/api/v1/measurements/{taken['measurement']['id']}/corrections",
        json={**bp("pre", 128, 82), "correction_reason": "Cuff was too small"},
    )
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["measurement"]["amends_id"] == taken["measurement"]["id"]
