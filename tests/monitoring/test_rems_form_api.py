"""The REMS monitoring form filled from a Spravato session, its submission and the provider's queue."""

from datetime import UTC, date, datetime

import pytest

from tests.factories import book_series, make_clinic
from tests.sessions import bp, check_in_with_ride, dose, monitored_session, record

DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)  # the first dose, 09:05 in New York


@pytest.fixture
def induction(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        doses = [a.id for a in series.appointments if a.kind == "dose"]
        follow_ups = [a.id for a in series.appointments if a.kind == "follow_up"]
        return {**clinic, "doses": doses, "follow_ups": follow_ups}


class _Staff:
    """``staff["desk"]``, ``staff["doctor"]``: a client signed in now (tokens last a day; the clock moves)."""

    def __init__(self, api_as, provider_id):
        self.api_as, self.provider_id = api_as, provider_id

    def __getitem__(self, who):
        if who == "desk":
            return self.api_as("frontdesk")
        return self.api_as("provider", provider_id=self.provider_id)


@pytest.fixture
def staff(api_as, induction):
    return _Staff(api_as, induction["provider_id"])


@pytest.fixture
def discharged(clock, staff, induction):
    """The first dose run to the end: every check recorded and the patient discharged at 11:06 local."""
    first = induction["doses"][0]
    clock.now = DOSE_TIME
    monitored_session(staff["desk"], staff["doctor"], first, clock)
    completed = staff["desk"].post(f"/api/v1/appointments/{first}/complete", json={})
    assert completed.status_code == 200, completed.json
    return first


def test_the_form_of_a_discharged_session_is_filled_from_the_session(staff, discharged):
    form = staff["doctor"].get(f"/api/v1/appointments/{discharged}/rems-form")
    assert form.status_code == 200, form.json
    body = form.json
    assert body["appointment_id"] == discharged
    assert body["session_date"] == "2027-03-08"
    assert (body["dose_mg"], body["devices"], body["lot_number"]) == ("56.0", 2, "LOT-2027-A")
    assert body["monitoring_started_at"] == "2027-03-08T09:05:00-05:00"
    assert body["discharged_at"] == "2027-03-08T11:06:00-05:00"
    assert body["monitoring_minutes"] == 121
    assert [(b["timepoint"], b["systolic"], b["diastolic"]) for b in body["blood_pressure"]] == [
        ("pre", 128, 82),
        ("post40", 138, 88),
        ("discharge", 124, 80),
    ]
    assert body["blood_pressure"][1]["recorded_at"] == "2027-03-08T09:45:00-05:00"
    assert body["sedation"] == {"assessed": True, "observed": False, "resolved": None}
    assert body["dissociation"] == {"assessed": True, "observed": False, "resolved": None}
    assert body["serious_adverse_event"] is False
    assert body["discharge_overrides"] == []
    assert body["prescriber"]["id"] and body["setting"]["name"] and body["patient"]["name"]
    assert (body["due_by"], body["status"], body["days_left"]) == ("2027-03-15", "due", 7)
    assert body["missing"] == []
    assert body["submitted_at"] is None


def test_a_complete_form_is_submitted_and_then_shows_when(clock, staff, discharged):
    submitted = staff["doctor"].post(
        f"/api/v1/appointments/{discharged}/rems-form", json={"confirmation": "RX-1"}
    )
    assert submitted.status_code == 201, submitted.json
    form = staff["doctor"].get(f"/api/v1/appointments/{discharged}/rems-form").json
    assert form["status"] == "submitted"
    assert form["submitted_at"] == "2027-03-08T11:06:00-05:00"
    assert form["confirmation"] == "RX-1"
    queue = staff["doctor"].get("/api/v1/rems-forms?status=submitted").json
    assert [f["appointment_id"] for f in queue] == [discharged]
    assert staff["doctor"].get("/api/v1/rems-forms?status=due").json == []


def test_a_form_with_empty_fields_cannot_be_submitted(clock, staff, induction):
    first = induction["doses"][0]
    clock.now = DOSE_TIME
    check_in_with_ride(staff["desk"], first)
    record(staff["doctor"], first, bp("pre"))
    assert dose(staff["doctor"], first).status_code == 201
    clock.advance(minutes=30)
    early = staff["doctor"].post(
        f"/api/v1/appointments/{first}/complete", json={"override_reason": "Family emergency; assessed"}
    )
    assert early.status_code == 200, early.json

    form = staff["doctor"].get(f"/api/v1/appointments/{first}/rems-form").json
    assert form["missing"] == [
        "blood_pressure.post40",
        "blood_pressure.discharge",
        "sedation",
        "dissociation",
    ]
    assert form["monitoring_minutes"] == 30
    assert form["discharge_overrides"] == ["monitoring_incomplete", "checks_missing"]
    assert form["discharge_override_reason"] == "Family emergency; assessed"

    refused = staff["doctor"].post(f"/api/v1/appointments/{first}/rems-form", json={})
    assert refused.status_code == 409
    [conflict] = refused.json["conflicts"]
    assert conflict["code"] == "rems_form_incomplete"
    assert conflict["missing"] == form["missing"]
    assert staff["doctor"].get("/api/v1/rems-forms?status=submitted").json == []


def test_the_queue_lists_due_then_overdue_forms_oldest_first(clock, staff, induction, discharged):
    second = induction["doses"][1]  # Thu 11 March 09:00
    clock.now = datetime(2027, 3, 11, 14, 5, tzinfo=UTC)
    monitored_session(staff["desk"], staff["doctor"], second, clock)
    assert staff["desk"].post(f"/api/v1/appointments/{second}/complete", json={}).status_code == 200

    due = staff["doctor"].get("/api/v1/rems-forms?status=due").json
    assert [(f["appointment_id"], f["days_left"]) for f in due] == [(discharged, 4), (second, 7)]
    assert len(staff["doctor"].get("/api/v1/rems-forms").json) == 2

    clock.now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)  # the first form was due by 15 March
    overdue = staff["doctor"].get("/api/v1/rems-forms?status=overdue").json
    assert [(f["appointment_id"], f["days_left"]) for f in overdue] == [(discharged, -1)]
    still_due = staff["doctor"].get("/api/v1/rems-forms?status=due").json
    assert [f["appointment_id"] for f in still_due] == [second]


