"""Questionnaires by link, end to end: the reminder goes through the real SMTP server used in tests, the
patient follows the link on a phone (390x844) and answers in headless Chromium, and the treating provider
sees the score on the timeline with an urgent alert for question 9."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from clinic.extensions import db
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.services.appointments import book_appointment
from tests.browser.test_floor_session import sign_in
from tests.factories import FACTORY_ACTOR, make_clinic, make_patient, make_user

pytestmark = pytest.mark.browser

START = datetime(2027, 3, 4, 15, 0, tzinfo=UTC)
ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")


def test_the_patient_answers_the_phq9_by_link_and_the_provider_sees_score_and_alert(
    app, chromium, live_server, page, clock, live_channels
):
    mailbox, _ = live_channels
    app.config["CLINIC_BASE_URL"] = live_server.url
    with app.app_context():
        clinic = make_clinic(phone="+16175550100")
        patient = make_patient(first_name="Avery", last_name="Lindqvist", reminder_channels=["email"])
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        book_appointment(
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
        patient_id = patient.id
    clock.now = START - timedelta(hours=24)
    with app.app_context():
        dispatch_due_reminders()

    [mail] = [m for m in mailbox.messages if ":questionnaire:" in m["X-Clinic-Idempotency-Key"]]
    text, _ = mailbox.bodies(mail)
    link = re.search(r"https?://\S+/q/\S+", text).group(0)

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        patient_page = phone.new_page()
        patient_page.goto(link)
        assert patient_page.get_by_role("heading", name="A few questions before your visit").is_visible()
        assert patient_page.evaluate("document.documentElement.scrollWidth") <= 390
        answers = [1, 1, 1, 1, 0, 0, 0, 0, 1]
        for number, value in enumerate(answers, start=1):
            patient_page.get_by_role("group", name=re.compile(rf"^{number}\. ")).get_by_label(
                ANSWERS[value]
            ).check()
        assert patient_page.get_by_text("9 of 9 questions answered").is_visible()
        patient_page.get_by_role("button", name="Send my answers").click()
        assert patient_page.get_by_text("Your answers have been sent to your care team").is_visible()
        crisis = patient_page.get_by_test_id("crisis-line")
        assert "988" in crisis.inner_text()

        again = patient_page.goto(link)
        assert again.status == 410
        assert patient_page.get_by_role("heading", name="Your answers are already with us").is_visible()
    finally:
        phone.close()

    sign_in(page, "doc@example.com")
    page.goto(f"/patients/{patient_id}/timeline")
    alert = page.locator("article.alert-urgent")
    assert alert.is_visible() and "URGENT" in alert.inner_text()
    row = page.get_by_test_id("score-row").first.inner_text()
    assert "PHQ-9" in row and "5 of 27" in row and "question 9: 1" in row
    entry = page.get_by_test_id("timeline-entry").first
    assert "Patient (questionnaire link)" in entry.inner_text()
