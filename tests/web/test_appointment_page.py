"""The visit page: a summary in the location's zone and locale, only the actions the visit's state and the
signed-in role allow, and cancel and no-show done only after an explicit confirmation."""

import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.models.reminder import Reminder
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride
from tests.web.test_login import _sign_in, _token_from

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST


@pytest.fixture
def visit(app, clock):
    """The first dose of a Spravato induction series for Ines Alvarez, and a front desk and provider user."""
    with app.app_context():
        clinic = make_clinic()
        patient = db.session.get(Patient, clinic["patient_id"])
        patient.first_name, patient.last_name = "Ines", "Alvarez"
        first = book_series(clinic, clock.now).appointments[0]
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        return {**clinic, "id": first.id}


def _browser(app, email: str):
    browser = app.test_client()
    assert _sign_in(browser, email=email).status_code == 302
    return browser


def _page(browser, visit_id: int) -> str:
    response = browser.get(f"/appointments/{visit_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    repeated = [name for name, count in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if count > 1]
    assert repeated == [], f"element ids used more than once: {repeated}"
    return html


def _offered(html: str) -> set[str]:
    """The actions the page offers, by what a person sees."""
    found = {
        "check in": ">Check in</button>" in html,
        "discharge": ">Discharge</button>" in html,
        "record dose": 'data-testid="dose-form"' in html,
        "undo check-in": 'data-testid="undo-check-in"' in html,
        "ride": 'data-testid="ride-edit"' in html,
        "reschedule": 'data-testid="reschedule"' in html,
        "cancel": 'data-testid="cancel-link"' in html,
        "no-show": 'data-testid="no-show-link"' in html,
    }
    return {name for name, shown in found.items() if shown}


def test_the_summary_names_the_patient_protocol_and_local_time_and_no_version(app, clock, visit):
    html = _page(_browser(app, "desk@example.com"), visit["id"])
    summary = html.split('data-testid="visit-summary"')[1].split("</article>")[0]
    assert f'href="/patients/{visit["patient_id"]}"' in summary and "Ines Alvarez" in summary
    assert "Spravato induction" in summary and "spravato-induction" not in summary
    assert "Mon, Mar 8, 2027" in summary and "9:00" in summary and "EST" in summary
    assert "Room 1" in summary and "missing" in summary  # the chair and the ride still to arrange
    assert "Version" not in html and "UTC" not in html


def test_a_booked_visit_a_week_ahead_offers_moving_and_cancelling_to_the_front_desk_only(app, clock, visit):
    desk = _page(_browser(app, "desk@example.com"), visit["id"])
    assert _offered(desk) == {"ride", "reschedule", "cancel"}
    doctor = _page(_browser(app, "doc@example.com"), visit["id"])
    assert _offered(doctor) == set()
    assert "Nothing for you to do on this visit now." in doctor


def test_check_in_is_offered_on_the_visit_day_from_its_window_and_no_show_once_it_has_started(
    app, clock, visit
):
    clock.now = START - timedelta(hours=3)  # 06:00 on the day: the window opens at 08:00
    desk = _browser(app, "desk@example.com")
    early = _page(desk, visit["id"])
    assert "check in" not in _offered(early) and "Check-in opens at 8:00\u202fAM." in early

    clock.now = START - timedelta(minutes=15)
    assert _offered(_page(desk, visit["id"])) == {"check in", "ride", "reschedule", "cancel"}

    clock.now = START + timedelta(minutes=20)  # late, not here yet: checking in or recording a no-show
    assert _offered(_page(desk, visit["id"])) == {"check in", "ride", "reschedule", "cancel", "no-show"}


def test_a_visit_in_the_chair_offers_discharge_and_the_dose_and_nothing_of_a_booked_visit(
    app, clock, visit, api_as
):
    clock.now = START - timedelta(minutes=15)
    check_in_with_ride(api_as("frontdesk"), visit["id"])
    desk = _page(_browser(app, "desk@example.com"), visit["id"])
    assert _offered(desk) == {"discharge", "undo check-in", "ride"}
    doctor = _page(_browser(app, "doc@example.com"), visit["id"])
    assert _offered(doctor) == {"discharge", "record dose"}
    assert 'data-testid="checked-in-at">8:45\u202fAM<' in doctor


def test_a_completed_or_cancelled_visit_offers_nothing(app, clock, visit, api_as):
    clock.now = START - timedelta(minutes=15)
    check_in_with_ride(api_as("frontdesk"), visit["id"])
    doctor_api = api_as("provider", provider_id=visit["provider_id"])
    done = doctor_api.post(
        f"/api/v1/appointments/{visit['id']}/complete", json={"override_reason": "left against advice"}
    )
    assert done.status_code == 200, done.json
    for email in ("desk@example.com", "doc@example.com"):
        html = _page(_browser(app, email), visit["id"])
        assert _offered(html) == set() and "This visit is completed" in html

    with app.app_context():
        later = db.session.scalars(
            select(Appointment.id).where(Appointment.series_id.is_not(None)).order_by(Appointment.start_at)
        ).all()[1]
    cancelled = api_as("frontdesk").post(f"/api/v1/appointments/{later}/cancel", json={"reason": "ill"})
    assert cancelled.status_code == 200
    html = _page(_browser(app, "desk@example.com"), later)
    assert _offered(html) == set() and "This visit is cancelled." in html


def test_a_refused_move_without_scripts_shows_the_rules_and_free_times_and_moves_nothing(app, clock, visit):
    with app.app_context():
        second = db.session.scalars(
            select(Appointment).where(Appointment.kind == "dose").order_by(Appointment.start_at)
        ).all()[1]
        second_id, second_start = second.id, second.start_at
    desk = _browser(app, "desk@example.com")
    token = _token_from(desk.get(f"/appointments/{second_id}").data)
    refused = desk.post(
        f"/appointments/{second_id}/reschedule",
        data={"new_start": "2027-03-08T14:00", "scope": "this", "csrf_token": token},  # the first dose's day
    )
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert re.search(r'data-testid="reschedule"\s+open', html)
    assert 'data-testid="move-suggestions"' in html and 'data-move-ok="false"' in html
    assert re.search(r'data-new-start="2027-\d\d-\d\dT\d\d:\d\d"', html)
    with app.app_context():
        assert db.session.get(Appointment, second_id).start_at.replace(tzinfo=UTC) == second_start.replace(
            tzinfo=UTC
        )


def _counts(app, visit_id: int) -> tuple:
    with app.app_context():
        visit_row = db.session.get(Appointment, visit_id)
        pending = db.session.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.appointment_id == visit_id, Reminder.status == "pending"
            )
        )
        audits = db.session.scalar(select(func.count(AuditEvent.id)))
        return visit_row.status, visit_row.sequence, pending, audits


