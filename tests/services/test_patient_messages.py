"""Every patient message is worded by its templates (templates/messages/<kind>.*): times in the location's
zone and locale, SMS and subjects without clinical detail, e-mail without the drug's name, values escaped."""

import re
from datetime import timedelta

import pytest

from clinic.domain.reminders import MESSAGE_KINDS, SMS_MAX_CHARS, sms_is_neutral
from clinic.extensions import db
from clinic.models.location import Location
from clinic.services.reminders import render_reminder
from tests.factories import book_series, make_clinic

CLINICAL_WORDS = (
    "ketamine",
    "esketamine",
    "spravato",
    "infusion",
    "dose",
    "dosing",
    "depression",
    "ptsd",
    "anxiety",
    "treatment",
    "medication",
    "psychiatric",
)
DRUG_WORDS = ("ketamine", "esketamine", "spravato")


def clinical_words_in(text: str) -> list[str]:
    return [w for w in CLINICAL_WORDS if re.search(w, text, re.IGNORECASE)]


@pytest.fixture
def visits(app_ctx, clock):
    """The first dose and the first follow-up of a Spravato series and of an IV ketamine series (New York)."""
    found = []
    for protocol in ("spravato-induction", "iv-ketamine-induction"):
        clinic = make_clinic(phone="+16175550100")
        series = book_series(clinic, clock.now, protocol=protocol)
        ordered = sorted(series.appointments, key=lambda a: a.start_at)
        found.append(ordered[0])
        found.append(next(a for a in ordered if a.kind != "dose"))
    return found


def render_all(appointment, now):
    for kind in MESSAGE_KINDS:
        for channel in ("email", "sms"):
            old_start = appointment.start_at - timedelta(days=1)
            yield kind, channel, render_reminder(
                kind, channel, appointment, now, old_start=old_start, url="https://clinic.test/q/x"
            )


def test_sms_and_subjects_carry_no_clinical_detail(visits, clock):
    for appointment in visits:
        for kind, channel, message in render_all(appointment, clock.now):
            assert clinical_words_in(message.subject) == [], (kind, message.subject)
            if channel == "sms":
                assert clinical_words_in(message.text) == [], (kind, message.text)
                assert sms_is_neutral(message.text)
                assert len(message.text) < SMS_MAX_CHARS or "/ride/" in message.text, (kind, message.text)
                assert "Main Street" not in message.text  # no address either
                assert "\n" not in message.text


def test_email_never_names_the_drug(visits, clock):
    for appointment in visits:
        for kind, channel, message in render_all(appointment, clock.now):
            if channel == "email":
                body = (message.text + message.html).lower()
                assert not [word for word in DRUG_WORDS if word in body], kind
                assert message.text.startswith(f"Hello {appointment.patient.first_name},")


def test_preparation_is_in_local_time_and_the_locale(visits, clock):
    spravato, _, ketamine, _ = visits
    message = render_reminder("preparation", "email", spravato, clock.now)
    assert message.subject == "Preparing for your visit on Mon, Mar 8, 9:00 AM"
    assert "No food after 7:00\u202fAM, no liquids after 8:30\u202fAM." in message.text
    assert "Please arrive by 8:45\u202fAM." in message.text
    assert "not before Tue, Mar 9" in message.text
    assert "After your treatment you stay with us for monitoring until about 11:30\u202fAM." in message.text
    sms = render_reminder("preparation", "sms", spravato, clock.now).text
    assert sms.startswith("Location ") and "no drinks after 8:30 AM" in sms
    assert "Arrange a ride home - you cannot drive yourself." in sms
    infusion = render_reminder("preparation", "email", ketamine, clock.now).text
    assert "Do not drive for 24 hours, until" in infusion


def test_a_berlin_location_writes_its_own_dates(visits, clock):
    spravato = visits[0]
    location = db.session.get(Location, spravato.location_id)
    location.timezone, location.locale = "Europe/Berlin", "de_DE"
    db.session.flush()
    message = render_reminder("cancellation", "email", spravato, clock.now)
    # 09:00 in New York is 15:00 in Berlin (Europe has not changed to summer time yet)
    assert "Mo., 8. März, 15:00" in message.text


def test_sms_hides_a_clinic_name_that_names_the_treatment(visits, clock):
    spravato = visits[0]
    spravato.location.name = "Springfield Ketamine & Spravato Center"
    for kind, channel, message in render_all(spravato, clock.now):
        if channel == "sms":
            assert message.text.startswith("Your clinic: "), kind


def test_html_escapes_every_value(visits, clock):
    spravato = visits[0]
    spravato.location.name = "<script>alert(1)</script>"
    for kind, channel, message in render_all(spravato, clock.now):
        assert "<script>" not in message.html, (kind, channel)
        if channel == "email" and spravato.location.name in message.text:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html


def test_follow_up_unbooked_says_was_once_the_day_has_passed(visits, clock):
    follow_up = visits[1]
    email = render_reminder("follow_up_unbooked", "email", follow_up, clock.now)
    assert "is due on Mon, May 3 and is not booked yet" in email.text
    late = render_reminder("follow_up_unbooked", "sms", follow_up, follow_up.start_at + timedelta(days=2))
    assert "was due on Mon, May 3" in late.text


def test_unknown_kind_or_channel_is_rejected(visits, clock):
    with pytest.raises(ValueError):
        render_reminder("party", "email", visits[0], clock.now)
    with pytest.raises(ValueError):
        render_reminder("soon", "pigeon", visits[0], clock.now)
