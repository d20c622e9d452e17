"""The floor board: a visit's phase at a frozen `now`, the check due next, the visit a chair shows."""

from datetime import UTC, datetime, timedelta

from clinic.domain.floor import FloorPhase, chair_visit, next_check, visit_phase
from clinic.domain.protocols import BUILTIN_PROTOCOLS
from clinic.domain.session import Reading, SessionFacts, discharge_broken, session_checks
from clinic.domain.visits import VisitStatus

SPRAVATO = BUILTIN_PROTOCOLS["spravato-induction"]
START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=150)
CHECKED_IN = START - timedelta(minutes=10)
DOSE = START + timedelta(minutes=5)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def phase(status, now, *, dose_at=None, completed_at=None, broken=(), is_dose=True):
    return visit_phase(
        status,
        START,
        END,
        is_dose=is_dose,
        dose_at=dose_at,
        completed_at=completed_at,
        rules_broken=list(broken),
        now=now,
    )


def every_check_done() -> list[Reading]:
    return [
        Reading("bp", "pre", CHECKED_IN + timedelta(minutes=2), systolic=128, diastolic=82),
        Reading("bp", "post40", DOSE + timedelta(minutes=40), systolic=138, diastolic=88),
        Reading("sedation", None, DOSE + timedelta(minutes=41), moaas=5),
        Reading("dissociation", None, DOSE + timedelta(minutes=41)),
        Reading("bp", "discharge", DOSE + timedelta(minutes=106), systolic=124, diastolic=80),
    ]


def test_a_booked_visit_arrives_from_an_hour_before_its_start_until_its_end():
    assert phase(VisitStatus.SCHEDULED, at(-61)) is None
    assert phase(VisitStatus.SCHEDULED, at(-60)) is FloorPhase.ARRIVING
    assert phase(VisitStatus.CONFIRMED, at(10)) is FloorPhase.ARRIVING  # late, still expected
    assert phase(VisitStatus.CONFIRMED, END) is FloorPhase.ARRIVING
    assert phase(VisitStatus.CONFIRMED, END + timedelta(seconds=1)) is None


def test_cancelled_and_no_show_visits_are_not_on_the_floor():
    assert phase(VisitStatus.CANCELLED, at(0)) is None
    assert phase(VisitStatus.NO_SHOW, at(0)) is None


def test_checked_in_until_the_dose_then_monitoring_while_a_rule_is_broken():
    assert phase(VisitStatus.CHECKED_IN, at(0), broken=["dose_not_recorded"]) is FloorPhase.CHECKED_IN
    assert (
        phase(VisitStatus.CHECKED_IN, at(30), dose_at=DOSE, broken=["monitoring_incomplete"])
        is FloorPhase.MONITORING
    )


def test_ready_once_every_discharge_rule_is_met():
    facts = SessionFacts(CHECKED_IN, DOSE, tuple(every_check_done()), needs_ride=True, ride_status="verified")
    before = [b.code for b in discharge_broken(SPRAVATO, facts, DOSE + timedelta(minutes=119))]
    assert before == ["monitoring_incomplete"]
    assert phase(VisitStatus.CHECKED_IN, DOSE + timedelta(minutes=119), dose_at=DOSE, broken=before) is (
        FloorPhase.MONITORING
    )
    after = [b.code for b in discharge_broken(SPRAVATO, facts, DOSE + timedelta(minutes=120))]
    assert after == []
    assert phase(VisitStatus.CHECKED_IN, DOSE + timedelta(minutes=120), dose_at=DOSE) is FloorPhase.READY


def test_an_escort_not_verified_keeps_a_monitored_patient_from_ready():
    assert (
        phase(VisitStatus.CHECKED_IN, at(200), dose_at=DOSE, broken=["escort_not_verified"])
        is FloorPhase.MONITORING
    )


def test_a_visit_without_a_dose_is_checked_in_until_its_rules_hold_then_ready():
    assert phase(VisitStatus.CHECKED_IN, at(0), is_dose=False, broken=["escort_not_verified"]) is (
        FloorPhase.CHECKED_IN
    )
    assert phase(VisitStatus.CHECKED_IN, at(0), is_dose=False) is FloorPhase.READY


def test_a_discharged_visit_is_shown_for_15_minutes():
    left = at(130)
    assert phase(VisitStatus.COMPLETED, left, dose_at=DOSE, completed_at=left) is FloorPhase.DISCHARGED
    shown = left + timedelta(minutes=14, seconds=59)
    assert phase(VisitStatus.COMPLETED, shown, dose_at=DOSE, completed_at=left) is FloorPhase.DISCHARGED
    gone = left + timedelta(minutes=15)
    assert phase(VisitStatus.COMPLETED, gone, dose_at=DOSE, completed_at=left) is None


def test_the_next_check_is_the_earliest_not_done_and_overdue_once_its_time_passed():
    readings = every_check_done()[:1]  # the pre-dose BP only
    checks = session_checks(SPRAVATO, CHECKED_IN, DOSE, readings)
    due = next_check(checks, DOSE + timedelta(minutes=1))
    assert due is not None and due.name in {"sedation", "dissociation"}  # due at the dose
    assert due.due_at == DOSE and due.overdue

    checks = session_checks(SPRAVATO, CHECKED_IN, DOSE, every_check_done()[:4])
    due = next_check(checks, DOSE + timedelta(minutes=104))
    assert (due.name, due.due_at, due.overdue) == ("bp_discharge", DOSE + timedelta(minutes=105), False)
    due = next_check(checks, DOSE + timedelta(minutes=106))
    assert due.overdue


def test_before_the_dose_the_next_check_is_the_pre_dose_bp():
    checks = session_checks(SPRAVATO, CHECKED_IN, None, [])
    due = next_check(checks, CHECKED_IN)
    assert (due.name, due.due_at, due.overdue) == ("bp_pre", CHECKED_IN, False)


def test_no_next_check_once_every_check_is_done():
    assert next_check(session_checks(SPRAVATO, CHECKED_IN, DOSE, every_check_done()), at(200)) is None


def test_a_chair_shows_the_patient_in_it_before_the_next_arrival_before_the_last_one_gone():
    arriving = (FloorPhase.ARRIVING, at(60), 2)
    seated = (FloorPhase.MONITORING, at(0), 1)
    gone = (FloorPhase.DISCHARGED, at(-150), 3)
    assert chair_visit([gone, arriving, seated]) == 1
    assert chair_visit([gone, arriving]) == 2
    assert chair_visit([gone]) == 3
    assert chair_visit([]) is None
    assert chair_visit([(FloorPhase.ARRIVING, at(90), 5), (FloorPhase.ARRIVING, at(30), 4)]) == 4
