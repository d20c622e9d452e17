"""The dosing session's rules: the dose against the protocol, the checks due from it, and discharge."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from clinic.domain.protocols import (
    BUILTIN_PROTOCOLS,
    ProtocolError,
    SessionRules,
    protocol_from_dict,
    protocol_to_dict,
)
from clinic.domain.session import (
    Reading,
    SessionFacts,
    check_dose,
    discharge_broken,
    measurement_refusal,
    monitoring_until,
    pre_dose_bp_refusal,
    session_checks,
)
from clinic.domain.visits import SessionInputError, VisitStatus

SPRAVATO = BUILTIN_PROTOCOLS["spravato-induction"]
IV = BUILTIN_PROTOCOLS["iv-ketamine-booster"]
CHECKED_IN = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
DOSE = CHECKED_IN + timedelta(minutes=15)


def minutes(n: float) -> datetime:
    return DOSE + timedelta(minutes=n)


def bp(timepoint: str, at: datetime, systolic: int = 128, diastolic: int = 82) -> Reading:
    return Reading("bp", timepoint, at, systolic=systolic, diastolic=diastolic)


def every_check(discharge_bp=(124, 80), moaas: int = 5) -> list[Reading]:
    return [
        bp("pre", CHECKED_IN + timedelta(minutes=5)),
        bp("post40", minutes(40), 140, 90),
        Reading("sedation", None, minutes(45), moaas=moaas),
        Reading("dissociation", None, minutes(45)),
        bp("discharge", minutes(110), *discharge_bp),
    ]


def facts(readings, dose_at=DOSE, ride="verified") -> SessionFacts:
    return SessionFacts(CHECKED_IN, dose_at, tuple(readings), needs_ride=True, ride_status=ride)


def codes(broken) -> list[str]:
    return [b.code for b in broken]


# --- the dose ------------------------------------------------------------------------------------


def dose(rules=SPRAVATO.rules, mg=56, devices=None, given_at=None, now=DOSE, lot="LOT-1"):
    return check_dose(rules, mg, devices, lot, given_at, CHECKED_IN, now)


def test_a_spravato_dose_is_28_56_or_84_mg_with_one_device_per_28_mg():
    for mg, devices in ((28, 1), (56, 2), (84, 3)):
        entry = dose(mg=mg)
        assert (entry.dose_mg, entry.devices, entry.lot_number) == (Decimal(mg), devices, "LOT-1")
    assert dose(mg=84, devices=3).devices == 3
    for bad in (42, 112, 0, -28, 56.5):
        with pytest.raises(SessionInputError) as error:
            dose(mg=bad)
        assert error.value.field == "dose_mg"
    with pytest.raises(SessionInputError) as error:
        dose(mg=56, devices=3)
    assert error.value.field == "devices"
    assert "2 device(s)" in error.value.message


def test_an_iv_dose_is_a_positive_mg_within_the_protocols_range():
    assert dose(IV.rules, mg=37.5).dose_mg == Decimal("37.5")
    assert dose(IV.rules, mg=35).devices is None
    for bad in (0, -5, 201, 37.55, float("nan"), True):
        with pytest.raises(SessionInputError) as error:
            dose(IV.rules, mg=bad)
        assert error.value.field == "dose_mg"
    narrow = SessionRules(dose_mg_min=20, dose_mg_max=60)
    with pytest.raises(SessionInputError, match="between 20 and 60"):
        dose(narrow, mg=80)


def test_given_at_defaults_to_now_and_is_never_future_nor_before_check_in():
    assert dose(now=minutes(3)).given_at == minutes(3)
    assert dose(given_at=CHECKED_IN, now=minutes(3)).given_at == CHECKED_IN
    for bad in (minutes(3) + timedelta(seconds=1), CHECKED_IN - timedelta(seconds=1)):
        with pytest.raises(SessionInputError) as error:
            dose(given_at=bad, now=minutes(3))
        assert error.value.field == "given_at"


def test_a_dose_needs_its_lot_number():
    with pytest.raises(SessionInputError) as error:
        dose(lot="  ")
    assert error.value.field == "lot_number"


# --- checks and discharge ------------------------------------------------------------------------


def test_spravato_checks_fall_due_relative_to_the_dose():
    states = {s.name: s for s in session_checks(SPRAVATO, CHECKED_IN, DOSE, [])}
    assert list(states) == ["bp_pre", "bp_post40", "bp_discharge", "sedation", "dissociation"]
    assert states["bp_pre"].due_at == CHECKED_IN
    assert states["bp_post40"].due_at == minutes(40)
    assert states["bp_discharge"].due_at == minutes(105)
    assert states["sedation"].due_at == DOSE
    assert states["bp_post40"].overdue(minutes(41)) and not states["bp_post40"].overdue(minutes(40))
    before_dose = {s.name: s.due_at for s in session_checks(SPRAVATO, CHECKED_IN, None, [])}
    assert before_dose["bp_pre"] == CHECKED_IN and before_dose["bp_post40"] is None
    assert [s.name for s in session_checks(IV, CHECKED_IN, DOSE, [])] == ["bp_pre", "bp_discharge"]


def test_a_complete_session_past_two_hours_may_go_home():
    assert monitoring_until(SPRAVATO, DOSE) == minutes(120)
    assert discharge_broken(SPRAVATO, facts(every_check()), minutes(120)) == []


def test_every_broken_rule_is_listed_at_once():
    broken = discharge_broken(SPRAVATO, facts([], dose_at=None, ride="arranged"), minutes(5))
    assert codes(broken) == ["dose_not_recorded", "checks_missing", "escort_not_verified"]
    broken = discharge_broken(SPRAVATO, facts([every_check()[0]], ride="confirmed"), minutes(30))
    assert codes(broken) == ["monitoring_incomplete", "checks_missing", "escort_not_verified"]
    assert "90 more" in broken[0].message
    assert "bp_post40, bp_discharge, sedation, dissociation" in broken[1].message


def test_monitoring_is_incomplete_until_the_minimum_after_the_dose():
    assert codes(discharge_broken(SPRAVATO, facts(every_check()), minutes(119.9))) == [
        "monitoring_incomplete"
    ]
    assert codes(discharge_broken(IV, facts(every_check()), minutes(60))) == []


def test_a_check_after_the_dose_counts_only_when_recorded_after_it():
    readings = [r for r in every_check() if r.instrument != "sedation"]
    readings.append(Reading("sedation", None, DOSE - timedelta(minutes=1), moaas=5))
    broken = discharge_broken(SPRAVATO, facts(readings), minutes(121))
    assert codes(broken) == ["checks_missing"] and "sedation" in broken[0].message


@pytest.mark.parametrize(
    ("discharge_bp", "moaas", "blocked"),
    [
        ((160, 100), 5, False),  # at the limit: may go
        ((161, 90), 5, True),
        ((150, 101), 5, True),
        ((124, 80), 4, True),
        ((172, 104), 2, True),
    ],
)
def test_vitals_over_the_discharge_limit_or_sedation_not_resolved_block(discharge_bp, moaas, blocked):
    broken = discharge_broken(SPRAVATO, facts(every_check(discharge_bp, moaas)), minutes(121))
    assert codes(broken) == (["vitals_out_of_range"] if blocked else [])


def test_the_last_reading_decides_a_re_check_back_under_the_limit_unblocks():
    readings = [*every_check((172, 104)), bp("discharge", minutes(125), 150, 95)]
    assert discharge_broken(SPRAVATO, facts(readings), minutes(126)) == []
    readings.append(Reading("sedation", None, minutes(126), moaas=3))
    broken = discharge_broken(SPRAVATO, facts(readings), minutes(127))
    assert codes(broken) == ["vitals_out_of_range"] and "MOAA/S is 3" in broken[0].message


@pytest.mark.parametrize(
    "readings",
    [[], every_check()[:1], every_check()[:3], every_check(), every_check((172, 104), 3)],
)
def test_the_checks_a_caller_already_has_give_the_same_discharge_rules(readings):
    for at in (minutes(30), minutes(121)):
        checks = session_checks(SPRAVATO, CHECKED_IN, DOSE, readings)
        assert discharge_broken(SPRAVATO, facts(readings), at, checks) == discharge_broken(
            SPRAVATO, facts(readings), at
        )


def test_a_pre_dose_reading_does_not_count_as_the_last_vitals():
    readings = [bp("pre", CHECKED_IN, 190, 112), *every_check()[1:]]
    assert discharge_broken(SPRAVATO, facts(readings), minutes(121)) == []


def test_a_blood_pressure_after_the_dose_above_the_limit_makes_a_recheck_due_every_15_minutes():
    def rechecks(readings):
        return [
            (c.due_at, c.done_at)
            for c in session_checks(SPRAVATO, CHECKED_IN, DOSE, readings)
            if c.name == "bp_recheck"
        ]

    high = [bp("pre", CHECKED_IN), bp("post40", minutes(40), 172, 104)]
    assert rechecks(high) == [(minutes(55), None)]
    still_high = [*high, bp("post40", minutes(56), 164, 96)]
    assert rechecks(still_high) == [(minutes(71), None)]
    assert rechecks([*still_high, bp("discharge", minutes(72), 158, 96)]) == []  # back under 160/100
    assert rechecks([bp("pre", CHECKED_IN, 190, 112)]) == []  # before the dose: the dose waits instead
    # The discharge rules name the blood pressure once (vitals), not also as a missing check.
    broken = discharge_broken(SPRAVATO, facts(every_check((172, 104))), minutes(121))
    assert codes(broken) == ["vitals_out_of_range"] and "every 15 minutes" in broken[0].message


@pytest.mark.parametrize(
    ("pre", "held"),
    [((140, 90), False), ((141, 80), True), ((130, 91), True), ((182, 112), True)],
)
def test_a_blood_pressure_before_the_dose_above_140_90_holds_the_dose_for_the_prescriber(pre, held):
    readings = [bp("pre", CHECKED_IN + timedelta(minutes=5), *pre)]
    refusal = pre_dose_bp_refusal(SPRAVATO.rules, readings)
    assert (refusal is not None) is held
    if held:
        assert refusal.code == "prescriber_confirmation_needed"
        assert f"{pre[0]}/{pre[1]}" in refusal.message and "140/90" in refusal.message
    # The last pre-dose reading decides: a re-check back under releases the dose.
    recheck = [*readings, bp("pre", CHECKED_IN + timedelta(minutes=12), 132, 84)]
    assert pre_dose_bp_refusal(SPRAVATO.rules, recheck) is None
    assert pre_dose_bp_refusal(SPRAVATO.rules, []) is None


def test_vital_sign_rules_are_validated_against_each_other():
    with pytest.raises(ProtocolError) as error:
        SessionRules(urgent_systolic=150)
    assert error.value.field == "urgent_systolic"
    with pytest.raises(ProtocolError) as error:
        SessionRules(confirm_dose_above_diastolic=120)
    assert error.value.field == "confirm_dose_above_diastolic"
    with pytest.raises(ProtocolError) as error:
        SessionRules(alert_moaas_at_or_below=5)
    assert error.value.field == "alert_moaas_at_or_below"
    with pytest.raises(ProtocolError) as error:
        SessionRules(recheck_minutes=0)
    assert error.value.field == "recheck_minutes"


def test_session_rules_are_protocol_data_that_round_trip_and_are_validated():
    data = protocol_to_dict(SPRAVATO)
    assert data["session"]["dose_mg_options"] == [28, 56, 84]
    assert data["session"]["discharge_max_systolic"] == 160
    assert protocol_from_dict(data) == SPRAVATO
    without = {k: v for k, v in data.items() if k != "session"}
    assert protocol_from_dict(without).rules == SPRAVATO.rules  # stored before: the drug's defaults
    stricter = protocol_from_dict(
        {**data, "session": {"discharge_max_systolic": 150, "check_in_opens_minutes": 30}}
    )
    assert (stricter.rules.discharge_max_systolic, stricter.rules.check_in_opens_minutes) == (150, 30)
    assert stricter.rules.checks == ()
    assert stricter.rules.recheck_minutes == 15 and stricter.rules.urgent_systolic == 180  # defaults
    custom = protocol_from_dict({**data, "session": {**data["session"], "recheck_minutes": 10}})
    assert custom.rules.recheck_minutes == 10 and protocol_to_dict(custom)["session"]["recheck_minutes"] == 10
    with pytest.raises(ProtocolError) as error:
        protocol_from_dict({**data, "session": {"checks": [{"name": "x", "instrument": "phq9"}]}})
    assert error.value.field == "session.checks[0].instrument"
    with pytest.raises(ProtocolError) as error:
        protocol_from_dict({**data, "session": {"dose_mg_options": [100], "dose_mg_max": 84}})
    assert error.value.field == "session.dose_mg_options"


# --- measurements --------------------------------------------------------------------------------

HOUR = timedelta(minutes=60)


@pytest.mark.parametrize(
    ("is_dose", "status", "now", "allowed"),
    [
        (True, VisitStatus.SCHEDULED, CHECKED_IN, False),  # a dosing visit: only once checked in
        (True, VisitStatus.CHECKED_IN, CHECKED_IN, True),
        (True, VisitStatus.COMPLETED, CHECKED_IN + timedelta(days=1), True),
        (True, VisitStatus.CANCELLED, CHECKED_IN, False),
        (False, VisitStatus.SCHEDULED, CHECKED_IN - HOUR, True),  # another visit: from an hour before
        (False, VisitStatus.SCHEDULED, CHECKED_IN - HOUR - timedelta(seconds=1), False),
        (False, VisitStatus.SCHEDULED, CHECKED_IN - timedelta(days=14), False),
        (False, VisitStatus.CANCELLED, CHECKED_IN, False),
    ],
)
def test_measurements_are_recorded_once_the_visit_has_started(is_dose, status, now, allowed):
    refusal = measurement_refusal(is_dose, status, CHECKED_IN, now, HOUR)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.code == "visit_not_started"
