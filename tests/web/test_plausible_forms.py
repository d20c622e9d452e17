"""The staff pages refuse a visit day outside the booking window, as the API does, and write nothing.

The clock stands at 1 March 2027 15:00 UTC: visits may be planned from 2025-03-01 to 2030-03-01.
"""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from tests.factories import make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from
from tests.web.test_scheduling_pages import _book, _form


@pytest.fixture
def clinic(app):
    with app.app_context():
        ids = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return ids


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Series.id))),
            db.session.scalar(select(func.count(Appointment.id))),
        )


@pytest.mark.parametrize("start_date", ["0001-01-01", "2025-02-28", "2030-03-02", "9999-12-31"])
def test_the_booking_form_refuses_a_first_day_out_of_range(app, client, clinic, start_date):
    _sign_in(client)
    token = _token_from(client.get("/book/").data)
    data = {**_form(clinic, start_date=start_date), "csrf_token": token}
    preview = client.post("/book/preview", data=data)
    assert b"Choose a day between 2025-03-01 and 2030-03-01" in preview.data
    assert b"Book these" not in preview.data
    booked = client.post("/book/", data=data)
    assert booked.status_code == 400
    assert b"Choose a day between 2025-03-01 and 2030-03-01" in booked.data
    assert _counts(app) == (0, 0)


def test_the_booking_form_previews_a_series_on_the_last_day_of_the_window(app, client, clinic):
    _sign_in(client)
    token = _token_from(client.get("/book/").data)
    data = {**_form(clinic, start_date="2030-03-01"), "csrf_token": token}
    preview = client.post("/book/preview", data=data)
    assert b"Choose a day between" not in preview.data
    assert b"badge-ok" in preview.data


@pytest.mark.parametrize("new_start", ["0001-01-01T09:00", "2030-03-02T09:00", "9999-12-31T23:59"])
def test_the_appointment_page_does_not_move_a_visit_out_of_range(app, client, clinic, clock, new_start):
    visit_id = _book(app, clinic, clock)[0]
    with app.app_context():
        before = db.session.get(Appointment, visit_id).start_at
    _sign_in(client)
    token = _token_from(client.get(f"/appointments/{visit_id}").data)
    data = {"new_start": new_start, "scope": "this", "csrf_token": token}
    preview = client.post(f"/appointments/{visit_id}/reschedule-preview", data=data)
    assert b"Choose a day between 2025-03-01 and 2030-03-01" in preview.data
    moved = client.post(f"/appointments/{visit_id}/reschedule", data=data)
    assert moved.status_code == 400
    assert b"Choose a day between 2025-03-01 and 2030-03-01" in moved.data
    with app.app_context():
        assert db.session.get(Appointment, visit_id).start_at == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_day_view_falls_back_to_today_for_a_day_out_of_the_calendar(app, client, clinic, day):
    _sign_in(client)
    page = client.get(f"/today/?location_id={clinic['location_id']}&date={day}")
    assert page.status_code == 200
    assert b'name="date" value="2027-03-01"' in page.data
