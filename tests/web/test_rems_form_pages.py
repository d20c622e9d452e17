"""The provider home's REMS forms with their countdown, and the printable form filled from the session."""

from datetime import UTC, datetime

import pytest

from clinic.extensions import db
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import bp, check_in_with_ride, dose, monitored_session, record
from tests.web.test_login import _sign_in, _token_from

DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)  # the first dose, 09:05 in New York


@pytest.fixture
def setup(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        doses = [a.id for a in series.appointments if a.kind == "dose"]
        return {**clinic, "doses": doses}


def _discharge(api_as, clock, setup, visit_id):
    desk, doctor = api_as("frontdesk"), api_as("provider", provider_id=setup["provider_id"])
    monitored_session(desk, doctor, visit_id, clock)
    assert desk.post(f"/api/v1/appointments/{visit_id}/complete", json={}).status_code == 200


def test_home_lists_forms_due_within_a_week_with_days_left(client, clock, api_as, setup):
    first = setup["doses"][0]
    clock.now = DOSE_TIME
    _discharge(api_as, clock, setup, first)
    clock.now = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # due by 15 March: not overdue yet
    _sign_in(client, email="doc@example.com")
    home = client.get("/provider").data.decode()
    row = home[home.index(f'data-testid="rems-form-{first}"') :].split("</tr>")[0]
    assert "Mon, Mar 8" in row and "Mon, Mar 15" in row and "5 days left" in row

    clock.now = datetime(2027, 3, 17, 15, 0, tzinfo=UTC)
    _sign_in(client, email="doc@example.com")
    home = client.get("/provider").data.decode()
    assert "overdue 2 days" in home.split(f'data-testid="rems-form-{first}"')[1].split("</tr>")[0]


def test_the_printable_form_shows_the_session_and_is_submitted(client, clock, api_as, setup):
    first = setup["doses"][0]
    clock.now = DOSE_TIME
    _discharge(api_as, clock, setup, first)
    _sign_in(client, email="doc@example.com")
    page = client.get(f"/appointments/{first}/rems-form").data.decode()
    assert 'data-testid="rems-session-date">Mon, Mar 8, 2027<' in page
    assert 'data-testid="rems-monitoring-minutes">121 minutes<' in page
    assert "56.0 mg (2 devices)" in page and "LOT-2027-A" in page
    assert "138/88" in page and "7 days left" in page
    assert 'data-testid="rems-missing"' not in page
    done = client.post(
        f"/appointments/{first}/rems-form",
        data={"csrf_token": _token_from(page.encode()), "confirmation": "RX-9"},
        follow_redirects=True,
    ).data.decode()
    assert 'data-testid="rems-submitted"' in done and "RX-9" in done
    assert f'data-testid="rems-form-{first}"' not in client.get("/provider").data.decode()


def test_an_incomplete_form_names_what_is_missing_and_offers_no_submit(client, clock, api_as, setup):
    first = setup["doses"][0]
    clock.now = DOSE_TIME
    doctor = api_as("provider", provider_id=setup["provider_id"])
    check_in_with_ride(api_as("frontdesk"), first)
    record(doctor, first, bp("pre"))
    assert dose(doctor, first).status_code == 201
    clock.advance(minutes=30)
    body = {"override_reason": "Family emergency; assessed"}
    assert doctor.post(f"/api/v1/appointments/{first}/complete", json=body).status_code == 200
    _sign_in(client, email="doc@example.com")
    page = client.get(f"/appointments/{first}/rems-form").data.decode()
    missing = page.split('data-testid="rems-missing"')[1].split("</div>")[0]
    assert "blood pressure at 40 minutes" in missing and "sedation assessment" in missing
    assert "Mark as submitted" not in page
    overrides = page.split('data-testid="rems-overrides"')[1].split("</section>")[0]
    assert "before the minimum monitoring time" in overrides and "Family emergency; assessed" in overrides
    refused = client.post(
        f"/appointments/{first}/rems-form",
        data={"csrf_token": _token_from(page.encode())},
        follow_redirects=True,
    ).data.decode()
    assert 'data-testid="rems-submitted"' not in refused
