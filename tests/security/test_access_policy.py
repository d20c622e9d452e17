"""One access policy for both edges: a provider cannot take over another provider's patient."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from clinic.domain.policy import POLICY, Action, Reach, Role, reach, roles_for
from clinic.extensions import db
from clinic.models.alert import Alert
from clinic.models.series import Series
from tests.factories import book_series, make_clinic, make_provider, make_user
from tests.sessions import check_in_with_ride
from tests.web.test_login import _sign_in, _token_from

PATIENT_ACTIONS = {
    Action.PATIENT_READ,
    Action.PATIENT_EDIT,
    Action.SERIES_READ,
    Action.VISIT_READ,
    Action.MONITORING_READ,
    Action.MEASUREMENT_RECORD,
    Action.REMINDERS_READ,
    Action.RIDE_READ,
}


def test_every_action_has_a_row_and_admins_reach_no_patient_record():
    assert set(POLICY) == set(Action)
    for action in PATIENT_ACTIONS:
        assert reach("admin", action) is Reach.NONE, action
    assert reach(None, Action.CLINIC_READ) is Reach.NONE
    assert reach("superuser", Action.CLINIC_READ) is Reach.NONE
    # Providers never reach a patient merely because the clinic has them: only the ones they treat.
    for action, grants in POLICY.items():
        assert grants.get(Role.PROVIDER) in (None, Reach.TREATED, Reach.SELF, Reach.ANY), action
        if action in PATIENT_ACTIONS:
            assert grants.get(Role.PROVIDER) in (None, Reach.TREATED), action
    assert roles_for(Action.VISIT_CHANGE) == (Role.FRONTDESK,)


@pytest.fixture
def two_providers(app, clock, api_as):
    """Provider A treats a patient, in the chair for the first dose, with an urgent alert; provider B treats
    nobody yet."""
    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, datetime(2027, 3, 1, 15, tzinfo=UTC))
        other = make_provider(None, max_concurrent=2)
        make_user("provider", email="a@example.com", provider_id=clinic["provider_id"])
        make_user("provider", email="b@example.com", provider_id=other.id)
        db.session.commit()
        setup = {**clinic, "other_provider": other.id, "first_dose": series.appointments[0].id}
    check_in_with_ride(api_as("frontdesk"), setup["first_dose"])
    return setup


def _alert_for_a(client, setup):
    _sign_in(client, email="a@example.com")
    token = _token_from(client.get(f"/appointments/{setup['first_dose']}").data)
    answers = {f"item{n}": "1" for n in range(1, 10)}
    client.post(
        f"/appointments/{setup['first_dose']}/measurements/phq9", data={**answers, "csrf_token": token}
    )
    client.post("/logout", data={"csrf_token": token})


def test_booking_through_the_page_does_not_make_a_provider_a_treater(app, client, api_as, two_providers):
    setup = two_providers
    _alert_for_a(client, setup)
    with app.app_context():
        alert_id = db.session.scalar(select(Alert.id))
        series_before = db.session.scalar(select(func.count()).select_from(Series))
    _sign_in(client, email="b@example.com")

    # The booking page neither shows the patient nor books for them.
    page = client.get(f"/book/?patient_id={setup['patient_id']}")
    assert page.status_code == 200
    with app.app_context():
        from clinic.models.patient import Patient

        patient = db.session.get(Patient, setup["patient_id"])
        name, born = patient.last_name, patient.date_of_birth.isoformat()
    assert name not in page.get_data(as_text=True) and born not in page.get_data(as_text=True)
    token = _token_from(page.data)
    form = {
        "patient_id": setup["patient_id"],
        "protocol": "spravato-maintenance",
        "location_id": setup["location_id"],
        "provider_id": setup["other_provider"],
        "start_date": "2027-04-05",
        "start_time": "09:00",
        "csrf_token": token,
    }
    preview = client.post("/book/preview", data=form)
    assert name not in preview.get_data(as_text=True) and born not in preview.get_data(as_text=True)
    booked = client.post("/book/", data=form)
    assert booked.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Series)) == series_before

    # And so the chart and the alert stay out of reach, on the pages and the API alike.
    assert client.get(f"/patients/{setup['patient_id']}/timeline").status_code == 404
    assert client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": token}).status_code == 404
    doctor_b = api_as("provider", provider_id=setup["other_provider"])
    assert doctor_b.get(f"/api/v1/patients/{setup['patient_id']}/monitoring").status_code == 404
    assert doctor_b.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 404
    with app.app_context():
        assert db.session.get(Alert, alert_id).acknowledged_at is None


def test_a_provider_books_only_for_their_own_patients_and_with_themselves(app, api_as, two_providers):
    setup = two_providers
    body = {
        "patient_id": setup["patient_id"],
        "protocol": "spravato-maintenance",
        "location_id": setup["location_id"],
        "start_date": "2027-04-05",
        "start_time": "09:00",
    }
    doctor_a = api_as("provider", provider_id=setup["provider_id"])
    as_other = doctor_a.post("/api/v1/series/preview", json={**body, "provider_id": setup["other_provider"]})
    assert as_other.status_code == 422 and "provider_id" in as_other.json["errors"]
    assert (
        doctor_a.post("/api/v1/series", json={**body, "provider_id": setup["provider_id"]}).status_code == 201
    )
