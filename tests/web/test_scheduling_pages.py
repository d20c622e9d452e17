import re
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.services.locations import add_closure
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic, make_user
from tests.web.test_login import _sign_in, _token_from


@pytest.fixture
def clinic(app):
    with app.app_context():
        ids = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=ids["provider_id"])
        db.session.commit()
        return ids


def _book(app, clinic, clock):
    from datetime import time

    with app.app_context():
        series = create_series(
            {
                "patient_id": clinic["patient_id"],
                "protocol": "iv-ketamine-induction",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "start_date": date(2027, 3, 8),
                "start_time": time(10),
                "parameters": {},
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        return [a.id for a in series.appointments]


def _form(clinic, **overrides):
    return {
        "patient_id": clinic["patient_id"],
        "protocol": "iv-ketamine-induction",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": "2027-03-08",
        "start_time": "10:00",
        **overrides,
    }


def test_booking_form_previews_then_books(app, client, clinic):
    _sign_in(client)
    page = client.get("/book/")
    assert page.status_code == 200
    token = _token_from(page.data)
    preview = client.post("/book/preview", data={**_form(clinic), "csrf_token": token})
    assert preview.status_code == 200
    assert preview.data.count(b"badge-ok") == 8
    assert b"Book these 8 visits" in preview.data

    booked = client.post("/book/", data={**_form(clinic), "csrf_token": token})
    assert booked.status_code == 302
    assert "/today/" in booked.headers["Location"] and "date=2027-03-08" in booked.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == 8


def test_booking_form_without_csrf_or_with_bad_input_writes_nothing(app, client, clinic):
    _sign_in(client)
    assert client.post("/book/", data=_form(clinic)).status_code == 400
    token = _token_from(client.get("/book/").data)
    bad = client.post("/book/", data={**_form(clinic, start_time="25:00"), "csrf_token": token})
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_patient_search_for_booking(app, client, clinic):
    _sign_in(client)
    result = client.get("/book/patients?patient_query=ient")
    assert b'name="patient_id"' in result.data


def test_today_shows_the_visits_of_the_day(app, client, clinic, clock):
    _book(app, clinic, clock)
    _sign_in(client)
    page = client.get(f"/today/?location_id={clinic['location_id']}&date=2027-03-08")
    assert page.status_code == 200
    html = page.data.decode()
    assert "10:00\u2009–\u200911:55\u202fAM" in html  # en_US, as CLDR writes the range
    assert "dose 1" in html
    assert "Infusion 1" in html


def test_appointment_page_moves_and_cancels(app, client, clinic, clock):
    ids = _book(app, clinic, clock)
    _sign_in(client)
    page = client.get(f"/appointments/{ids[1]}")
    assert page.status_code == 200
    token = _token_from(page.data)

    too_close = client.post(
        f"/appointments/{ids[1]}/reschedule-preview",
        data={"new_start": "2027-03-09T10:00", "scope": "this", "csrf_token": token},
    )
    assert b"badge-conflict" in too_close.data

    moved = client.post(
        f"/appointments/{ids[1]}/reschedule",
        data={"new_start": "2027-03-10T14:00", "scope": "this", "csrf_token": token},
    )
    assert moved.status_code == 302
    assert "2:00\u2009–\u20093:55\u202fPM EST" in client.get(f"/appointments/{ids[1]}").data.decode()

    unconfirmed = client.post(
        f"/appointments/{ids[1]}/cancel",
        data={"reason": "Patient travelling", "scope": "this", "csrf_token": token},
    )
    assert unconfirmed.status_code == 400
    cancelled = client.post(
        f"/appointments/{ids[1]}/cancel",
        data={"reason": "Patient travelling", "scope": "this", "confirm": "yes", "csrf_token": token},
    )
    assert cancelled.status_code == 302
    assert re.search(
        r'data-testid="visit-status">cancelled<', client.get(f"/appointments/{ids[1]}").data.decode()
    )


def test_provider_sees_today_and_visits_but_cannot_change_them_and_may_enrol(app, client, clinic, clock):
    ids = _book(app, clinic, clock)
    _sign_in(client, email="doc@example.com")
    assert client.get(f"/today/?location_id={clinic['location_id']}&date=2027-03-08").status_code == 200
    page = client.get(f"/appointments/{ids[0]}")
    assert page.status_code == 200
    assert b"Reschedule" not in page.data
    # Providers enrol a patient in maintenance from the end-of-induction summary, so they may book a series.
    assert client.get("/book/?protocol=spravato-maintenance").status_code == 200


def test_the_preview_words_its_reasons_as_the_location_writes_times(app, client, clock):
    with app.app_context():
        london = make_clinic(timezone="Europe/London", locale="en_GB")
        add_closure(
            db.session.get(Location, london["location_id"]), date(2027, 3, 3), "", FACTORY_ACTOR, clock.now
        )
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    _sign_in(client)
    token = _token_from(client.get("/book/").data)
    # the first infusion (Mon 1 March, 09:00) has passed by now; Wednesday's is closed
    form = _form(london, start_date="2027-03-01", start_time="09:00", csrf_token=token)
    html = client.post("/book/preview", data=form).get_data(as_text=True)
    assert "<small>In the past: Mon 1 Mar, 09:00 has already passed</small>" in html
    assert "<small>Closed: the location is closed on Wed 3 Mar; moved to Thu 4 Mar, 09:00</small>" in html
    assert "2027-03" not in html and "day(s)" not in html
