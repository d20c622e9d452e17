"""Reminder plans (timing, quiet hours, late bookings, DST), message wording and provider digests."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.domain.localtime import to_local, utc_at
from clinic.domain.reminders import (
    MESSAGE_KINDS,
    SMS_MAX_CHARS,
    DigestVisit,
    RecipientPrefs,
    VisitFacts,
    digest_due_at,
    in_quiet_hours,
    no_driving_until,
    plan_cancellation_notice,
    plan_visit_reminders,
    render_digest,
    render_message,
    sms_is_neutral,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
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


def at(day: date, hour: int, minute: int = 0, tz: str = NY) -> datetime:
    return utc_at(day, time(hour, minute), tz)


def local(instant: datetime, tz: str = NY) -> tuple[date, time]:
    value = to_local(instant, tz)
    return value.date(), value.time()


def visit(
    start: datetime,
    *,
    kind: str = "dose",
    drug: str | None = "esketamine",
    minutes: int = 150,
    appointment_id: int = 7,
    location_name: str = "Riverside Clinic",
    needs_ride: bool = True,
    food: int = 120,
    liquid: int = 30,
    phone: str | None = "+1 555 0100",
    tz: str = NY,
) -> VisitFacts:
    return VisitFacts(
        appointment_id=appointment_id,
        kind=kind,
        start=start,
        end=start + timedelta(minutes=minutes),
        timezone=tz,
        location_name=location_name,
        location_address="12 Main Street, Springfield",
        location_phone=phone,
        patient_first_name="Ann",
        drug=drug if kind == "dose" else None,
        needs_ride=needs_ride if kind == "dose" else False,
        fasting_food_minutes=food if kind == "dose" else 0,
        fasting_liquid_minutes=liquid if kind == "dose" else 0,
    )


def prefs(
    channels: tuple[str, ...] = ("email",),
    *,
    consent: bool = True,
    email: str | None = "ann@example.org",
    phone: str | None = "+1 555 0199",
    tz: str = NY,
    quiet: tuple[time, time] = (time(21), time(8)),
) -> RecipientPrefs:
    return RecipientPrefs(
        channels=channels,
        consent=consent,
        email=email,
        phone=phone,
        timezone=tz,
        quiet_start=quiet[0],
        quiet_end=quiet[1],
    )


def due(plan: list, kind: str, channel: str = "email") -> datetime | None:
    found = [r.due_at for r in plan if r.kind == kind and r.channel == channel]
    assert len(found) <= 1
    return found[0] if found else None


LONG_AGO = datetime(2027, 1, 1, tzinfo=UTC)


# --- timing -------------------------------------------------------------------------------------------


def test_dose_reminders_on_a_normal_day_are_exact_elapsed_offsets():
    start = at(date(2027, 6, 16), 12)  # Wed, EDT all week
    plan = plan_visit_reminders(visit(start), prefs(), LONG_AGO)
    assert [r.kind for r in plan] == ["ride_check", "preparation", "questionnaire", "soon", "check_in"]
    assert due(plan, "ride_check") == start - timedelta(hours=72) == datetime(2027, 6, 13, 16, tzinfo=UTC)
    assert due(plan, "preparation") == start - timedelta(hours=24)
    assert due(plan, "questionnaire") == start - timedelta(hours=24)
    assert due(plan, "soon") == start - timedelta(hours=2) == datetime(2027, 6, 16, 14, tzinfo=UTC)
    assert local(due(plan, "check_in")) == (date(2027, 6, 17), time(10))
    assert all(r.due_at.tzinfo == UTC for r in plan)


def test_dose_right_after_spring_forward_counts_elapsed_hours():
    start = at(date(2027, 3, 15), 9)  # Mon 09:00 EDT, the day after the US change
    assert start == datetime(2027, 3, 15, 13, tzinfo=UTC)
    plan = plan_visit_reminders(visit(start), prefs(), LONG_AGO)
    ride = due(plan, "ride_check")
    assert ride == datetime(2027, 3, 12, 13, tzinfo=UTC) == start - timedelta(hours=72)
    # 72 elapsed hours before 09:00 EDT is 08:00 EST on the Friday (the lost hour is in between)
    assert local(ride) == (date(2027, 3, 12), time(8))
    assert due(plan, "preparation") == datetime(2027, 3, 14, 13, tzinfo=UTC)
    assert local(due(plan, "preparation")) == (date(2027, 3, 14), time(9))
    # 2 h before is 07:00, inside quiet hours: moved to 20:45 the evening before
    assert local(due(plan, "soon")) == (date(2027, 3, 14), time(20, 45))
    assert local(due(plan, "check_in")) == (date(2027, 3, 16), time(10))


def test_check_in_the_day_after_a_dose_before_the_change_uses_the_local_date():
    start = at(date(2027, 3, 13), 9)  # Sat 09:00 EST
    plan = plan_visit_reminders(visit(start), prefs(), LONG_AGO)
    assert due(plan, "check_in") == datetime(2027, 3, 14, 14, tzinfo=UTC)  # Sun 10:00 EDT
    assert local(due(plan, "check_in")) == (date(2027, 3, 14), time(10))


def test_early_dose_moves_the_two_hour_reminder_to_the_evening_before():
    start = at(date(2027, 6, 16), 8, 30)
    plan = plan_visit_reminders(visit(start), prefs(), LONG_AGO)
    assert local(due(plan, "soon")) == (date(2027, 6, 15), time(20, 45))
    assert due(plan, "preparation") == start - timedelta(hours=24)  # 08:30 is outside quiet hours


def test_quiet_hours_wrap_midnight_and_can_be_chosen():
    evening = at(date(2027, 6, 16), 22, 30)
    early = at(date(2027, 6, 17), 5, 59)
    morning = at(date(2027, 6, 17), 6)
    noon = at(date(2027, 6, 17), 12)
    assert in_quiet_hours(evening, NY, time(22), time(6))
    assert in_quiet_hours(early, NY, time(22), time(6))
    assert not in_quiet_hours(morning, NY, time(22), time(6))
    assert not in_quiet_hours(noon, NY, time(22), time(6))
    assert in_quiet_hours(noon, NY, time(12), time(14))
    assert not in_quiet_hours(evening, NY, time(12), time(14))
    assert not in_quiet_hours(evening, NY, time(8), time(8))  # equal ends: no quiet hours

    start = at(date(2027, 6, 16), 8, 30)
    plan = plan_visit_reminders(visit(start), prefs(quiet=(time(23), time(7))), LONG_AGO)
    assert local(due(plan, "soon")) == (date(2027, 6, 15), time(22, 45))
    plan = plan_visit_reminders(visit(start), prefs(quiet=(time(8), time(8))), LONG_AGO)
    assert due(plan, "soon") == start - timedelta(hours=2)


def test_quiet_hours_are_read_in_the_recipients_timezone():
    start = at(date(2027, 6, 16), 11)  # 2 h before: 09:00 in New York, 06:00 in Los Angeles
    plan = plan_visit_reminders(visit(start), prefs(tz=LA), LONG_AGO)
    assert local(due(plan, "soon"), LA) == (date(2027, 6, 15), time(20, 45))


def test_check_in_inside_quiet_hours_moves_later_not_earlier():
    start = at(date(2027, 6, 16), 9)
    plan = plan_visit_reminders(visit(start), prefs(tz=LA), LONG_AGO)  # 10:00 New York = 07:00 LA
    assert local(due(plan, "check_in"), LA) == (date(2027, 6, 17), time(8))


def test_late_booking_sends_what_is_still_useful_now():
    start = at(date(2027, 6, 16), 14)
    now = start - timedelta(hours=5)
    plan = plan_visit_reminders(visit(start), prefs(), now)
    assert due(plan, "ride_check") is None  # a ride needs more than 12 h notice
    assert due(plan, "preparation") == now
    assert due(plan, "soon") == start - timedelta(hours=2)
    assert due(plan, "check_in") is not None


def test_late_booking_a_day_ahead_sends_ride_check_now():
    start = at(date(2027, 6, 16), 14)
    now = start - timedelta(hours=20)
    plan = plan_visit_reminders(visit(start), prefs(), now)
    assert due(plan, "ride_check") == now
    assert due(plan, "preparation") == now
    assert due(plan, "soon") == start - timedelta(hours=2)


def test_late_booking_inside_quiet_hours_waits_for_the_morning():
    start = at(date(2027, 6, 16), 10)
    now = at(date(2027, 6, 15), 23)
    plan = plan_visit_reminders(visit(start), prefs(), now)
    morning = at(date(2027, 6, 16), 8)
    assert due(plan, "ride_check") is None
    assert due(plan, "preparation") == morning
    assert due(plan, "soon") == morning


def test_late_booking_inside_quiet_hours_drops_what_the_morning_is_too_late_for():
    start = at(date(2027, 6, 16), 8, 15)  # 08:00 is later than 30 min before the visit
    plan = plan_visit_reminders(visit(start), prefs(), at(date(2027, 6, 15), 23))
    assert [r.kind for r in plan] == ["check_in"]


def test_late_booking_close_to_the_visit_drops_preparation():
    start = at(date(2027, 6, 16), 14)
    plan = plan_visit_reminders(visit(start), prefs(), start - timedelta(minutes=90))
    assert due(plan, "preparation") is None
    assert due(plan, "soon") == start - timedelta(minutes=90)
    plan = plan_visit_reminders(visit(start), prefs(), start - timedelta(minutes=20))
    assert [r.kind for r in plan] == ["check_in"]


def test_nothing_for_a_visit_that_has_started():
    start = at(date(2027, 6, 16), 14)
    assert plan_visit_reminders(visit(start), prefs(), start) == []
    assert plan_visit_reminders(visit(start), prefs(), start + timedelta(minutes=5)) == []


def test_every_planned_time_is_sane_for_any_booking_time():
    start = at(date(2027, 3, 15), 8, 45)
    now = start - timedelta(hours=100)
    recipient = prefs(("email", "sms"))
    while now < start:
        for reminder in plan_visit_reminders(visit(start), recipient, now):
            assert reminder.due_at >= now
            assert not in_quiet_hours(reminder.due_at, NY, time(21), time(8))
            if reminder.kind != "check_in":
                assert reminder.due_at <= start - timedelta(minutes=30)
        now += timedelta(minutes=15)


def test_follow_up_and_other_visits_get_one_reminder_a_day_before():
    start = at(date(2027, 6, 16), 15)
    for kind in ("follow_up", "integration", "consult"):
        plan = plan_visit_reminders(visit(start, kind=kind), prefs(("email", "sms")), LONG_AGO)
        assert [(r.kind, r.channel) for r in plan] == [("visit_24h", "email"), ("visit_24h", "sms")]
        assert plan[0].due_at == start - timedelta(hours=24)


def test_dose_without_ride_needs_no_ride_check():
    plan = plan_visit_reminders(visit(at(date(2027, 6, 16), 12), needs_ride=False), prefs(), LONG_AGO)
    assert [r.kind for r in plan] == ["preparation", "questionnaire", "soon", "check_in"]


def test_no_consent_means_nothing():
    start = at(date(2027, 6, 16), 12)
    recipient = prefs(("email", "sms"), consent=False)
    assert plan_visit_reminders(visit(start), recipient, LONG_AGO) == []
    assert plan_cancellation_notice(visit(start), recipient, LONG_AGO) == []


def test_channels_without_contact_details_are_skipped():
    start = at(date(2027, 6, 16), 12)
    plan = plan_visit_reminders(visit(start), prefs(("email", "sms"), phone=None), LONG_AGO)
    assert {r.channel for r in plan} == {"email"}
    plan = plan_visit_reminders(visit(start), prefs(("sms", "email"), email=""), LONG_AGO)
    assert {r.channel for r in plan} == {"sms"}
    assert plan_visit_reminders(visit(start), prefs(("sms",), phone=None), LONG_AGO) == []
    assert plan_visit_reminders(visit(start), prefs(()), LONG_AGO) == []


def test_unknown_channel_and_naive_times_are_rejected():
    with pytest.raises(ValueError, match="channel"):
        prefs(("fax",))
    with pytest.raises(ValueError, match="aware"):
        visit(datetime(2027, 6, 16, 12))
    with pytest.raises(ValueError, match="aware"):
        plan_visit_reminders(visit(at(date(2027, 6, 16), 12)), prefs(), datetime(2027, 1, 1))


def test_keys_are_unique_and_change_when_the_visit_moves():
    start = at(date(2027, 6, 16), 12)
    plan = plan_visit_reminders(visit(start), prefs(("email", "sms")), LONG_AGO)
    keys = [r.key for r in plan]
    assert len(keys) == len(set(keys)) == 10
    assert "appt-7:preparation:sms:2027-06-16T16:00:00+00:00" in keys
    moved = plan_visit_reminders(visit(start + timedelta(days=1)), prefs(("email", "sms")), LONG_AGO)
    assert not set(keys) & {r.key for r in moved}
    # the same visit written with another offset is the same visit
    same = plan_visit_reminders(visit(to_local(start, NY)), prefs(("email", "sms")), LONG_AGO)
    assert [r.key for r in same] == keys


def test_cancellation_notice_is_due_now_on_every_channel():
    start = at(date(2027, 6, 16), 12)
    now = at(date(2027, 6, 14), 15)
    notices = plan_cancellation_notice(visit(start), prefs(("email", "sms")), now)
    assert [(n.kind, n.channel, n.due_at) for n in notices] == [
        ("cancellation", "email", now),
        ("cancellation", "sms", now),
    ]
    assert all("cancel" in n.key for n in notices)
    assert len({n.key for n in notices}) == 2


def test_cancellation_notice_waits_out_quiet_hours_unless_the_visit_is_too_close():
    night = at(date(2027, 6, 15), 23)
    notices = plan_cancellation_notice(visit(at(date(2027, 6, 16), 12)), prefs(), night)
    assert [n.due_at for n in notices] == [at(date(2027, 6, 16), 8)]
    notices = plan_cancellation_notice(visit(at(date(2027, 6, 16), 9)), prefs(), night)
    assert [n.due_at for n in notices] == [night]
    assert plan_cancellation_notice(visit(night), prefs(), night) == []


# --- messages -----------------------------------------------------------------------------------------


def test_preparation_email_for_a_spravato_dose():
    start = at(date(2027, 3, 1), 9)  # Mon
    message = render_message("preparation", "email", visit(start, minutes=150))
    for part in (message.text, message.html):
        assert "07:00" in part
        assert "08:30" in part
        assert "08:45" in part
        assert "12 Main Street, Springfield" in part
    assert "No food after 07:00, no liquids after 08:30." in message.text
    assert "Please arrive by 08:45." in message.text
    assert "Spravato (esketamine)" in message.text
    assert "not before Tue 2 Mar" in message.text
    assert "Mon 1 Mar 09:00" in message.subject
    assert message.text.startswith("Hello Ann,")


def test_preparation_email_for_a_ketamine_infusion():
    start = at(date(2027, 6, 16), 9)
    message = render_message("preparation", "email", visit(start, drug="ketamine", food=360, liquid=120))
    assert "No food after 03:00, no liquids after 07:00." in message.text
    assert "Do not drive for 24 hours, until Thu 17 Jun 11:30" in message.text


def test_no_driving_rules():
    end = at(date(2027, 3, 15), 11, 30)
    assert no_driving_until("esketamine", end, NY) == (
        "Do not drive until the next day after a night's restful sleep (not before Tue 16 Mar)"
    )
    assert no_driving_until("ketamine", at(date(2027, 3, 10), 11), NY) == (
        "Do not drive for 24 hours, until Thu 11 Mar 11:00"
    )
    # across a DST change the longer of 24 elapsed hours and the same clock time next day
    assert no_driving_until("ketamine", at(date(2027, 3, 13), 11), NY).endswith("Sun 14 Mar 12:00")
    assert no_driving_until("ketamine", at(date(2027, 11, 6), 11), NY).endswith("Sun 7 Nov 11:00")
    with pytest.raises(ValueError):
        no_driving_until("aspirin", end, NY)


def sample_visits() -> list[VisitFacts]:
    start = at(date(2027, 3, 15), 9)
    return [
        visit(start, drug="esketamine"),
        visit(start, drug="ketamine", food=360, liquid=120),
        visit(start, needs_ride=False, phone=None),
        visit(start, kind="follow_up"),
        visit(start, kind="integration"),
        visit(start, kind="consult", phone=None),
    ]


def clinical_words_in(text: str) -> list[str]:
    return [w for w in CLINICAL_WORDS if re.search(w, text, re.IGNORECASE)]


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
def test_sms_carries_no_clinical_detail(kind):
    for facts in sample_visits():
        message = render_message(kind, "sms", facts, now=facts.start)
        assert clinical_words_in(message.text) == []
        assert clinical_words_in(message.subject) == []
        assert sms_is_neutral(message.text)
        assert len(message.text) < SMS_MAX_CHARS
        assert "Main Street" not in message.text  # no address either


def test_sms_says_what_the_patient_must_do():
    start = at(date(2027, 3, 15), 9)
    text = render_message("preparation", "sms", visit(start)).text
    assert text.startswith("Riverside Clinic: ")
    assert "Mon 15 Mar 09:00" in text
    assert "arrive by 08:45" in text
    assert "No food after 07:00, no drinks after 08:30" in text
    assert "ride home - you cannot drive yourself" in text
    assert "+1 555 0100" in text


def test_sms_hides_a_clinic_name_that_names_the_treatment():
    facts = visit(at(date(2027, 3, 15), 9), location_name="Springfield Ketamine & Spravato Center")
    for kind in MESSAGE_KINDS:
        message = render_message(kind, "sms", facts)
        assert message.text.startswith("Your clinic: ")
        assert clinical_words_in(message.text + message.subject) == []


def test_email_subjects_are_neutral_too():
    for facts in sample_visits():
        for kind in MESSAGE_KINDS:
            assert clinical_words_in(render_message(kind, "email", facts).subject) == []


def test_html_escapes_every_value():
    facts = visit(at(date(2027, 3, 15), 9), location_name="<script>alert(1)</script>")
    for kind in MESSAGE_KINDS:
        for channel in ("email", "sms"):
            message = render_message(kind, channel, facts)
            assert "<script>" not in message.html
            if channel == "email" and facts.location_name in message.text:
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html


def test_check_in_cancellation_and_unbooked_follow_up_wording():
    start = at(date(2027, 3, 15), 9)
    assert "how are you feeling" in render_message("check_in", "sms", visit(start)).text.lower()
    cancelled = render_message("cancellation", "email", visit(start))
    assert "Mon 15 Mar 09:00" in cancelled.text
    assert "cancelled" in cancelled.subject
    due_day = visit(at(date(2027, 4, 12), 9), kind="follow_up")
    email = render_message("follow_up_unbooked", "email", due_day, now=at(date(2027, 4, 1), 9))
    assert "is due on Mon 12 Apr" in email.text
    assert "please call us to book it" in email.text
    late = render_message("follow_up_unbooked", "sms", due_day, now=at(date(2027, 4, 20), 9))
    assert "was due on Mon 12 Apr" in late.text
    assert "call us to book it" in late.text


def test_unknown_kind_or_channel_is_rejected():
    facts = visit(at(date(2027, 3, 15), 9))
    with pytest.raises(ValueError):
        render_message("party", "email", facts)
    with pytest.raises(ValueError):
        render_message("soon", "pigeon", facts)


# --- provider digest ----------------------------------------------------------------------------------


def test_digest_is_at_seven_local_across_dst():
    assert digest_due_at(date(2027, 3, 13), NY) == datetime(2027, 3, 13, 12, tzinfo=UTC)
    assert digest_due_at(date(2027, 3, 15), NY) == datetime(2027, 3, 15, 11, tzinfo=UTC)
    assert digest_due_at(date(2027, 11, 8), NY) == datetime(2027, 11, 8, 12, tzinfo=UTC)
    for day in (date(2027, 3, 13), date(2027, 3, 14), date(2027, 3, 15), date(2027, 11, 7)):
        assert local(digest_due_at(day, NY)) == (day, time(7))
    assert local(digest_due_at(date(2027, 3, 15), NY, time(6, 30))) == (date(2027, 3, 15), time(6, 30))


def test_digest_rendering():
    day = date(2027, 3, 15)
    message = render_digest(
        "Dr <b>Lee</b>",
        day,
        NY,
        doses=[
            DigestVisit(at(day, 13), "J. Doe", "dose", "IV ketamine 3/6"),
            DigestVisit(at(day, 9), "A. <i>Smith</i>", "dose"),
        ],
        follow_ups=[DigestVisit(at(day, 15), "B. Brown", "follow_up", "PHQ-9 due")],
        overdue=["C. Green: REMS monitoring form (due Fri 12 Mar)"],
        missing_rides=[DigestVisit(at(date(2027, 3, 16), 9), "D. White", "dose")],
    )
    assert message.subject == "Your day Mon 15 Mar: 2 dosing visits, 1 follow-up, 2 need attention"
    text = message.text
    assert text.index("09:00  A. <i>Smith</i> (dose)") < text.index("13:00  J. Doe (dose) — IV ketamine 3/6")
    assert "Tue 16 Mar 09:00  D. White (dose)" in text
    assert text.index("Missing rides (1)") < text.index("Dosing visits (2)")
    assert "<b>" not in message.html
    assert "<i>" not in message.html
    assert "Dr &lt;b&gt;Lee&lt;/b&gt;" in message.html
    empty = render_digest("Dr Lee", day, NY, [], [], [], [])
    assert empty.subject == "Your day Mon 15 Mar: 0 dosing visits, 0 follow-ups"
    assert empty.text.count("None.") == 4


def test_follow_up_unbooked_notice_waits_out_quiet_hours_and_is_keyed_by_the_due_visit():
    from clinic.domain.reminders import plan_follow_up_unbooked_notice

    visit = _follow_up_for_unbooked()
    prefs = RecipientPrefs(
        channels=("email", "sms"),
        consent=True,
        email="a@example.com",
        phone="+16175550100",
        timezone="America/New_York",
    )
    evening = datetime(2027, 6, 1, 2, 30, tzinfo=UTC)  # 22:30 EDT: quiet
    planned = plan_follow_up_unbooked_notice(visit, prefs, evening)
    assert [p.channel for p in planned] == ["email", "sms"]
    assert {p.due_at for p in planned} == {datetime(2027, 6, 1, 12, 0, tzinfo=UTC)}  # 08:00 EDT
    assert all(p.kind == "follow_up_unbooked" and str(visit.appointment_id) in p.key for p in planned)
    noon = datetime(2027, 6, 1, 16, 0, tzinfo=UTC)
    assert {p.due_at for p in plan_follow_up_unbooked_notice(visit, prefs, noon)} == {noon}
    no_consent = RecipientPrefs(
        channels=("email",), consent=False, email="a@example.com", phone=None, timezone="America/New_York"
    )
    assert plan_follow_up_unbooked_notice(visit, no_consent, noon) == []


def _follow_up_for_unbooked() -> VisitFacts:
    return VisitFacts(
        appointment_id=77,
        kind="follow_up",
        start=datetime(2027, 5, 30, 13, 0, tzinfo=UTC),
        end=datetime(2027, 5, 30, 13, 30, tzinfo=UTC),
        timezone="America/New_York",
        location_name="Harbor Clinic",
        location_address="1 Harbor Way",
        location_phone="+16175550100",
        patient_first_name="Avery",
        drug=None,
        needs_ride=False,
        fasting_food_minutes=0,
        fasting_liquid_minutes=0,
    )
