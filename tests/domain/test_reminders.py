"""Reminder plans (timing, quiet hours, late bookings, DST), what messages say as facts (guidance, driving
rules, when a reminder must not go) and provider digests. The wording is tested in tests/services."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.domain.localtime import to_local, utc_at
from clinic.domain.reminders import (
    MESSAGE_KINDS,
    DigestOverdue,
    DigestSection,
    DigestVisit,
    DrivingRule,
    NoDriving,
    OverdueKind,
    RecipientPrefs,
    ReminderKind,
    VisitFacts,
    digest_due_at,
    in_quiet_hours,
    moved_from,
    no_driving_until,
    plan_booking_confirmation,
    plan_cancellation_notice,
    plan_move_notice,
    plan_visit_reminders,
    provider_digest,
    sms_is_neutral,
    sms_sender_name,
    visit_guidance,
    visit_skip_reason,
)

NY = "America/New_York"
LA = "America/Los_Angeles"


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


def test_no_driving_rules():
    end = at(date(2027, 3, 15), 11, 30)
    assert no_driving_until("esketamine", end, NY) == NoDriving(
        DrivingRule.AFTER_SLEEP, at(date(2027, 3, 16), 0)
    )
    assert no_driving_until("ketamine", at(date(2027, 3, 10), 11), NY) == NoDriving(
        DrivingRule.HOURS_24, at(date(2027, 3, 11), 11)
    )
    # across a DST change the longer of 24 elapsed hours and the same clock time next day
    assert local(no_driving_until("ketamine", at(date(2027, 3, 13), 11), NY).until) == (
        date(2027, 3, 14),
        time(12),
    )
    assert local(no_driving_until("ketamine", at(date(2027, 11, 6), 11), NY).until) == (
        date(2027, 11, 7),
        time(11),
    )
    assert no_driving_until(None, end, NY) == NoDriving(DrivingRule.AFTER_VISIT, end)
    with pytest.raises(ValueError):
        no_driving_until("aspirin", end, NY)


def test_guidance_gives_arrival_fasting_and_ride_as_instants():
    start = at(date(2027, 3, 1), 9)
    guidance = visit_guidance(visit(start, minutes=150))
    assert local(guidance.arrive_by) == (date(2027, 3, 1), time(8, 45))
    assert local(guidance.food_stop) == (date(2027, 3, 1), time(7))
    assert local(guidance.liquid_stop) == (date(2027, 3, 1), time(8, 30))
    assert guidance.needs_ride and guidance.no_driving.rule == DrivingRule.AFTER_SLEEP
    assert local(guidance.stay_until) == (date(2027, 3, 1), time(11, 30))
    follow_up = visit_guidance(visit(start, kind="follow_up"))
    assert (follow_up.food_stop, follow_up.needs_ride, follow_up.no_driving) == (None, False, None)


def test_sms_sender_name_hides_a_name_that_names_the_treatment():
    assert sms_sender_name("Riverside Clinic") == "Riverside Clinic"
    assert sms_sender_name("Springfield Ketamine & Spravato Center") == "Your clinic"
    assert sms_sender_name("  ") == "Your clinic"
    assert sms_is_neutral("Your clinic: your visit is on Mon") and not sms_is_neutral("your infusion")


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("check_in", "completed", None),
        ("check_in", "cancelled", "the visit is cancelled"),
        ("check_in", "no_show", "the visit is no show"),
        ("check_in", "checked_in", "the visit is checked in"),
        ("check_in", "scheduled", "the visit is scheduled"),
        ("preparation", "scheduled", None),
        ("preparation", "completed", "the visit is completed"),
        ("confirmation", "confirmed", None),
        ("moved", "cancelled", "the visit is cancelled"),
        ("cancellation", "cancelled", None),
    ],
)
def test_the_next_day_check_follows_a_completed_visit_and_nothing_else(kind, status, reason):
    start = at(date(2027, 3, 8), 9)
    now = start + (timedelta(days=1) if kind == "check_in" else -timedelta(days=1))
    assert visit_skip_reason(kind, status, start, now) == reason


def test_announcements_stop_once_the_visit_has_started():
    start = at(date(2027, 3, 8), 9)
    assert visit_skip_reason("soon", "scheduled", start, start) == "the visit has already started"


def test_booking_confirmation_is_due_now_or_after_quiet_hours():
    start = at(date(2027, 3, 8), 9)
    noon = at(date(2027, 3, 1), 12)
    (planned,) = plan_booking_confirmation(visit(start), prefs(), noon)
    assert (planned.kind, planned.channel, planned.due_at) == ("confirmation", "email", noon)
    night = at(date(2027, 3, 1), 23)
    (late,) = plan_booking_confirmation(visit(start), prefs(), night)
    assert local(late.due_at) == (date(2027, 3, 2), time(8))
    assert plan_booking_confirmation(visit(start), prefs(consent=False), noon) == []
    assert plan_booking_confirmation(visit(start), prefs(), start) == []


def test_move_notice_carries_the_old_start():
    old, new = at(date(2027, 3, 8), 9), at(date(2027, 3, 9), 10)
    noon = at(date(2027, 3, 1), 12)
    planned = plan_move_notice(visit(new), old, prefs(("email", "sms")), noon)
    assert [(p.kind, p.channel, p.due_at) for p in planned] == [
        ("moved", "email", noon),
        ("moved", "sms", noon),
    ]
    assert {moved_from(p.key) for p in planned} == {old}
    assert moved_from(planned[0].key + ":v3") == old
    assert moved_from("appt-7:soon:email:2027-03-09T15:00:00+00:00:v1") is None
    assert plan_move_notice(visit(new), new, prefs(), noon) == []


def test_every_kind_has_a_name_in_the_vocabulary():
    assert set(MESSAGE_KINDS) == {k.value for k in ReminderKind}
    assert {"confirmation", "moved", "check_in", "cancellation"} <= set(MESSAGE_KINDS)


# --- provider digest ----------------------------------------------------------------------------------


def test_digest_is_at_seven_local_across_dst():
    assert digest_due_at(date(2027, 3, 13), NY) == datetime(2027, 3, 13, 12, tzinfo=UTC)
    assert digest_due_at(date(2027, 3, 15), NY) == datetime(2027, 3, 15, 11, tzinfo=UTC)
    assert digest_due_at(date(2027, 11, 8), NY) == datetime(2027, 11, 8, 12, tzinfo=UTC)
    for day in (date(2027, 3, 13), date(2027, 3, 14), date(2027, 3, 15), date(2027, 11, 7)):
        assert local(digest_due_at(day, NY)) == (day, time(7))
    assert local(digest_due_at(date(2027, 3, 15), NY, time(6, 30))) == (date(2027, 3, 15), time(6, 30))


def test_digest_sections_come_in_order_sorted_with_dates_only_off_the_day():
    day = date(2027, 3, 15)
    unresolved = DigestOverdue(OverdueKind.UNRESOLVED_VISIT, "C. Green", "dose 2", at(date(2027, 3, 12), 9))
    alert = DigestOverdue(OverdueKind.ALERT, "E. Black", "Blood pressure 190/95", severity="urgent")
    digest = provider_digest(
        "Dr Lee",
        day,
        NY,
        doses=[
            DigestVisit(at(day, 13), "J. Doe", "dose", "IV ketamine 3/6"),
            DigestVisit(at(day, 9), "A. Smith", "dose"),
        ],
        follow_ups=[DigestVisit(at(day, 15), "B. Brown", "follow_up", "PHQ-9 due")],
        overdue=[unresolved, alert],
        missing_rides=[DigestVisit(at(date(2027, 3, 16), 9), "D. White", "dose")],
    )
    # what needs attention first, then the day's schedule
    assert [section for section, _ in digest.sections] == [
        DigestSection.MISSING_RIDES,
        DigestSection.OVERDUE,
        DigestSection.DOSES,
        DigestSection.FOLLOW_UPS,
    ]
    sections = dict(digest.sections)
    assert sections[DigestSection.OVERDUE] == (unresolved, alert)  # in the caller's order
    doses = sections[DigestSection.DOSES]
    assert [(line.patient_label, line.at.hour, line.dated) for line in doses] == [
        ("A. Smith", 9, False),
        ("J. Doe", 13, False),
    ]
    assert doses[1].note == "IV ketamine 3/6"
    [ride] = sections[DigestSection.MISSING_RIDES]
    assert (ride.at.date(), ride.at.hour, ride.dated) == (date(2027, 3, 16), 9, True)  # local, with its date
    assert (digest.doses, digest.follow_ups, digest.attention) == (2, 1, 3)
    empty = provider_digest("Dr Lee", day, NY, [], [], [], [])
    assert [items for _, items in empty.sections] == [(), (), (), ()]
    assert (empty.doses, empty.follow_ups, empty.attention) == (0, 0, 0)


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
