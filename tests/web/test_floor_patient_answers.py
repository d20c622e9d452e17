"""The floor board shows what the patient answered by link before the visit: the PHQ-9 (and GAD-7) score
with who entered it and when, and an urgent flag when item 9 is above 0. Scores only to the roles that may
read measurements; the front desk sees that it was answered and the urgent flag."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.services.questionnaires import questionnaire_link
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride
from tests.web.test_login import _sign_in, _token_from

START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # the first dose: Mon 8 March 09:00 EST
ANSWERED_AT = datetime(2027, 3, 8, 13, 5, tzinfo=UTC)  # 08:05 EST, in the waiting room


@pytest.fixture
def clinic(app, clock):
    with app.app_context():
        clinic = make_clinic()
        first = book_series(clinic, clock.now).appointments[0]
        make_user("frontdesk", email="nurse@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        make_user("provider", email="other@example.com")  # treats nobody here
        db.session.commit()
        return {**clinic, "id": first.id, "chair_id": first.chair_id, "patient_name": first.patient.full_name}


def _answer(app, clock, appointment_id, phq9, gad7):
    with app.app_context():
        url = questionnaire_link(db.session.get(Appointment, appointment_id), clock.now)
    path = url[url.index("/q/") :]
    patient = app.test_client()
    data = {f"item{n}": str(v) for n, v in enumerate(phq9, start=1)}
    data.update({f"gad{n}": str(v) for n, v in enumerate(gad7, start=1)})
    data["csrf_token"] = _token_from(patient.get(path).data)
    assert patient.post(path, data=data).status_code == 200


def _signed_in(app, email):
    browser = app.test_client()
    assert _sign_in(browser, email=email).status_code == 302
    return browser


def _card_text(html: str, chair_id: int) -> str:
    card = html.split(f'id="chair-{chair_id}"', 1)[1].split("</article>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


def test_the_patient_entered_score_shows_at_check_in_with_item_9_as_urgent(app, clock, clinic, api_as):
    clock.now = ANSWERED_AT
    _answer(app, clock, clinic["id"], [2, 2, 1, 1, 1, 1, 1, 1, 2], [1, 1, 1, 0, 0, 0, 0])
    clock.now = START - timedelta(minutes=10)
    check_in_with_ride(api_as("frontdesk"), clinic["id"])

    doctor = _signed_in(app, "doc@example.com")
    html = doctor.get(f"/floor/?location_id={clinic['location_id']}").get_data(as_text=True)
    card = _card_text(html, clinic["chair_id"])
    assert "PHQ-9 12 (by patient, 8:05 AM)" in card
    assert "GAD-7 3 (by patient, 8:05 AM)" in card
    assert "URGENT: item 9" in card
    assert card.count("URGENT") == 1  # the GAD-7 raises nothing

    nurse = _signed_in(app, "nurse@example.com")
    card = _card_text(nurse.get("/floor/").get_data(as_text=True), clinic["chair_id"])
    assert "PHQ-9 answered (by patient, 8:05 AM)" in card and "URGENT: tell a provider" in card
    assert "PHQ-9 12" not in card  # the front desk reads no measurements

    other = _signed_in(app, "other@example.com")
    card = _card_text(other.get("/floor/").get_data(as_text=True), clinic["chair_id"])
    assert "Busy" in card and "PHQ-9" not in card and "URGENT" not in card


def test_the_floor_api_carries_the_patient_answers(app, clock, clinic, api_as):
    path = f"/api/v1/floor?location_id={clinic['location_id']}"
    clock.now = START - timedelta(minutes=30)
    doctor = api_as("provider", provider_id=clinic["provider_id"])
    desk = api_as("frontdesk")

    def answers(client):
        board = client.get(path)
        assert board.status_code == 200, board.json
        [chair] = [c for c in board.json["chairs"] if c["chair_id"] == clinic["chair_id"]]
        return chair["visit"]["patient_answers"]

    assert answers(doctor) == []  # arriving, nothing answered yet
    clock.now = START - timedelta(minutes=10)
    check_in_with_ride(desk, clinic["id"])
    clock.advance(minutes=2)  # the patient answers in the waiting room, checked in
    _answer(app, clock, clinic["id"], [1] * 8 + [0], [0] * 7)
    assert answers(doctor) == [
        {"instrument": "phq9", "total": 8, "recorded_at": "2027-03-08T08:52:00-05:00", "urgent": False},
        {"instrument": "gad7", "total": 0, "recorded_at": "2027-03-08T08:52:00-05:00", "urgent": False},
    ]
    assert [(a["instrument"], a["total"]) for a in answers(desk)] == [("phq9", None), ("gad7", None)]
    html = _signed_in(app, "doc@example.com").get("/floor/").get_data(as_text=True)
    assert "URGENT" not in _card_text(html, clinic["chair_id"])