def test_cancel_needs_the_confirmation_and_a_reason_and_writes_nothing_without_them(app, clock, visit):
    desk = _browser(app, "desk@example.com")
    confirm = desk.get(f"/appointments/{visit['id']}/cancel")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Cancel this visit?" in html and "Yes, cancel this visit" in html and "Ines Alvarez" in html
    token = _token_from(confirm.data)
    before = _counts(app, visit["id"])

    unconfirmed = desk.post(
        f"/appointments/{visit['id']}/cancel",
        data={"reason": "Patient travelling", "scope": "this", "csrf_token": token},
    )
    assert unconfirmed.status_code == 400
    assert "Not confirmed: press “Yes, cancel this visit”" in unconfirmed.get_data(as_text=True)
    no_reason = desk.post(
        f"/appointments/{visit['id']}/cancel",
        data={"reason": "  ", "scope": "this", "confirm": "yes", "csrf_token": token},
    )
    assert no_reason.status_code == 400
    assert "Say why the visit is cancelled" in no_reason.get_data(as_text=True)
    assert _counts(app, visit["id"]) == before

    done = desk.post(
        f"/appointments/{visit['id']}/cancel",
        data={"reason": "Patient travelling", "scope": "this", "confirm": "yes", "csrf_token": token},
    )
    assert done.status_code == 302
    html = _page(desk, visit["id"])
    assert 'data-testid="visit-status">cancelled<' in html and "Patient travelling" in html
    assert "Cancelled 1 visit(s)." in html


