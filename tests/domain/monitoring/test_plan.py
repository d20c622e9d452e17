"""The monitoring plan of a series: facts, dose items, REMS, baseline, follow-ups, IV ketamine."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.domain.localtime import to_local, utc_at
from clinic.domain.monitoring import (
    DoseFacts,
    FormSubmission,
    MeasurementError,
    PlanItem,
    RecordedMeasurement,
    SeriesFacts,
    VisitFacts,
    item_status,
    monitoring_plan,
    plan_items,
    standing_plan,
)
from clinic.domain.protocols import BUILTIN_PROTOCOLS
from clinic.domain.rems import is_rems_enrolled_for
from clinic.domain.rems_form import rems_form_due_by
from clinic.formatting import LocalWording, Place

NY = "America/New_York"
SPRAVATO = BUILTIN_PROTOCOLS["spravato-induction"]
IV = BUILTIN_PROTOCOLS["iv-ketamine-induction"]
FIRST_DAY = date(2027, 3, 8)  # a Monday; US clocks spring forward on Sunday 2027-03-14
DOSE1 = 101


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return utc_at(day, time(hour, minute), NY)


def doses_for(spec, first_day: date = FIRST_DAY, status: str = "scheduled") -> tuple[DoseFacts, ...]:
    return tuple(
        DoseFacts(
            appointment_id=100 + n,
            start=at(first_day + timedelta(days=day), 9),
            status=status,
            dose_number=n,
        )
        for n, (_, day) in enumerate(spec.dose_days(), start=1)
    )


def series(spec=SPRAVATO, **changes) -> SeriesFacts:
    facts = {"protocol": spec, "doses": doses_for(spec), "timezone": NY, "rems_enrolled_on": date(2027, 3, 1)}
    facts.update(changes)
    return SeriesFacts(**facts)


def measured(instrument: str, when: datetime, appointment_id: int | None = DOSE1, timepoint=None):
    return RecordedMeasurement(instrument, timepoint, appointment_id, when)


def item(items: list[PlanItem], key: str) -> PlanItem:
    matches = [i for i in items if i.key == key]
    assert len(matches) == 1, key
    return matches[0]


def status_at(key: str, now: datetime, facts: SeriesFacts | None = None, measurements=(), forms=()) -> str:
    return item(plan_items(facts or series(), measurements, forms, now), key).status


# --- facts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "timepoint", "field"),
    [
        ("weight", None, "instrument"),
        ("bp", None, "timepoint"),
        ("bp", "later", "timepoint"),
        ("phq9", "pre", "timepoint"),
    ],
)
def test_recorded_measurement_validation(instrument, timepoint, field):
    with pytest.raises(MeasurementError) as caught:
        RecordedMeasurement(instrument, timepoint, 1, datetime(2027, 3, 8, 14, tzinfo=UTC))
    assert caught.value.field == field


def test_facts_need_aware_times_and_known_values():
    naive = datetime(2027, 3, 8, 9)
    with pytest.raises(MeasurementError) as caught:
        RecordedMeasurement("phq9", None, 1, naive)
    assert caught.value.field == "recorded_at"
    with pytest.raises(MeasurementError) as caught:
        DoseFacts(1, naive, "scheduled", 1)
    assert caught.value.field == "start"
    with pytest.raises(MeasurementError) as caught:
        DoseFacts(1, at(FIRST_DAY, 9), "done", 1)
    assert caught.value.field == "status"
    with pytest.raises(MeasurementError) as caught:
        DoseFacts(1, at(FIRST_DAY, 9), "scheduled", 1, end=at(FIRST_DAY, 9))
    assert caught.value.field == "end"
    with pytest.raises(MeasurementError) as caught:
        series(timezone="Mars/Olympus")
    assert caught.value.field == "timezone"
    with pytest.raises(MeasurementError) as caught:
        plan_items(series(), [], [], naive)
    assert caught.value.field == "now"


def test_facts_are_normalised_to_utc():
    local = to_local(at(FIRST_DAY, 9), NY)
    dose = DoseFacts(1, local, "scheduled", 1)
    assert dose.start.tzinfo is UTC and dose.start == local


# --- the plan: a Spravato induction walk ------------------------------------------------------------------


def test_the_walk_series_has_twelve_doses_ending_on_26_april():
    doses = doses_for(SPRAVATO)
    assert len(doses) == 12
    assert to_local(doses[0].start, NY).replace(tzinfo=None) == datetime(2027, 3, 8, 9)
    assert to_local(doses[2].start, NY).replace(tzinfo=None) == datetime(
        2027, 3, 15, 9
    )  # after DST: still 09:00
    assert to_local(doses[-1].start, NY).date() == date(2027, 4, 26)


def test_every_item_of_a_spravato_induction():
    items = plan_items(series(), [], [], at(date(2027, 2, 1), 9))
    keys = [i.key for i in items]
    assert len(keys) == len(set(keys))
    per_dose = {
        "phq9_pre_dose",
        "bp_pre",
        "bp_post40",
        "bp_discharge",
        "sedation",
        "dissociation",
        "rems_monitoring_form",
    }
    for n in range(1, 13):
        assert {i.code for i in items if i.key.endswith(f"@{n}")} == per_dose
    assert {"gad7_baseline", "rems_enrolment"} <= set(keys)
    assert {k for k in keys if k.endswith("d")} == {
        f"{c}@{d}d" for c in ("follow_up_visit", "phq9_follow_up", "gad7_follow_up") for d in (7, 28)
    }
    assert len(items) == 12 * 7 + 2 + 6
    assert [i.due_at for i in items] == sorted(i.due_at for i in items)
    assert {i.status for i in items} == {"upcoming", "due"}  # unbooked follow-ups are due: they need booking


def test_dose1_phq9_upcoming_due_then_overdue():
    key = "phq9_pre_dose@1"
    phq9 = item(plan_items(series(), [], [], at(FIRST_DAY, 9)), key)
    assert phq9.due_at == at(date(2027, 3, 7), 9)  # 24 h before the visit
    assert phq9.deadline == at(FIRST_DAY, 9, 15)  # the dose is given after 15 min of check-in
    assert phq9.appointment_id == DOSE1
    assert status_at(key, at(date(2027, 3, 7), 8, 59)) == "upcoming"
    assert status_at(key, at(date(2027, 3, 7), 9)) == "due"
    assert status_at(key, at(FIRST_DAY, 9, 15)) == "due"
    assert status_at(key, at(FIRST_DAY, 9, 16)) == "overdue"


def test_dose1_phq9_done_when_recorded():
    key = "phq9_pre_dose@1"
    now = at(FIRST_DAY, 12)
    check_in = measured("phq9", at(FIRST_DAY, 9, 5))
    done = item(plan_items(series(), [check_in], [], now), key)
    assert (done.status, done.done_at, done.late) == ("done", at(FIRST_DAY, 9, 5), False)
    # filled in at home the evening before, not attached to a visit
    evening = measured("phq9", at(date(2027, 3, 7), 20), appointment_id=None)
    assert status_at(key, now, measurements=[evening]) == "done"
    # more than 24 h before the visit is too early
    early = measured("phq9", at(date(2027, 3, 7), 8, 59), appointment_id=None)
    assert status_at(key, now, measurements=[early]) == "overdue"
    # another dose's PHQ-9 is never this dose's
    assert (
        status_at(key, now, measurements=[measured("phq9", at(FIRST_DAY, 9), appointment_id=102)])
        == "overdue"
    )
    # done wins even if late, and the lateness stays visible
    late = item(plan_items(series(), [measured("phq9", at(FIRST_DAY, 10))], [], now), key)
    assert (late.status, late.late) == ("done", True)
    # evidence recorded after `now` did not exist yet
    assert (
        status_at(key, at(FIRST_DAY, 9, 30), measurements=[measured("phq9", at(FIRST_DAY, 10))]) == "overdue"
    )


def test_dose1_blood_pressure_before_the_dose():
    key = "bp_pre@1"
    assert status_at(key, at(FIRST_DAY, 8, 59)) == "upcoming"
    assert status_at(key, at(FIRST_DAY, 9)) == "due"
    assert status_at(key, at(FIRST_DAY, 9, 15)) == "due"
    assert status_at(key, at(FIRST_DAY, 9, 16)) == "overdue"
    pre = measured("bp", at(FIRST_DAY, 9, 3), timepoint="pre")
    assert status_at(key, at(FIRST_DAY, 9, 16), measurements=[pre]) == "done"
    # a reading at another timepoint is not the pre-dose one; in-visit readings must belong to the visit
    post = measured("bp", at(FIRST_DAY, 9, 3), timepoint="post40")
    unattached = measured("bp", at(FIRST_DAY, 9, 3), appointment_id=None, timepoint="pre")
    assert status_at(key, at(FIRST_DAY, 9, 16), measurements=[post, unattached]) == "overdue"


def test_dose1_blood_pressure_40_minutes_after_the_dose():
    key = "bp_post40@1"
    post40 = item(plan_items(series(), [], [], at(FIRST_DAY, 9)), key)
    # check-in 09:00, dose at 09:15, +40 min, then 20 min of grace
    assert (post40.due_at, post40.deadline) == (at(FIRST_DAY, 9, 55), at(FIRST_DAY, 10, 15))
    assert status_at(key, at(FIRST_DAY, 9, 54)) == "upcoming"
    assert status_at(key, at(FIRST_DAY, 9, 55)) == "due"
    assert status_at(key, at(FIRST_DAY, 10, 15)) == "due"
    assert status_at(key, at(FIRST_DAY, 10, 16)) == "overdue"
    reading = measured("bp", at(FIRST_DAY, 9, 57), timepoint="post40")
    assert status_at(key, at(FIRST_DAY, 10, 16), measurements=[reading]) == "done"


def test_dose1_discharge_sedation_and_dissociation():
    items = plan_items(series(), [], [], at(FIRST_DAY, 11, 20))
    discharge = item(items, "bp_discharge@1")
    assert (discharge.due_at, discharge.deadline, discharge.status) == (
        at(FIRST_DAY, 11, 15),
        at(FIRST_DAY, 11, 30),
        "due",
    )
    for key in ("sedation@1", "dissociation@1"):
        assessed = item(items, key)
        assert (assessed.due_at, assessed.deadline, assessed.status) == (
            at(FIRST_DAY, 9, 15),
            at(FIRST_DAY, 11, 30),
            "due",
        )
    recorded = [measured("sedation", at(FIRST_DAY, 10)), measured("dissociation", at(FIRST_DAY, 10))]
    later = plan_items(series(), recorded, [], at(FIRST_DAY, 11, 31))
    assert item(later, "sedation@1").status == "done"
    assert item(later, "dissociation@1").status == "done"
    assert item(later, "bp_discharge@1").status == "overdue"


def test_visit_end_from_the_facts_wins_over_the_protocol_length():
    doses = list(doses_for(SPRAVATO))
    doses[0] = replace(doses[0], end=at(FIRST_DAY, 12))
    items = plan_items(series(doses=doses), [], [], at(FIRST_DAY, 9))
    assert item(items, "bp_discharge@1").deadline == at(FIRST_DAY, 12)
    assert item(items, "rems_monitoring_form@1").due_at == at(FIRST_DAY, 12)


def rems_deadline(session_date: date) -> datetime:
    """Where the REMS form itself (clinic.domain.rems_form) says it stops being on time."""
    return at(rems_form_due_by(session_date) + timedelta(days=1), 0)


def test_rems_monitoring_form_within_seven_days():
    key = "rems_monitoring_form@1"
    form = item(plan_items(series(), [], [], at(FIRST_DAY, 9)), key)
    assert form.due_at == at(FIRST_DAY, 11, 30)
    # The REMS form's own rule: on time through the 7th local day after the session's date (15 March),
    # on the local clocks across the spring-forward change of 14 March.
    assert form.deadline == at(date(2027, 3, 16), 0)
    assert form.deadline == rems_deadline(FIRST_DAY)
    assert status_at(key, at(FIRST_DAY, 11, 29)) == "upcoming"
    assert status_at(key, at(FIRST_DAY, 11, 30)) == "due"
    assert status_at(key, at(date(2027, 3, 15), 23, 59)) == "due"
    assert status_at(key, at(date(2027, 3, 16), 0, 1)) == "overdue"
    assert status_at(key, at(date(2027, 3, 16), 9)) == "overdue"  # day 8
    submitted = FormSubmission(DOSE1, at(date(2027, 3, 10), 14))
    assert status_at(key, at(date(2027, 3, 16), 9), forms=[submitted]) == "done"
    other_visit = FormSubmission(102, at(date(2027, 3, 10), 14))
    assert status_at(key, at(date(2027, 3, 16), 9), forms=[other_visit]) == "overdue"


def test_rems_enrolment_before_the_first_dose():
    key = "rems_enrolment"
    unenrolled = series(rems_enrolled_on=None)
    enrolment = item(plan_items(unenrolled, [], [], at(FIRST_DAY, 9)), key)
    assert (enrolment.due_at, enrolment.deadline) == (at(date(2027, 2, 22), 9), at(FIRST_DAY, 9))
    assert enrolment.appointment_id is None
    assert status_at(key, at(date(2027, 2, 20), 9), unenrolled) == "upcoming"
    assert status_at(key, at(date(2027, 3, 1), 9), unenrolled) == "due"
    assert status_at(key, at(FIRST_DAY, 9), unenrolled) == "due"
    assert status_at(key, at(FIRST_DAY, 9, 1), unenrolled) == "overdue"

    on_the_day = item(plan_items(series(rems_enrolled_on=FIRST_DAY), [], [], at(FIRST_DAY, 10)), key)
    assert (on_the_day.status, on_the_day.late) == ("done", False)
    assert on_the_day.done_at == at(FIRST_DAY, 0)
    after = item(plan_items(series(rems_enrolled_on=date(2027, 3, 9)), [], [], at(date(2027, 3, 9), 10)), key)
    assert (after.status, after.late) == ("done", True)
    # an enrolment dated after `now` has not happened yet
    assert status_at(key, at(FIRST_DAY, 10), series(rems_enrolled_on=date(2027, 3, 9))) == "overdue"


@pytest.mark.parametrize(
    ("enrolled_on", "late"), [(date(2027, 3, 7), False), (FIRST_DAY, False), (date(2027, 3, 9), True)]
)
def test_rems_enrolment_is_late_exactly_when_the_rems_rule_says_it_is_not_in_time(enrolled_on, late):
    enrolment = item(
        plan_items(series(rems_enrolled_on=enrolled_on), [], [], at(date(2027, 3, 10), 9)), "rems_enrolment"
    )
    assert (enrolment.status, enrolment.late) == ("done", late)
    assert late is not is_rems_enrolled_for(enrolled_on, FIRST_DAY)


def test_gad7_baseline_before_the_first_dose():
    key = "gad7_baseline"
    baseline = item(plan_items(series(), [], [], at(FIRST_DAY, 9)), key)
    assert (baseline.due_at, baseline.deadline) == (at(date(2027, 3, 7), 9), at(FIRST_DAY, 9, 15))
    now = at(FIRST_DAY, 12)
    assert status_at(key, now) == "overdue"
    intake = measured("gad7", at(date(2027, 2, 20), 10), appointment_id=None)
    assert status_at(key, now, measurements=[intake]) == "done"
    stale = measured("gad7", at(date(2027, 1, 20), 10), appointment_id=None)
    assert status_at(key, now, measurements=[stale]) == "overdue"
    assert status_at(key, now, measurements=[measured("gad7", at(FIRST_DAY, 9, 5))]) == "done"
    known = series(baseline_gad7_at=at(date(2027, 2, 25), 10))
    assert item(plan_items(known, [], [], now), key).done_at == at(date(2027, 2, 25), 10)


def test_cancelled_doses_are_skipped_and_no_shows_noted():
    doses = list(doses_for(SPRAVATO))
    doses[0] = replace(doses[0], status="cancelled")
    doses[2] = replace(doses[2], status="no_show")
    plan = monitoring_plan(series(doses=doses), [], [], at(date(2027, 3, 20), 9))
    assert not [i for i in plan.items if i.appointment_id in (101, 103)]
    assert not [i for i in plan.items if i.key.endswith(("@1", "@3"))]
    (note,) = plan.notes
    assert (note.code, note.appointment_id, note.at) == ("dose_no_show", 103, at(date(2027, 3, 15), 9))
    assert "Dose 3" in note.message and "Mon 2027-03-15 09:00" in note.message
    # the first dose that happens carries the baseline and the enrolment deadline
    assert item(plan.items, "gad7_baseline").appointment_id == 102
    assert item(plan.items, "rems_enrolment").deadline == at(date(2027, 3, 11), 9)


@pytest.mark.parametrize(
    ("locale", "when"), [("en_US", "Mon, Mar 15, 9:00\u202fAM"), ("de_DE", "Mo., 15. März, 09:00")]
)
def test_a_no_show_note_writes_its_time_as_the_location_does(locale, when):
    doses = list(doses_for(SPRAVATO))
    doses[2] = replace(doses[2], status="no_show")  # Mon 15 March, the day after the clocks sprang forward
    wording = LocalWording(Place(ZoneInfo(NY), locale))
    (note,) = monitoring_plan(series(doses=doses, wording=wording), [], [], at(date(2027, 3, 20), 9)).notes
    assert note.message == (
        f"Dose 3 on {when} was a no-show: no monitoring was due for it; "
        "review the series with the prescriber."
    )


# --- the plan: follow-ups ---------------------------------------------------------------------------------

FU7_DUE = date(2027, 5, 3)  # last dose Mon 26 April + 7 days
FU28_DUE = date(2027, 5, 24)


def follow_up(appointment_id: int, day: date, status: str = "scheduled", hour: int = 10) -> VisitFacts:
    return VisitFacts(appointment_id, at(day, hour), status)


def test_follow_ups_are_due_7_and_28_days_after_the_last_dose():
    items = plan_items(series(), [], [], at(date(2027, 4, 20), 9))
    fu7, fu28 = item(items, "follow_up_visit@7d"), item(items, "follow_up_visit@28d")
    assert (fu7.due_at, fu7.deadline) == (at(FU7_DUE, 0), at(date(2027, 5, 7), 0))  # 3 days of grace
    assert fu28.due_at == at(FU28_DUE, 0)
    # unbooked: it needs booking, so it is due before its date
    assert (fu7.status, fu28.status) == ("due", "due")
    assert fu7.appointment_id is None
    assert status_at("follow_up_visit@7d", at(date(2027, 5, 6), 23, 59)) == "due"
    assert status_at("follow_up_visit@7d", at(date(2027, 5, 7), 0, 1)) == "overdue"


def test_booked_follow_up_is_upcoming_then_done_or_overdue():
    key = "follow_up_visit@7d"
    booked = series(follow_ups=[follow_up(501, date(2027, 5, 4))])
    upcoming = item(plan_items(booked, [], [], at(date(2027, 4, 30), 9)), key)
    assert (upcoming.status, upcoming.appointment_id) == ("upcoming", 501)
    assert status_at(key, at(date(2027, 5, 4), 10, 30), booked) == "due"  # happening now
    assert status_at(key, at(date(2027, 5, 8), 9), booked) == "overdue"  # never completed
    completed = series(follow_ups=[follow_up(501, date(2027, 5, 4), "completed")])
    done = item(plan_items(completed, [], [], at(date(2027, 5, 8), 9)), key)
    assert (done.status, done.done_at) == ("done", at(date(2027, 5, 4), 10))
    # booked late but inside the window: upcoming until it happens
    late_booking = series(follow_ups=[follow_up(502, date(2027, 5, 9))])
    assert status_at(key, at(date(2027, 5, 8), 9), late_booking) == "upcoming"


def test_follow_up_visits_outside_the_window_or_cancelled_do_not_count():
    visits = [
        follow_up(501, date(2027, 5, 12)),
        follow_up(502, FU7_DUE, "cancelled"),
        follow_up(503, FU7_DUE, "no_show"),
    ]
    items = plan_items(series(follow_ups=visits), [], [], at(date(2027, 5, 1), 9))
    assert item(items, "follow_up_visit@7d").appointment_id is None
    assert item(items, "follow_up_visit@28d").appointment_id is None


@pytest.mark.parametrize(
    ("start", "matched"),
    [
        (at(date(2027, 4, 26), 0) - timedelta(seconds=1), False),
        (at(date(2027, 4, 26), 0), True),  # exactly at the window's start: 7 local days before the due date
        (at(date(2027, 5, 10), 23, 59), True),  # late on the 7th day after
        (at(date(2027, 5, 11), 0), False),  # exactly at the window's end
    ],
)
def test_a_follow_up_visit_matches_at_the_edges_of_its_window(start, matched):
    facts = series(follow_ups=[VisitFacts(501, start, "scheduled")])
    fu7 = item(plan_items(facts, [], [], at(date(2027, 4, 20), 9)), "follow_up_visit@7d")
    assert (fu7.appointment_id == 501) is matched


def test_each_follow_up_gets_its_own_visit():
    visits = [follow_up(528, date(2027, 5, 25), "completed"), follow_up(507, date(2027, 5, 3), "completed")]
    items = plan_items(series(follow_ups=visits), [], [], at(date(2027, 6, 1), 9))
    assert item(items, "follow_up_visit@7d").appointment_id == 507
    assert item(items, "follow_up_visit@28d").appointment_id == 528
    assert {item(items, k).status for k in ("follow_up_visit@7d", "follow_up_visit@28d")} == {"done"}


def test_questionnaires_at_a_follow_up():
    visit = follow_up(501, date(2027, 5, 4))
    booked = series(follow_ups=[visit])
    items = plan_items(booked, [], [], at(date(2027, 5, 3), 10))
    phq9 = item(items, "phq9_follow_up@7d")
    assert (phq9.due_at, phq9.deadline, phq9.appointment_id) == (
        at(date(2027, 5, 3), 10),
        at(date(2027, 5, 4), 10, 30),
        501,
    )
    assert phq9.status == "due"
    recorded = [
        measured("phq9", at(date(2027, 5, 4), 10, 5), 501),
        measured("gad7", at(date(2027, 5, 2), 18), None),
    ]
    later = plan_items(booked, recorded, [], at(date(2027, 5, 5), 9))
    assert item(later, "phq9_follow_up@7d").status == "done"
    assert item(later, "gad7_follow_up@7d").status == "done"  # at home within the window
    assert item(later, "gad7_follow_up@28d").status == "upcoming"
    # the last dose's own PHQ-9 is not a follow-up score
    last_dose = measured("phq9", at(date(2027, 4, 26), 9, 5), 112)
    assert status_at("phq9_follow_up@7d", at(date(2027, 5, 8), 9), measurements=[last_dose]) == "overdue"
    # unbooked: due over the follow-up's own period
    unbooked = item(plan_items(series(), [], [], at(date(2027, 5, 1), 9)), "gad7_follow_up@7d")
    assert (unbooked.due_at, unbooked.deadline, unbooked.status) == (
        at(FU7_DUE, 0),
        at(date(2027, 5, 7), 0),
        "upcoming",
    )


def test_follow_ups_follow_the_last_dose_that_happens():
    doses = list(doses_for(SPRAVATO))
    doses[-1] = replace(doses[-1], status="cancelled")  # the 19 April dose is now the last
    items = plan_items(series(doses=doses), [], [], at(date(2027, 4, 1), 9))
    assert item(items, "follow_up_visit@7d").due_at == at(date(2027, 4, 26), 0)


def test_protocols_without_follow_ups_have_none():
    spec = BUILTIN_PROTOCOLS["spravato-maintenance"]
    items = plan_items(series(spec, doses=doses_for(spec)), [], [], at(FIRST_DAY, 9))
    assert not [i for i in items if "follow_up" in i.code]
    assert len(items) == 4 * 7 + 2


# --- the plan: IV ketamine --------------------------------------------------------------------------------


def test_iv_induction_has_pre_and_discharge_bp_and_no_rems_or_sedation():
    facts = series(IV, doses=doses_for(IV), rems_enrolled_on=None)
    items = plan_items(facts, [], [], at(FIRST_DAY, 9))
    for n in range(1, 7):
        assert {i.code for i in items if i.key.endswith(f"@{n}")} == {
            "phq9_pre_dose",
            "bp_pre",
            "bp_discharge",
        }
    codes_seen = {i.code for i in items}
    assert not codes_seen & {
        "bp_post40",
        "sedation",
        "dissociation",
        "rems_monitoring_form",
        "rems_enrolment",
    }
    assert "gad7_baseline" in codes_seen
    assert len(items) == 6 * 3 + 1 + 6
    pre, discharge = item(items, "bp_pre@1"), item(items, "bp_discharge@1")
    assert (pre.due_at, pre.deadline) == (at(FIRST_DAY, 9), at(FIRST_DAY, 9, 15))
    # 15 min check-in + 40 min infusion + 60 min recovery
    assert (discharge.due_at, discharge.deadline) == (at(FIRST_DAY, 10, 40), at(FIRST_DAY, 10, 55))


# --- the plan: general ------------------------------------------------------------------------------------


def test_item_status_boundaries():
    due, deadline = at(FIRST_DAY, 9), at(FIRST_DAY, 10)
    assert item_status(due - timedelta(seconds=1), due, deadline, None) == "upcoming"
    assert item_status(due, due, deadline, None) == "due"
    assert item_status(deadline, due, deadline, None) == "due"
    assert item_status(deadline + timedelta(seconds=1), due, deadline, None) == "overdue"
    late = deadline + timedelta(days=1)
    assert item_status(late, due, deadline, late) == "done"
    # evidence recorded after `now` does not count yet
    assert item_status(due - timedelta(days=1), due, deadline, late) == "upcoming"
    # an item that waits for nothing (an unbooked follow-up visit) is due before its due time
    assert item_status(due - timedelta(days=1), None, deadline, None) == "due"


def test_the_standing_plan_at_any_moment_is_the_plan_at_that_moment():
    """What a stored plan relies on: all evidence counted once, then read at `now`, equals the plan at `now`,
    through the doses, the enrolment (dated after the first dose), late and early evidence, and follow-ups
    booked, completed and missing."""
    last = doses_for(SPRAVATO)[-1]
    facts = series(
        rems_enrolled_on=date(2027, 3, 10),
        follow_ups=[follow_up(501, date(2027, 5, 4)), follow_up(502, date(2027, 6, 1), status="completed")],
        baseline_gad7_at=at(FIRST_DAY, 8),
    )
    records = [
        measured("phq9", at(FIRST_DAY, 9, 5)),
        measured("bp", at(FIRST_DAY, 12), timepoint="pre"),
        measured("gad7", at(FIRST_DAY - timedelta(days=2), 10), appointment_id=None),
        measured("phq9", at(date(2027, 5, 4), 9, 30), appointment_id=501),
        measured("sedation", last.start + timedelta(minutes=50), appointment_id=last.appointment_id),
    ]
    forms = [FormSubmission(DOSE1, at(FIRST_DAY + timedelta(days=9), 16))]
    standing = standing_plan(facts, records, forms)
    moments = [at(FIRST_DAY - timedelta(days=20), 9) + timedelta(hours=7 * k) for k in range(400)]
    for now in moments:
        assert [i.at(now) for i in standing.items] == list(monitoring_plan(facts, records, forms, now).items)


def test_the_plan_is_a_pure_function_of_its_inputs():
    facts = series(follow_ups=[follow_up(501, date(2027, 5, 4))])
    records = [measured("phq9", at(FIRST_DAY, 9, 5)), measured("bp", at(FIRST_DAY, 9, 5), timepoint="pre")]
    now = at(date(2027, 3, 20), 12)
    assert plan_items(facts, records, [], now) == plan_items(facts, list(records), (), now)
    plan = monitoring_plan(facts, records, [], now)
    assert {i.key for i in plan.with_status("done")} == {"rems_enrolment", "phq9_pre_dose@1", "bp_pre@1"}
    assert all(i.status == "overdue" for i in plan.with_status("overdue"))


def test_no_doses_no_plan():
    doses = [replace(d, status="cancelled") for d in doses_for(SPRAVATO)]
    plan = monitoring_plan(series(doses=doses), [], [], at(FIRST_DAY, 9))
    assert plan.items == () and plan.notes == ()
