from datetime import UTC, datetime

import pytest

from clinic.extensions import db
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride
from tests.web.test_login import _sign_in, _token_from


@pytest.fixture
def setup(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return {**clinic, "first_dose": series.appointments[0].id}


def test_provider_records_measurements_and_sees_the_chart_and_alerts(app, client, clock, api_as, setup):
    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    check_in_with_ride(api_as("frontdesk"), setup["first_dose"])
    _sign_in(client, email="doc@example.com")
    page = client.get(f"/appointments/{setup['first_dose']}")
    assert b'data-testid="phq9-form"' in page.data
    token = _token_from(page.data)
    answers = {f"item{n}": "1" for n in range(1, 10)}
    client.post(
        f"/appointments/{setup['first_dose']}/measurements/phq9", data={**answers, "csrf_token": token}
    )
    high = client.post(
        f"/appointments/{setup['first_dose']}/measurements/bp",
        data={"timepoint": "pre", "systolic": "186", "diastolic": "96", "csrf_token": token},
        follow_redirects=True,
    )
    assert b"Alert:" in high.data
    timeline = client.get(f"/patients/{setup['patient_id']}/timeline").data.decode()
    assert 'data-testid="trend-chart"' in timeline and "<polyline" in timeline
    home = client.get("/provider").data.decode()
    assert "URGENT" in home and "Acknowledge" in home
    assert "Overdue monitoring" in home


def test_front_desk_sees_no_answers_and_cannot_open_clinical_pages(app, client, setup):
    _sign_in(client, email="desk@example.com")
    page = client.get(f"/appointments/{setup['first_dose']}")
    assert b'data-testid="measurements"' not in page.data
    assert client.get(f"/patients/{setup['patient_id']}/timeline").status_code == 403
    assert client.get("/provider").status_code == 403
    assert client.get(f"/appointments/{setup['first_dose']}/rems-form").status_code == 403