def test_no_show_needs_the_confirmation_and_only_once_the_start_has_passed(app, clock, visit):
    clock.now = START - timedelta(minutes=15)
    desk = _browser(app, "desk@example.com")
    not_yet = desk.get(f"/appointments/{visit['id']}/no-show")
    assert not_yet.status_code == 302

    clock.now = START + timedelta(minutes=30)
    confirm = desk.get(f"/appointments/{visit['id']}/no-show")
    assert confirm.status_code == 200 and "Yes, mark as a no-show" in confirm.get_data(as_text=True)
    token = _token_from(confirm.data)
    before = _counts(app, visit["id"])
    unconfirmed = desk.post(f"/appointments/{visit['id']}/no-show", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert "Not confirmed: press “Yes, mark as a no-show”" in unconfirmed.get_data(as_text=True)
    assert _counts(app, visit["id"]) == before

    done = desk.post(f"/appointments/{visit['id']}/no-show", data={"confirm": "yes", "csrf_token": token})
    assert done.status_code == 302
    status, _, pending, _ = _counts(app, visit["id"])
    assert status == "no_show" and pending == 0


def test_the_api_cancels_and_records_no_shows_without_a_confirmation(app, clock, visit, api_as):
    clock.now = START + timedelta(minutes=30)
    desk = api_as("frontdesk")
    assert desk.post(f"/api/v1/appointments/{visit['id']}/no-show").status_code == 200
    with app.app_context():
        second = db.session.scalars(
            select(Appointment.id).where(Appointment.kind == "dose").order_by(Appointment.start_at)
        ).all()[1]
    cancelled = desk.post(f"/api/v1/appointments/{second}/cancel", json={"reason": "moved away"})
    assert cancelled.status_code == 200 and cancelled.json[0]["status"] == "cancelled"


def test_a_provider_may_not_cancel_or_record_a_no_show(app, clock, visit):
    clock.now = START + timedelta(minutes=30)
    doctor = _browser(app, "doc@example.com")
    assert doctor.get(f"/appointments/{visit['id']}/cancel").status_code == 403
    token = _token_from(doctor.get(f"/appointments/{visit['id']}").data)
    answer = doctor.post(f"/appointments/{visit['id']}/no-show", data={"confirm": "yes", "csrf_token": token})
    assert answer.status_code == 403
    assert _counts(app, visit["id"])[0] == "scheduled"


@pytest.mark.parametrize(
    ("timezone", "locale", "expected", "absent"),
    [
        ("Europe/Berlin", "de_DE", ["Mo., 8. März 2027", "14:00–16:30", "CET"], ["PM", "AM"]),
        ("America/New_York", "en_US", ["Mon, Mar 8, 2027", "PM", "EST"], ["14:00"]),
    ],
)
def test_times_are_in_the_location_zone_and_locale(app, clock, timezone, locale, expected, absent):
    with app.app_context():
        clinic = make_clinic(timezone=timezone, locale=locale)
        first = book_series(clinic, clock.now, start_time=time(14)).appointments[0]
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        visit_id = first.id
    html = _page(_browser(app, "desk@example.com"), visit_id)
    summary = html.split('data-testid="visit-summary"')[1].split("</article>")[0]
    reminders = html.split('data-testid="reminders"')[1]
    for text in expected:
        assert text in summary
    for text in absent:
        assert text not in summary and text not in reminders
    due = re.findall(r'data-testid="reminder-due">([^<]+)<', reminders)
    assert due, "the visit has reminders"
    if locale == "de_DE":
        assert all(re.search(r"\b\d{2}:\d{2}$", text) for text in due), due
    else:
        assert all(text.endswith(("AM", "PM")) for text in due), due
