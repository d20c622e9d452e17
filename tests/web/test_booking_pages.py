"""Booking a single visit and managing a whole series from the pages, as the front desk does."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from tests.factories import book_series, make_clinic, make_user
from tests.web.test_login import _sign_in


@pytest.fixture
def clinic(app, clock):
    with app.app_context():
        clinic = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        return clinic


def _desk(app):
    browser = app.test_client()
    assert _sign_in(browser, email="desk@example.com").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    return browser


def _visit(clinic, **fields):
    return {
        "patient_id": str(clinic["patient_id"]),
        "kind": "consult",
        "location_id": str(clinic["location_id"]),
        "provider_id": str(clinic["provider_id"]),
        "start_date": "2027-03-03",
        "start_time": "10:00",
        **fields,
    }


def test_the_front_desk_books_a_consult_at_local_time(app, clock, clinic):
    desk = _desk(app)
    page = desk.get(f"/book/visit?patient_id={clinic['patient_id']}").get_data(as_text=True)
    assert "Book a visit" in page and f'value="{clinic["patient_id"]}" checked' in page
    booked = desk.post("/book/visit", data=_visit(clinic, duration_minutes="45"))
    assert booked.status_code == 302 and "/appointments/" in booked.location
    with app.app_context():
        visit = db.session.scalars(select(Appointment)).one()
        assert (visit.kind, visit.start_at, visit.end_at) == (
            "consult",
            datetime(2027, 3, 3, 15, 0, tzinfo=UTC),  # 10:00 in Boston
            datetime(2027, 3, 3, 15, 45, tzinfo=UTC),
        )


def test_a_visit_that_breaks_a_rule_is_refused_naming_it_and_nothing_is_booked(app, clock, clinic):
    desk = _desk(app)
    closed = desk.post("/book/visit", data=_visit(clinic, start_date="2027-03-06"))  # a Saturday
    assert closed.status_code == 409
    html = closed.get_data(as_text=True)
    assert "Nothing was booked" in html and 'data-testid="visit-conflict"' in html
    blank = desk.post("/book/visit", data=_visit(clinic, start_date="", start_time="x"))
    assert blank.status_code == 400
    wrong_chair = desk.post(
        "/book/visit",
        data=_visit(clinic, kind="dose", chair_id=str(clinic["rooms"][0]), protocol="iv-ketamine-booster"),
    )
    assert wrong_chair.status_code == 422 and "needs an infusion chair" in wrong_chair.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


def test_a_refused_visit_offers_the_nearest_free_times_and_books_the_one_picked(app, clock, clinic):
    desk = _desk(app)
    first = desk.post("/book/visit", data=_visit(clinic, duration_minutes="60"))
    assert first.status_code == 302
    # The provider is busy 10:00-11:00: 10:30 is refused, and the times offered instead pass every rule.
    refused = desk.post("/book/visit", data=_visit(clinic, start_time="10:30", duration_minutes="30"))
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    offered = re.findall(r'name="suggested_start" value="([^"]+)"', html)
    # nearest first; 11:30 and 09:30 are as near, and the later one comes first (as the planner picks)
    assert offered == ["2027-03-03T11:00", "2027-03-03T11:15", "2027-03-03T11:30"]
    assert "Book Wed, Mar 3, 11:00\u202fAM" in html  # in the location's locale
    retry = _visit(clinic, start_time="10:30", duration_minutes="30", suggested_start=offered[0])
    picked = desk.post("/book/visit", data=retry)
    assert picked.status_code == 302
    garbled = desk.post("/book/visit", data=_visit(clinic, suggested_start="soon"))
    assert garbled.status_code == 400 and "Pick one of the suggested times" in garbled.get_data(as_text=True)
    with app.app_context():
        starts = sorted(v.start_at for v in db.session.scalars(select(Appointment)))
    assert starts == [datetime(2027, 3, 3, 15, 0, tzinfo=UTC), datetime(2027, 3, 3, 16, 0, tzinfo=UTC)]


def test_providers_do_not_book_single_visits(app, clock, clinic):
    browser = app.test_client()
    _sign_in(browser, email="doc@example.com")
    assert browser.get("/book/visit").status_code == 403


def test_the_series_page_gives_a_default_ride_replans_and_cancels_the_rest(app, clock, clinic):
    with app.app_context():
        series = book_series(clinic, clock.now)
        series_id, first = series.id, series.appointments[0].id
    desk = _desk(app)
    page = desk.get(f"/series/{series_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Spravato" in html and html.count("ride-missing") >= 8
    assert desk.get(f"/appointments/{first}").get_data(as_text=True).count(f"/series/{series_id}") == 1

    bad = desk.post(f"/series/{series_id}/ride", data={"mode": "driver", "contact_phone": "12"})
    assert bad.status_code == 422 and "Not a valid phone number" in bad.get_data(as_text=True)
    saved = desk.post(
        f"/series/{series_id}/ride",
        data={"mode": "driver", "contact_name": "Sam Lindqvist", "contact_phone": "(617) 555-0177"},
        follow_redirects=True,
    )
    html = saved.get_data(as_text=True)
    assert "visit(s) without a ride now have it" in html and "ride-missing" not in html
    assert "Sam Lindqvist · +16175550177" in html

    replanned = desk.post(
        f"/series/{series_id}/replan", data={"start_date": "2027-03-15"}, follow_redirects=True
    )
    assert "Re-planned" in replanned.get_data(as_text=True)
    refused = desk.post(f"/series/{series_id}/cancel", data={"reason": ""})
    assert refused.status_code == 422
    cancelled = desk.post(
        f"/series/{series_id}/cancel", data={"reason": "Moving away"}, follow_redirects=True
    )
    assert "Series cancelled" in cancelled.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Series, series_id).status == "cancelled"


def test_a_series_booked_with_a_default_ride_has_every_dose_arranged(app, clock, clinic):
    desk = _desk(app)
    form = {
        "patient_id": clinic["patient_id"],
        "protocol": "iv-ketamine-induction",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": "2027-03-08",
        "start_time": "10:00",
        "ride_mode": "taxi",
        "ride_contact_name": "Metro Cabs",
        "ride_contact_phone": "617-555-0100",
    }
    bad = desk.post("/book/", data={**form, "ride_contact_phone": "555"})
    assert bad.status_code == 400 and "Not a valid phone number" in bad.get_data(as_text=True)
    assert desk.post("/book/", data=form).status_code == 302
    with app.app_context():
        series = db.session.scalars(select(Series)).one()
        assert series.default_ride == {
            "mode": "taxi",
            "contact_name": "Metro Cabs",
            "contact_phone": "+16175550100",
        }
        rides = [a.transport for a in series.appointments if a.kind == "dose"]
        assert len(rides) == 6 and {(r.status, r.contact_name) for r in rides} == {("arranged", "Metro Cabs")}
