"""Alerts: the alerts a measurement raises, their severity and their messages."""

import pytest

from clinic.domain.monitoring import (
    AlertContext,
    BpLimit,
    Dissociation,
    Gad7Result,
    MeasurementError,
    Phq9Result,
    Sedation,
    alerts_for,
    check_blood_pressure,
    score_phq9,
)


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
