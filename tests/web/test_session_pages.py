"""The appointment page's session actions: the dose (and its correction) for the provider, the undo of a
check-in made by mistake for the front desk, and discharge with a provider's override."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment, Dose
from clinic.models.audit import AuditEvent
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import bp, check_in_with_ride, record
from tests.web.test_login import _sign_in

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST


@pytest.fixture
def visit(app, clock):
    with app.app_context():
        clinic = make_clinic()
        first = book_series(clinic, clock.now).appointments[0]
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        return {**clinic, "id": first.id}


def _signed_in(app, email):
    browser = app.test_client()
    assert _sign_in(browser, email=email).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    return browser


def test_the_provider_records_and_corrects_the_dose_on_the_visit_page(app, clock, visit, api_as):
    clock.now = START - timedelta(minutes=15)
    check_in_with_ride(api_as("frontdesk"), visit["id"])
    doctor = _signed_in(app, "doc@example.com")
    page = doctor.get(f"/appointments/{visit['id']}").get_data(as_text=True)
    assert 'data-testid="dose-form"' in page and "Record the dose" in page and "84 mg" in page
    assert "Undo the check-in" not in page  # the front desk's

    refused = doctor.post(f"/appointments/{visit['id']}/dose", data={"dose_mg": "57", "lot_number": "L1"})
    assert refused.status_code == 422 and "This protocol allows 28, 56, 84 mg" in refused.get_data(
        as_text=True
    )
    blank = doctor.post(f"/appointments/{visit['id']}/dose", data={"dose_mg": "", "lot_number": ""})
    assert blank.status_code == 422
    assert (
        doctor.post(
            f"/appointments/{visit['id']}/dose", data={"dose_mg": "56", "lot_number": "L1"}
        ).status_code
        == 302
    )
    page = doctor.get(f"/appointments/{visit['id']}").get_data(as_text=True)
    assert "56.0 mg (2 devices) · lot L1 · 8:45\u202fAM" in page and "Correct the dose" in page

    no_reason = doctor.post(f"/appointments/{visit['id']}/dose", data={"dose_mg": "84", "lot_number": "L1"})
    assert no_reason.status_code == 422
    corrected = doctor.post(
        f"/appointments/{visit['id']}/dose",
        data={"dose_mg": "84", "lot_number": "L1", "correction_reason": "third device given"},
    )
    assert corrected.status_code == 302
    with app.app_context():
        doses = db.session.scalars(select(Dose).order_by(Dose.id)).all()
        assert [(float(d.dose_mg), d.superseded_at is not None) for d in doses] == [
            (56.0, True),
            (84.0, False),
        ]


def test_the_front_desk_undoes_a_check_in_with_a_reason_until_the_dose(app, clock, visit, api_as):
    clock.now = START - timedelta(minutes=15)
    check_in_with_ride(api_as("frontdesk"), visit["id"])
    desk = _signed_in(app, "desk@example.com")
    page = desk.get(f"/appointments/{visit['id']}").get_data(as_text=True)
    assert "Undo the check-in" in page and 'data-testid="dose-form"' not in page
    assert desk.post(f"/appointments/{visit['id']}/dose", data={"dose_mg": "56"}).status_code == 403
    assert desk.post(f"/appointments/{visit['id']}/undo-check-in", data={"reason": " "}).status_code == 422
    undone = desk.post(f"/appointments/{visit['id']}/undo-check-in", data={"reason": "wrong patient"})
    assert undone.status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, visit["id"]).status == "scheduled"
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.undo_check_in")
        )
        assert event.details["reason"] == "wrong patient"
    again = desk.post(f"/appointments/{visit['id']}/undo-check-in", data={"reason": "twice"})
    assert again.status_code == 409


def test_the_provider_discharges_from_the_visit_page_and_overrides_with_a_reason(app, clock, visit, api_as):
    clock.now = START - timedelta(minutes=15)
    check_in_with_ride(api_as("frontdesk"), visit["id"])
    doctor_api = api_as("provider", provider_id=visit["provider_id"])
    record(doctor_api, visit["id"], bp("pre"))
    doctor = _signed_in(app, "doc@example.com")
    refused = doctor.post(f"/appointments/{visit['id']}/complete")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'data-testid="override-form"' in html
    overridden = doctor.post(
        f"/appointments/{visit['id']}/complete", data={"override_reason": "patient left against advice"}
    )
    assert overridden.status_code == 302
    with app.app_context():
        visit_row = db.session.get(Appointment, visit["id"])
        assert visit_row.status == "completed"
        assert visit_row.discharge_override_reason == "patient left against advice"
