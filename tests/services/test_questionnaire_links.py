"""Questionnaires by link: the reminder planned 24 h before a dose, the staff endpoint that sends the link,
and the patient's page /q/<token> (scored by the domain, stored as the patient's, alerts, single use, closed
at the visit's end). Runs on SQLite and PostgreSQL."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.domain.questionnaires import GAD7_QUESTIONS, PHQ9_QUESTIONS
from clinic.domain.reminders import SMS_FORBIDDEN_WORDS
from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.models.alert import Alert
from clinic.models.audit import AuditEvent
from clinic.models.measurement import Measurement
from clinic.models.reminder import Reminder
from clinic.services.appointments import book_appointment
from clinic.services.questionnaires import questionnaire_link
from tests.factories import FACTORY_ACTOR, book_series, make_clinic, make_patient
from tests.web.test_login import _token_from

START = datetime(2027, 3, 4, 15, 0, tzinfo=UTC)  # Thu 4 March 2027, 10:00 in Boston; the clock is 1 March


@pytest.fixture
def visit(app, clock):
    """A single Spravato-room dose three days ahead for a patient reachable by e-mail and text."""
    with app.app_context():
        clinic = make_clinic(phone="+16175550100")
        patient = make_patient(first_name="Avery", reminder_channels=["email", "sms"])
        appointment = book_appointment(
            {
                "patient_id": patient.id,
                "kind": "dose",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "chair_id": clinic["chairs"][0],
                "start": START,
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        return {**clinic, "appointment_id": appointment.id, "patient_id": patient.id}


def _link(app, appointment_id, now):
    with app.app_context():
        from clinic.models.appointment import Appointment

        return questionnaire_link(db.session.get(Appointment, appointment_id), now)


def _path(url: str) -> str:
    return url[url.index("/q/") :]


def _answers(phq9, gad7=None) -> dict[str, str]:
    data = {f"item{n}": str(v) for n, v in enumerate(phq9, start=1)}
    data.update({f"gad{n}": str(v) for n, v in enumerate(gad7 or [], start=1)})
    return data


def _post(client, path, data):
    token = _token_from(client.get(path).data)
    return client.post(path, data={**data, "csrf_token": token})


def test_a_dose_plans_a_questionnaire_reminder_24_hours_before_on_each_channel(app, visit):
    with app.app_context():
        rows = db.session.scalars(
            select(Reminder).where(
                Reminder.appointment_id == visit["appointment_id"], Reminder.kind == "questionnaire"
            )
        ).all()
        assert sorted(r.channel for r in rows) == ["email", "sms"]
        assert {r.due_at for r in rows} == {START - timedelta(hours=24)}


def test_the_reminder_carries_a_working_link_and_no_clinical_word(app, clock, visit, live_channels):
    mailbox, gateway = live_channels
    clock.now = START - timedelta(hours=24)
    with app.app_context():
        dispatch_due_reminders()
    [mail] = [m for m in mailbox.messages if ":questionnaire:" in m["X-Clinic-Idempotency-Key"]]
    text, html = mailbox.bodies(mail)
    assert mail["Subject"] == "A few questions before your visit on Thu, Mar 4"
    url = re.search(r"https?://\S+/q/\S+", text).group(0)
    assert f'href="{url}"' in html
    [sms] = [m for m in gateway.received if "/q/" in m["text"]]
    assert sms["to"] == "+16175550123"
    for body in (text, sms["text"], mail["Subject"]):
        assert not any(word in body.lower() for word in SMS_FORBIDDEN_WORDS), body
    page = app.test_client().get(_path(url))
    assert page.status_code == 200


def test_the_patient_answers_and_the_provider_gets_the_score_and_an_urgent_alert(app, client, clock, visit):
    path = _path(_link(app, visit["appointment_id"], clock.now))
    page = client.get(path).data.decode()
    for question in PHQ9_QUESTIONS:
        assert question in page
    assert "Nearly every day" in page and page.count('type="radio"') == 36
    assert GAD7_QUESTIONS[0] not in page  # a later single dose asks the PHQ-9 only

    answered = _post(client, path, _answers([2, 2, 1, 1, 1, 1, 1, 1, 1]))
    assert answered.status_code == 200
    done = answered.data.decode()
    assert "Your answers have been sent" in done
    assert "988" in done and 'data-testid="crisis-line"' in done

    with app.app_context():
        [stored] = db.session.scalars(select(Measurement)).all()
        assert (stored.instrument, stored.total, stored.item9) == ("phq9", 11, 1)
        assert stored.recorded_by_id is None and stored.recorded_by_label.startswith("Patient")
        [alert] = db.session.scalars(select(Alert)).all()
        assert (alert.severity, alert.provider_id) == ("urgent", visit["provider_id"])

    again = client.get(path)
    assert again.status_code == 410
    assert "Your answers are already with us" in again.data.decode()
    token = _token_from(client.get("/login").data)
    assert client.post(path, data={**_answers([0] * 9), "csrf_token": token}).status_code == 410


def test_without_thoughts_of_self_harm_no_crisis_line_is_shown(app, client, clock, visit):
    path = _path(_link(app, visit["appointment_id"], clock.now))
    done = _post(client, path, _answers([1] * 8 + [0]))
    assert done.status_code == 200
    assert 'data-testid="crisis-line"' not in done.data.decode()
    with app.app_context():
        assert db.session.scalars(select(Alert)).all() == []


def test_a_missing_answer_is_named_and_nothing_is_stored(app, client, clock, visit):
    path = _path(_link(app, visit["appointment_id"], clock.now))
    data = _answers([1] * 9)
    del data["item3"]
    data["item5"] = "7"
    refused = _post(client, path, data)
    assert refused.status_code == 400
    body = refused.data.decode()
    assert "item3" in body and "question 3" in body
    assert 'id="item3-error"' in body and 'id="item5-error"' in body
    assert body.count("checked") == 7  # the answers given stay chosen
    with app.app_context():
        assert db.session.scalars(select(Measurement)).all() == []
    assert client.get(path).status_code == 200  # the link still works


def test_the_first_dose_of_a_series_asks_the_gad7_too(app, client, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        first = min((a for a in series.appointments if a.kind == "dose"), key=lambda a: a.start_at)
        first_id = first.id
    path = _path(_link(app, first_id, clock.now))
    page = client.get(path).data.decode()
    assert all(question in page for question in GAD7_QUESTIONS)
    assert _post(client, path, _answers([0] * 9)).status_code == 400  # the GAD-7 is not answered
    assert _post(client, path, _answers([0] * 9, [1] * 7)).status_code == 200
    with app.app_context():
        stored = {m.instrument: m.total for m in db.session.scalars(select(Measurement))}
        assert stored == {"phq9": 0, "gad7": 7}


def test_the_link_closes_at_the_end_of_the_visit_and_a_forged_one_is_unknown(app, client, clock, visit):
    path = _path(_link(app, visit["appointment_id"], clock.now))
    with app.app_context():
        from clinic.models.appointment import Appointment

        end = db.session.get(Appointment, visit["appointment_id"]).end_at
    clock.now = end - timedelta(minutes=1)
    assert client.get(path).status_code == 200
    clock.now = end
    closed = client.get(path)
    assert closed.status_code == 410 and "This questionnaire has closed" in closed.data.decode()
    assert client.get(path[:-2] + "xx").status_code == 404


def test_staff_send_the_link_again_and_a_resent_link_works_after_an_answer(app, client, clock, visit, api_as):
    desk = api_as("frontdesk")
    sent = desk.post(f"/api/v1/appointments/{visit['appointment_id']}/questionnaire-link")
    assert sent.status_code == 201, sent.json
    assert sorted(sent.json["channels"]) == ["email", "sms"]
    first = _path(sent.json["url"])
    assert _post(client, first, _answers([0] * 9)).status_code == 200
    assert client.get(first).status_code == 410

    clock.advance(minutes=5)
    again = desk.post(f"/api/v1/appointments/{visit['appointment_id']}/questionnaire-link")
    assert again.status_code == 201
    assert client.get(_path(again.json["url"])).status_code == 200
    with app.app_context():
        keys = db.session.scalars(
            select(Reminder.idempotency_key).where(Reminder.idempotency_key.like("questionnaire-link:%"))
        ).all()
        assert len(keys) == 4
        audited = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "questionnaire_link.send")
        ).all()
        assert len(audited) == 2


def test_who_may_send_the_link(app, clock, visit, api_as):
    path = f"/api/v1/appointments/{visit['appointment_id']}/questionnaire-link"
    assert api_as("admin").post(path).status_code == 403
    assert api_as("provider").post(path).status_code == 404  # a provider who does not treat the patient
    treating = api_as("provider", provider_id=visit["provider_id"])
    assert treating.post(path).status_code == 201
    assert api_as("frontdesk").post("/api/v1/appointments/999999/questionnaire-link").status_code == 404


def test_a_cancelled_visit_refuses_a_new_link_and_closes_the_old_one(app, client, clock, visit, api_as):
    path = _path(_link(app, visit["appointment_id"], clock.now))
    desk = api_as("frontdesk")
    cancelled = desk.post(f"/api/v1/appointments/{visit['appointment_id']}/cancel", json={"reason": "ill"})
    assert cancelled.status_code == 200
    assert client.get(path).status_code == 410
    refused = desk.post(f"/api/v1/appointments/{visit['appointment_id']}/questionnaire-link")
    assert refused.status_code == 409