def test_only_the_patients_providers_see_the_forms(api_as, staff, induction, discharged):
    outsider = api_as("provider", email="outsider@example.com")
    assert outsider.get(f"/api/v1/appointments/{discharged}/rems-form").status_code == 404
    assert outsider.get("/api/v1/rems-forms?status=due").json == []
    assert staff["desk"].get(f"/api/v1/appointments/{discharged}/rems-form").status_code == 403
    assert staff["desk"].get("/api/v1/rems-forms").status_code == 403


def test_a_provider_with_patients_of_their_own_sees_only_their_forms(app, clock, api_as, staff, discharged):
    with app.app_context():
        elsewhere = make_clinic(name="Elsewhere")
        book_series(elsewhere, clock.now, start_date=date(2027, 3, 15))
    other = api_as("provider", email="other@example.com", provider_id=elsewhere["provider_id"])
    assert other.get("/api/v1/rems-forms").json == []
    assert [f["appointment_id"] for f in staff["doctor"].get("/api/v1/rems-forms").json] == [discharged]


def test_a_visit_that_is_not_a_spravato_dose_has_no_form(staff, induction):
    follow_up = induction["follow_ups"][0]
    answer = staff["doctor"].get(f"/api/v1/appointments/{follow_up}/rems-form")
    assert answer.status_code == 404


def test_an_unknown_queue_status_is_invalid(staff):
    assert staff["doctor"].get("/api/v1/rems-forms?status=late").status_code == 422


def test_the_migration_opens_the_forms_of_sessions_discharged_before_it(
    app, backend, staff, induction, discharged
):
    if backend == "sqlite":
        pytest.skip("SQLite's batch mode cannot drop a column of a table other rows refer to")
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from clinic.extensions import db

    with app.app_context():
        downgrade(revision="0015_visit_modality")
        upgrade()
        opened = db.session.execute(text("SELECT id FROM appointments WHERE rems_form_open")).scalars().all()
        db.session.remove()
    assert opened == [discharged]
    due = staff["doctor"].get("/api/v1/rems-forms?status=due").json
    assert [f["appointment_id"] for f in due] == [discharged]
