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
from clinic.domain.protocols import SessionRules


def codes(alerts):
    return [(a.code, a.severity) for a in alerts]


def test_phq9_item9_above_zero_is_urgent():
    assert alerts_for(score_phq9([1] * 8 + [0])) == []
    (alert,) = alerts_for(score_phq9([0] * 8 + [1]))
    assert (alert.code, alert.severity) == ("phq9_item9", "urgent")
    assert "item 9" in alert.message and "1 of 3" in alert.message


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (140, 90, []),  # at the confirmation limit: dose as planned
        (141, 90, [("bp_confirm_before_dose", "warning")]),
        (120, 91, [("bp_confirm_before_dose", "warning")]),
        (179, 109, [("bp_confirm_before_dose", "warning")]),
        (180, 100, [("bp_high_before_dose", "urgent")]),  # the urgent limit itself counts as high
        (170, 110, [("bp_high_before_dose", "urgent")]),
        (180, 110, [("bp_high_before_dose", "urgent")]),
        (200, 90, [("bp_high_before_dose", "urgent")]),
        (150, 115, [("bp_high_before_dose", "urgent")]),
        (120, 80, []),
    ],
)
def test_bp_before_dose_asks_the_prescriber_above_140_90_and_is_urgent_from_180_110(
    systolic, diastolic, expected
):
    alerts = alerts_for(check_blood_pressure(systolic, diastolic, "pre"), AlertContext())
    assert codes(alerts) == expected


@pytest.mark.parametrize("timepoint", ["post40", "discharge"])
def test_bp_after_dose_above_160_100_asks_for_rechecks_and_from_180_110_is_urgent(timepoint):
    assert alerts_for(check_blood_pressure(160, 100, timepoint)) == []
    (recheck,) = alerts_for(check_blood_pressure(161, 95, timepoint))
    assert (recheck.code, recheck.severity) == ("bp_recheck", "warning")
    assert "161/95" in recheck.message and "every 15 minutes" in recheck.message
    assert codes(alerts_for(check_blood_pressure(150, 101, timepoint))) == [("bp_recheck", "warning")]
    urgent = "bp_high_after_dose" if timepoint == "post40" else "bp_not_recovered"
    assert codes(alerts_for(check_blood_pressure(180, 95, timepoint))) == [(urgent, "urgent")]
    assert codes(alerts_for(check_blood_pressure(160, 110, timepoint))) == [(urgent, "urgent")]


def test_moaas_of_three_or_less_is_urgent():
    assert alerts_for(Sedation(moaas=4)) == []
    (alert,) = alerts_for(Sedation(moaas=3))
    assert (alert.code, alert.severity) == ("sedation_deep", "urgent")
    assert "MOAA/S 3" in alert.message and "until it is 5" in alert.message
    assert codes(alerts_for(Sedation(moaas=0))) == [("sedation_deep", "urgent")]


def test_the_vital_sign_numbers_are_the_protocols_session_rules():
    stricter = SessionRules(
        confirm_dose_above_systolic=130,
        confirm_dose_above_diastolic=85,
        discharge_max_systolic=150,
        discharge_max_diastolic=95,
        recheck_minutes=10,
        urgent_systolic=170,
        urgent_diastolic=105,
        alert_moaas_at_or_below=2,
    )
    context = AlertContext.of(stricter)
    assert codes(alerts_for(check_blood_pressure(135, 80, "pre"), context)) == [
        ("bp_confirm_before_dose", "warning")
    ]
    (recheck,) = alerts_for(check_blood_pressure(155, 90, "post40"), context)
    assert recheck.code == "bp_recheck" and "every 10 minutes" in recheck.message
    (urgent,) = alerts_for(check_blood_pressure(170, 90, "post40"), context)
    assert urgent.severity == "urgent" and "170/105" in urgent.message
    assert alerts_for(Sedation(moaas=3), context) == []
    assert codes(alerts_for(Sedation(moaas=2), context)) == [("sedation_deep", "urgent")]


def test_bp_limit_is_configurable():
    context = AlertContext(bp_limit=BpLimit(160, 100))
    (alert,) = alerts_for(check_blood_pressure(160, 90, "pre"), context)
    assert alert.code == "bp_high_before_dose"
    assert "160/90" in alert.message and "160/100" in alert.message
    assert alerts_for(check_blood_pressure(140, 90, "pre"), context) == []
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
    assert alerts_for(Sedation(4)) == []
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
