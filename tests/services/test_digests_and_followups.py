from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.domain.localtime import local_date_of, utc_at
from clinic.domain.reminders import DigestOverdue, DigestVisit, OverdueKind, provider_digest
from clinic.extensions import db
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.reminder import Reminder
from clinic.services.appointments import cancel_appointment, place_visit
from clinic.services.digests import plan_digests, render_digest, render_provider_digest
from clinic.services.dispatch import deliver
from clinic.services.followups import sweep_unbooked_follow_ups
from clinic.services.monitoring import follow_ups, plans_for
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
NY = "America/New_York"


@pytest.fixture
def clinic(app_ctx):
    return make_clinic()


def _series(clinic):
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
        NOW,
    )
    db.session.commit()
    return series


def test_the_digest_is_planned_once_per_provider_and_day_at_07_00_local(clinic):
    before_dst = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)  # 05:00 EST
    [digest] = plan_digests(before_dst)
    assert digest.due_at == datetime(2027, 3, 8, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert plan_digests(before_dst) == []
    db.session.commit()
    [after] = plan_digests(datetime(2027, 3, 15, 10, 0, tzinfo=UTC))
    assert after.due_at == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)  # 07:00 EDT


def test_the_digest_lists_todays_doses_and_unresolved_visits_by_initials(clinic, app):
    series = _series(clinic)
    provider = db.session.get(Provider, clinic["provider_id"])
    message = render_provider_digest(provider, datetime(2027, 3, 10, 12, 0, tzinfo=UTC), NOW)
    assert "10:00" in message.text
    assert "P. I." in message.text  # initials of the factory patient, not the full name
    assert series.patient.last_name not in message.text
    later = render_provider_digest(provider, datetime(2027, 3, 11, 12, 0, tzinfo=UTC), NOW)
    assert "never checked in" in later.text  # Wednesday's dose was left open


def _at(day: date, hour: int) -> datetime:
    return utc_at(day, time(hour), NY)


def _ny(instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(NY))


def test_the_digest_wording(app_ctx):
    day = date(2027, 3, 15)
    message = render_digest(
        provider_digest(
            "Dr <b>Lee</b>",
            day,
            NY,
            doses=[
                DigestVisit(_at(day, 13), "J. Doe", "dose", "IV ketamine 3/6"),
                DigestVisit(_at(day, 9), "A. <i>Smith</i>", "dose"),
            ],
            follow_ups=[DigestVisit(_at(day, 15), "B. Brown", "follow_up", "PHQ-9 due")],
            overdue=[
                DigestOverdue(
                    OverdueKind.MONITORING,
                    "C. Green",
                    "REMS monitoring form",
                    _ny(_at(date(2027, 3, 12), 17)),
                ),
                DigestOverdue(
                    OverdueKind.UNRESOLVED_VISIT,
                    "E. Black",
                    "dose 2",
                    _ny(_at(date(2027, 3, 5), 10)),
                    "https://clinic.example/appointments/7",
                ),
            ],
            missing_rides=[DigestVisit(_at(date(2027, 3, 16), 9), "D. White", "dose")],
        )
    )
    assert message.subject == "Your day Mon 15 Mar: 2 dosing visits, 1 follow-up, 3 need attention"
    text = message.text
    assert text.startswith("Good morning Dr <b>Lee</b>, here is Mon 15 Mar (America/New_York).\n\n")
    assert text.index("09:00  A. <i>Smith</i> (dose)") < text.index("13:00  J. Doe (dose) — IV ketamine 3/6")
    assert "Tue 16 Mar 09:00  D. White (dose)" in text
    assert "Overdue monitoring (2)\n- REMS monitoring form for C. Green was due by Fri 12 Mar 17:00\n" in text
    # Every date reads alike, whatever the process's locale: "Fri 5 Mar", not "Fri 05 Mar".
    assert (
        "- dose 2 for E. Black on Fri 5 Mar was never checked in or marked as a no-show "
        "(https://clinic.example/appointments/7)\n" in text
    )
    assert "Follow-ups (1)\n- 15:00  B. Brown (follow-up) — PHQ-9 due\n" in text
    assert text.index("Missing rides (1)") < text.index("Dosing visits (2)")
    assert "<b>" not in message.html
    assert "<i>" not in message.html
    assert "Dr &lt;b&gt;Lee&lt;/b&gt;" in message.html
    assert (
        "<h2>Dosing visits (2)</h2>\n<ul><li>09:00  A. &lt;i&gt;Smith&lt;/i&gt; (dose)</li>" in message.html
    )
    empty = render_digest(provider_digest("Dr Lee", day, NY, [], [], [], []))
    assert empty.subject == "Your day Mon 15 Mar: 0 dosing visits, 0 follow-ups"
    assert empty.text.count("None.") == 4
    assert empty.html.count("<p>None.</p>") == 4


