"""Monitoring: measurement validation and scoring, alerts, the monitoring plan of a series, PHQ-9 trend."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.domain.localtime import to_local, utc_at
from clinic.domain.monitoring import (
    MEASUREMENT_INSTRUMENTS,
    AlertContext,
    BloodPressure,
    BpLimit,
    Dissociation,
    DoseFacts,
    FormSubmission,
    Gad7Result,
    MeasurementError,
    Phq9Result,
    PlanItem,
    RecordedMeasurement,
    Sedation,
    SeriesFacts,
    VisitFacts,
    alerts_for,
    check_blood_pressure,
    check_dissociation,
    check_sedation,
    item_status,
    monitoring_plan,
    plan_items,
    response_status,
    score_gad7,
    score_phq9,
)
from clinic.domain.protocols import BUILTIN_PROTOCOLS

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


# --- scoring and validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "none-minimal"),
        (4, "none-minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_severity_bands(total, severity):
    items = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    items += [0] * (9 - len(items))
    result = score_phq9(items)
    assert (result.total, result.severity) == (total, severity)


def test_phq9_item9_is_the_last_item():
    result = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 2])
    assert result == Phq9Result(total=2, item9=2, severity="none-minimal")
    assert score_phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]).item9 == 0


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([0] * 8, "items"),
        ([0] * 10, "items"),
        ([], "items"),
        ("000000000", "items"),
        (None, "items"),
        ([0, 0, 0, 4, 0, 0, 0, 0, 0], "items[3]"),
        ([0, 0, 0, 0, 0, 0, 0, 0, -1], "items[8]"),
        ([0, 0, True, 0, 0, 0, 0, 0, 0], "items[2]"),
        ([0, 1.0, 0, 0, 0, 0, 0, 0, 0], "items[1]"),
        (["1", 0, 0, 0, 0, 0, 0, 0, 0], "items[0]"),
    ],
)
def test_phq9_validation_names_the_field(items, field):
    with pytest.raises(MeasurementError) as caught:
        score_phq9(items)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_phq9_error_message_counts_items_from_one():
    with pytest.raises(MeasurementError, match=r"items\[8\]: item 9 must be between 0 and 3"):
        score_phq9([0] * 8 + [5])


def test_phq9_result_from_stored_values_derives_and_checks_severity():
    assert Phq9Result(total=12, item9=1).severity == "moderate"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=12, item9=1, severity="mild")
    assert caught.value.field == "severity"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=1, item9=2)
    assert caught.value.field == "item9"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=28, item9=0)
    assert caught.value.field == "total"


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_severity_bands(total, severity):
    items = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    items += [0] * (7 - len(items))
    assert score_gad7(items) == Gad7Result(total=total, severity=severity)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([0] * 9, "items"),
        ([0] * 6, "items"),
        ([0, 0, 0, 0, 0, 0, 4], "items[6]"),
        ([0, None, 0, 0, 0, 0, 0], "items[1]"),
    ],
)
def test_gad7_validation_names_the_field(items, field):
    with pytest.raises(MeasurementError) as caught:
        score_gad7(items)
    assert caught.value.field == field


def test_blood_pressure_accepts_the_range_edges():
    assert check_blood_pressure(300, 200, "pre") == BloodPressure(300, 200, "pre")
    assert check_blood_pressure(50, 30, "discharge").diastolic == 30
    assert check_blood_pressure(120, 80, "post40").timepoint == "post40"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "timepoint", "field"),
    [
        (49, 30, "pre", "systolic"),
        (301, 80, "pre", "systolic"),
        (120.5, 80, "pre", "systolic"),
        (True, 80, "pre", "systolic"),
        (120, 29, "pre", "diastolic"),
        (250, 201, "pre", "diastolic"),
        (120, "80", "pre", "diastolic"),
        (80, 80, "pre", "diastolic"),
        (80, 90, "pre", "diastolic"),
        (120, 80, "post30", "timepoint"),
        (120, 80, None, "timepoint"),
        (120, 80, "PRE", "timepoint"),
    ],
)
def test_blood_pressure_validation_names_the_field(systolic, diastolic, timepoint, field):
    with pytest.raises(MeasurementError) as caught:
        check_blood_pressure(systolic, diastolic, timepoint)
    assert caught.value.field == field


def test_sedation_is_moaas_0_to_5():
    assert check_sedation(5) == Sedation(5)
    assert check_sedation(0).moaas == 0
    for bad in (-1, 6, True, 4.5):
        with pytest.raises(MeasurementError) as caught:
            check_sedation(bad)
        assert caught.value.field == "moaas"


def test_dissociation_is_the_cadss_total_0_to_92():
    assert check_dissociation(92) == Dissociation(92)
    assert check_dissociation(0).cadss_total == 0
    for bad in (-1, 93, False, "10"):
        with pytest.raises(MeasurementError) as caught:
            check_dissociation(bad)
        assert caught.value.field == "cadss_total"


def test_instruments():
    assert MEASUREMENT_INSTRUMENTS == ("phq9", "gad7", "bp", "sedation", "dissociation")


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


# --- alerts -----------------------------------------------------------------------------------------------


def codes(alerts):
    return [(a.code, a.severity) for a in alerts]


def test_phq9_item9_above_zero_is_urgent():
    assert alerts_for(score_phq9([1] * 8 + [0])) == []
    (alert,) = alerts_for(score_phq9([0] * 8 + [1]))
    assert (alert.code, alert.severity) == ("phq9_item9", "urgent")
    assert "item 9" in alert.message and "1 of 3" in alert.message


@pytest.mark.parametrize(
    ("systolic", "diastolic", "alerted"),
    [
        (179, 109, False),
        (180, 100, True),  # the limit itself counts as high
        (170, 110, True),
        (180, 110, True),
        (200, 90, True),
        (150, 115, True),
        (120, 80, False),
    ],
)
def test_bp_before_dose_at_or_above_the_limit(systolic, diastolic, alerted):
    alerts = alerts_for(check_blood_pressure(systolic, diastolic, "pre"), AlertContext())
    assert codes(alerts) == ([("bp_high_before_dose", "urgent")] if alerted else [])


def test_bp_after_dose_is_a_warning_and_at_discharge_not_recovered():
    assert codes(alerts_for(check_blood_pressure(180, 95, "post40"))) == [("bp_high_after_dose", "warning")]
    assert alerts_for(check_blood_pressure(179, 109, "post40")) == []
    assert codes(alerts_for(check_blood_pressure(160, 110, "discharge"))) == [("bp_not_recovered", "urgent")]
    assert alerts_for(check_blood_pressure(179, 109, "discharge")) == []


def test_bp_limit_is_configurable():
    context = AlertContext(bp_limit=BpLimit(160, 100))
    (alert,) = alerts_for(check_blood_pressure(160, 90, "pre"), context)
    assert alert.code == "bp_high_before_dose"
    assert "160/90" in alert.message and "160/100" in alert.message
    assert alerts_for(check_blood_pressure(159, 99, "pre"), context) == []
    with pytest.raises(MeasurementError) as caught:
        BpLimit(400, 100)
    assert caught.value.field == "systolic"


def test_phq9_worsening_by_five_from_baseline():
    context = AlertContext(baseline_phq9_total=10)
    assert alerts_for(Phq9Result(total=14, item9=0), context) == []
    (alert,) = alerts_for(Phq9Result(total=15, item9=0), context)
    assert (alert.code, alert.severity) == ("phq9_worsening", "warning")
    assert "5 points above" in alert.message and "baseline of 10" in alert.message
    assert alerts_for(Phq9Result(total=3, item9=0), context) == []
    assert alerts_for(Phq9Result(total=27, item9=0), AlertContext()) == []  # no baseline, nothing to compare


def test_urgent_alerts_come_first():
    alerts = alerts_for(Phq9Result(total=20, item9=2), AlertContext(baseline_phq9_total=12))
    assert codes(alerts) == [("phq9_item9", "urgent"), ("phq9_worsening", "warning")]


def test_other_instruments_raise_no_alerts():
    assert alerts_for(Gad7Result(21)) == []
    assert alerts_for(Sedation(0)) == []
    assert alerts_for(Dissociation(92)) == []
    with pytest.raises(TypeError):
        alerts_for("phq9")  # type: ignore[arg-type]


def test_alert_messages_give_the_values_and_the_next_step():
    phq9 = alerts_for(Phq9Result(total=20, item9=2), AlertContext(baseline_phq9_total=12))
    bp = alerts_for(check_blood_pressure(190, 120, "pre"))
    assert [a.message for a in phq9] == [
        "PHQ-9 item 9 (thoughts of self-harm) scored 2 of 3: assess suicide risk before the patient doses "
        "or leaves.",
        "PHQ-9 total 20 is 8 points above the series baseline of 12: review the treatment plan.",
    ]
    assert bp[0].message.startswith("Blood pressure 190/120 mmHg before the dose")
    assert "180/110" in bp[0].message


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


def test_rems_monitoring_form_within_seven_days():
    key = "rems_monitoring_form@1"
    form = item(plan_items(series(), [], [], at(FIRST_DAY, 9)), key)
    assert form.due_at == at(FIRST_DAY, 11, 30)
    # seven days on the local clocks, across the spring-forward change of 14 March
    assert form.deadline == at(date(2027, 3, 15), 11, 30)
    assert form.deadline - form.due_at == timedelta(days=7, hours=-1)
    assert status_at(key, at(FIRST_DAY, 11, 29)) == "upcoming"
    assert status_at(key, at(FIRST_DAY, 11, 30)) == "due"
    assert status_at(key, at(date(2027, 3, 15), 11, 30)) == "due"
    assert status_at(key, at(date(2027, 3, 15), 11, 31)) == "overdue"
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
    assert item_status(due - timedelta(days=1), due, deadline, deadline + timedelta(days=1)) == "done"


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


# --- response and remission -------------------------------------------------------------------------------


def day(n: int) -> datetime:
    return at(FIRST_DAY + timedelta(days=n), 9)


def test_response_is_a_drop_of_at_least_half():
    summary = response_status([(day(0), 20), (day(7), 14), (day(28), 10)])
    assert (summary.baseline, summary.latest, summary.change) == (20, 10, -10)
    assert summary.percent_change == -50.0
    assert summary.response is True  # exactly half counts
    assert summary.remission is False  # 10 is not below 10
    assert response_status([(day(0), 20), (day(28), 11)]).response is False


def test_remission_is_latest_below_ten():
    summary = response_status([(day(0), 15), (day(28), 9)])
    assert (summary.remission, summary.response) == (True, False)
    assert summary.percent_change == -40.0


def test_trend_sorts_by_time_and_reports_worsening():
    summary = response_status([(day(28), 22), (day(0), 12), (day(7), 5)])
    assert (summary.baseline, summary.latest, summary.change, summary.percent_change) == (12, 22, 10, 83.3)
    assert (summary.baseline_at, summary.latest_at) == (day(0), day(28))
    assert not summary.response and not summary.remission


def test_a_baseline_alone_is_neither_response_nor_remission():
    summary = response_status([(day(0), 4)])
    assert (summary.change, summary.percent_change, summary.response, summary.remission) == (
        0,
        0.0,
        False,
        False,
    )
    zero = response_status([(day(0), 0), (day(7), 0)])
    assert (zero.percent_change, zero.response, zero.remission) == (None, False, True)


@pytest.mark.parametrize(
    ("totals", "field"),
    [
        ([], "phq9_totals"),
        ([(day(0), 28)], "phq9_totals[0]"),
        ([(day(0), 10), (datetime(2027, 3, 9), 5)], "phq9_totals[1]"),
        ([(day(0), 10), (day(1),)], "phq9_totals[1]"),
    ],
)
def test_trend_validation(totals, field):
    with pytest.raises(MeasurementError) as caught:
        response_status(totals)
    assert caught.value.field == field
