"""The floor board page as the front desk nurse sees it, with the clock frozen."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.extensions import db
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import bp, check_in_with_ride, dose, record
from tests.web.test_login import _sign_in

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST


@pytest.fixture
def clinic(app, clock):
    with app.app_context():
        clinic = make_clinic()
        first = book_series(clinic, clock.now).appointments[0]
        make_user("frontdesk", email="nurse@example.com")
        db.session.commit()
        return {**clinic, "id": first.id, "patient_name": first.patient.full_name}


def _nurse(app):
    browser = app.test_client()
    assert _sign_in(browser, email="nurse@example.com").status_code == 302
    return browser


def test_the_nurse_sees_each_chair_its_phase_countdown_overdue_check_and_ride(app, clock, clinic, api_as):
    clock.now = START - timedelta(minutes=10)
    desk = api_as("frontdesk")
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    check_in_with_ride(desk, clinic["id"])
    record(doctor, clinic["id"], bp("pre"))
    clock.advance(minutes=10)
    assert dose(doctor, clinic["id"]).status_code == 201
    clock.advance(minutes=45)  # 09:45: the 40-minute BP is due at 09:40 and not recorded

    nurse = _nurse(app)
    page = nurse.get(f"/floor/?location_id={clinic['location_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/floor/"' in html  # the staff navigation links the board
    assert 'hx-trigger="every 20s"' in html and f"/floor/board?location_id={clinic['location_id']}" in html
    assert html.count('data-testid="chair"') == 4
    assert clinic["patient_name"] in html
    assert ">monitoring</span>" in html
    assert "11:00" in html and "75 min left" in html  # two hours after the 09:00 dose
    assert 'class="overdue"' in html and "OVERDUE" in html
    assert "ride-verified" in html
    assert "<script>" not in html and "style=" not in html

    partial = nurse.get(f"/floor/board?location_id={clinic['location_id']}")
    assert partial.status_code == 200
    body = partial.get_data(as_text=True)
    assert "<html" not in body and clinic["patient_name"] in body and "OVERDUE" in body


def test_an_admin_has_no_floor_board(app, clock, clinic):
    with app.app_context():
        make_user("admin", email="admin@example.com")
        db.session.commit()
    browser = app.test_client()
    _sign_in(browser, email="admin@example.com")
    assert browser.get("/floor/").status_code == 403


def _doctor(app, clinic):
    with app.app_context():
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
    browser = app.test_client()
    assert _sign_in(browser, email="doc@example.com").status_code == 302
    return browser


def test_the_board_offers_each_role_only_the_actions_it_may_take(app, clock, clinic, api_as):
    clock.now = START - timedelta(minutes=10)
    desk = api_as("frontdesk")
    check_in_with_ride(desk, clinic["id"])
    nurse = _nurse(app)
    nurse_html = nurse.get("/floor/").get_data(as_text=True)
    assert "Record BP" not in nurse_html and "Record dose" not in nurse_html  # the provider's
    doctor_html = _doctor(app, clinic).get("/floor/").get_data(as_text=True)
    assert "Record BP" in doctor_html and "Record dose" in doctor_html
    assert "Check in" not in doctor_html  # the front desk's
    with app.app_context():
        make_user("provider", email="other@example.com")  # treats nobody here
        db.session.commit()
    other = app.test_client()
    _sign_in(other, email="other@example.com")
    other_html = other.get("/floor/").get_data(as_text=True)
    assert clinic["patient_name"] not in other_html and "Record BP" not in other_html
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access checks behind the CSRF check
    assert other.post(f"/floor/visits/{clinic['id']}/dose", data={"dose_mg": "56"}).status_code == 404
    assert nurse.post(f"/floor/visits/{clinic['id']}/dose", data={"dose_mg": "56"}).status_code == 403


def test_a_refused_action_returns_to_the_board_naming_every_rule_and_writes_nothing(
    app, clock, clinic, api_as
):
    clock.now = START - timedelta(minutes=10)
    check_in_with_ride(api_as("frontdesk"), clinic["id"])
    doctor = _doctor(app, clinic)
    app.config["WTF_CSRF_ENABLED"] = False
    refused = doctor.post(f"/floor/visits/{clinic['id']}/discharge", follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Not discharged" in html
    assert "The dose of this visit is not recorded" in html and "Not recorded yet: bp_pre" in html
    assert ">checked in</span>" in html
    bad = doctor.post(f"/floor/visits/{clinic['id']}/dose", data={"dose_mg": "50", "lot_number": "L1"})
    assert bad.status_code == 302
    html = doctor.get("/floor/").get_data(as_text=True)
    assert "Dose not recorded" in html and "This protocol allows 28, 56, 84 mg" in html
    doctor.post(
        f"/floor/visits/{clinic['id']}/measurements/bp",
        data={"timepoint": "pre", "systolic": "150", "diastolic": "92"},
    )
    held = doctor.post(
        f"/floor/visits/{clinic['id']}/dose",
        data={"dose_mg": "56", "lot_number": "L1"},
        follow_redirects=True,
    )
    assert "the prescriber confirms before the dose is given" in held.get_data(as_text=True)
    given = doctor.post(
        f"/floor/visits/{clinic['id']}/dose",
        data={"dose_mg": "56", "lot_number": "L1", "prescriber_confirmation": "Dr. Osei"},
        follow_redirects=True,
    )
    assert "Dose recorded" in given.get_data(as_text=True) and ">monitoring</span>" in given.get_data(
        as_text=True
    )