def test_the_digest_html_escapes_patient_and_alert_text(app_ctx):
    day = date(2027, 3, 15)
    alert = DigestOverdue(OverdueKind.ALERT, "<b>. O.", "<script>alert(1)</script> & more", severity="urgent")
    message = render_digest(
        provider_digest("Dr Lee", day, NY, [DigestVisit(_at(day, 9), "<i>. S.", "dose")], [], [alert], [])
    )
    assert "Open urgent alert for <b>. O.: <script>alert(1)</script> & more" in message.text  # plain text
    html = message.html
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "Open urgent alert for &lt;b&gt;. O.: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "09:00  &lt;i&gt;. S. (dose)" in html
    assert "&amp;lt;" not in html  # escaped once


def test_a_patient_name_with_markup_is_escaped_in_the_digest_html(clinic, app):
    patient = db.session.get(Patient, clinic["patient_id"])
    patient.first_name, patient.last_name = "<Pat>", "&Co"
    db.session.commit()
    _series(clinic)
    provider = db.session.get(Provider, clinic["provider_id"])
    message = render_provider_digest(provider, datetime(2027, 3, 10, 12, 0, tzinfo=UTC), NOW)
    assert "10:00  <. &. (dose 2)" in message.text
    assert "10:00  &lt;. &amp;. (dose 2)" in message.html
    assert "<. &." not in message.html


class _Outbox:
    """A channel that keeps what it is given."""

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_dispatch_sends_the_digest_worded_by_its_templates(clinic, app):
    _series(clinic)
    provider = db.session.get(Provider, clinic["provider_id"])
    wednesday = datetime(2027, 3, 10, 11, 0, tzinfo=UTC)  # 06:00 EST, before the digest is due
    [digest] = plan_digests(wednesday)
    db.session.commit()
    email = _Outbox()
    assert deliver(digest, {"email": email}, digest.due_at, 3).status == "sent"
    [sent] = email.sent
    assert sent.to == provider.email
    # ", N need attention" follows: Monday's dose was left open
    assert sent.subject.startswith("Your day Wed 10 Mar: 1 dosing visit, 0 follow-ups, ")
    assert sent.text.startswith(f"Good morning {provider.name}, here is Wed 10 Mar (America/New_York).")
    assert "<h2>Dosing visits (1)</h2>\n<ul><li>10:00  P. I. (dose 2)" in sent.html


def test_a_cancelled_follow_up_that_is_not_rebooked_gets_one_reminder(clinic):
    series = _series(clinic)
    follow_up = next(a for a in series.appointments if a.kind == "follow_up")
    cancel_appointment(follow_up, "Patient on holiday", "this", FACTORY_ACTOR, NOW)
    db.session.commit()
    sweep_time = datetime.combine(follow_up.start_at.date(), time(16), tzinfo=UTC)
    assert sweep_unbooked_follow_ups(sweep_time) == 1
    db.session.commit()
    assert sweep_unbooked_follow_ups(sweep_time) == 0  # once per missing follow-up
    rows = db.session.scalars(select(Reminder).where(Reminder.kind == "follow_up_unbooked")).all()
    assert [(r.channel, r.appointment_id) for r in rows] == [("email", follow_up.id)]


def test_a_follow_up_rebooked_on_the_seventh_day_after_counts_for_the_plan_the_list_and_the_reminder(clinic):
    series = _series(clinic)
    missed = next(a for a in series.appointments if a.kind == "follow_up")
    tz = series.location.zone
    cancel_appointment(missed, "Patient on holiday", "this", FACTORY_ACTOR, NOW)
    db.session.commit()
    sweep_time = missed.start_at + timedelta(hours=6)
    assert sweep_unbooked_follow_ups(sweep_time) == 1
    db.session.commit()
    [notice] = db.session.scalars(select(Reminder).where(Reminder.kind == "follow_up_unbooked")).all()

    # rebooked on the last day of the window, later in the day than the missed visit was
    last_day = local_date_of(missed.start_at, tz) + timedelta(days=7)
    rebooked = place_visit(
        {
            "patient_id": series.patient_id,
            "kind": "follow_up",
            "location_id": series.location_id,
            "provider_id": series.provider_id,
            "start": utc_at(last_day, time(15), tz),
        },
        FACTORY_ACTOR,
        sweep_time,
    )
    rebooked.series = series
    db.session.commit()

    assert deliver(notice, {}, sweep_time, 3).reason == "a follow-up has been booked since"
    [plan] = plans_for([series], sweep_time)
    item = next(i for i in plan.plan.items if i.key == "follow_up_visit@7d")
    assert (item.appointment_id, item.status) == (rebooked.id, "upcoming")
    assert follow_ups(sweep_time, series.provider_id, 14).unbooked == []
