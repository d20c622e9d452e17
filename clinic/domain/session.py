"""The dosing session: the dose, the checks due relative to it, and the rules a discharge must meet.

A dosing visit is checked in, its dose recorded (`given_at`, mg, devices, lot), then monitored: the protocol's
checks (`SessionRules.checks`) fall due relative to the dose, and the patient may go home once
- the dose is recorded (`dose_not_recorded`),
- the protocol's minimum monitoring after the dose has passed (`monitoring_incomplete`),
- every check is recorded (`checks_missing`),
- the last blood pressure after the dose is at or under the discharge limit and the last MOAA/S after it is
  at or above the minimum (`vitals_out_of_range`; a reading strictly above 160/100 blocks by default and
  makes a `bp_recheck` due every 15 minutes until one is back under),
- the escort taking the patient home is verified at the desk (`escort_not_verified`).
The escort rule is the front desk's; the others are clinical (only a provider may override them).
Before the dose, a blood pressure above the protocol's confirmation limit (140/90) holds the dose until the
prescriber confirms it (`prescriber_confirmation_needed`).

A check counts when a current (not superseded) measurement of its instrument, and for blood pressure of its
timepoint, is recorded for the visit; checks due after the dose count only when recorded after it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from clinic.domain.localtime import require_aware
from clinic.domain.protocols import CheckTime, ProtocolSpec, SessionCheck, SessionRules
from clinic.domain.transport import discharge_refusal
from clinic.domain.visits import Broken, SessionInputError, VisitStatus

# The discharge check is due this long before the end of the minimum monitoring.
DISCHARGE_CHECK_LEAD = timedelta(minutes=15)
DOSE_MG_PLACES = Decimal("0.1")
CLINICAL_RULES = frozenset(
    {"dose_not_recorded", "monitoring_incomplete", "checks_missing", "vitals_out_of_range"}
)
ESCORT_RULE = "escort_not_verified"


@dataclass(frozen=True)
class DoseInput:
    """A dose as staff enter it; `correction_reason` is needed when it corrects the dose recorded before."""

    dose_mg: Decimal | int | float
    lot_number: str
    devices: int | None = None
    given_at: datetime | None = None
    correction_reason: str | None = None
    # Who confirmed the dose when the blood pressure before it was above the confirmation limit.
    prescriber_confirmation: str | None = None


@dataclass(frozen=True)
class DoseEntry:
    """A dose as checked: mg, devices (None when the protocol does not count them), lot and when given."""

    dose_mg: Decimal
    devices: int | None
    lot_number: str
    given_at: datetime


def check_dose(
    rules: SessionRules,
    dose_mg: Decimal | int | float,
    devices: int | None,
    lot_number: str,
    given_at: datetime | None,
    checked_in_at: datetime,
    now: datetime,
) -> DoseEntry:
    """The dose as the protocol allows it; SessionInputError names the first bad field.

    `given_at` defaults to `now`; it may be neither in the future nor before check-in. With a device size
    (Spravato: 28 mg) the devices default to dose / size and must equal it when given.
    """
    now = require_aware(now, "now")
    checked_in_at = require_aware(checked_in_at, "checked_in_at")
    given = now if given_at is None else require_aware(given_at, "given_at")
    if given > now:
        raise SessionInputError("given_at", "The dose cannot be recorded as given in the future")
    if given < checked_in_at:
        raise SessionInputError("given_at", "The dose cannot be given before the patient was checked in")
    mg = _mg(dose_mg)
    if rules.dose_mg_options and mg not in rules.dose_mg_options:
        allowed = ", ".join(str(option) for option in rules.dose_mg_options)
        raise SessionInputError("dose_mg", f"This protocol allows {allowed} mg")
    if not rules.dose_mg_min <= mg <= rules.dose_mg_max:
        raise SessionInputError(
            "dose_mg", f"Must be between {rules.dose_mg_min} and {rules.dose_mg_max} mg for this protocol"
        )
    counted = _devices(rules, mg, devices)
    lot = (lot_number or "").strip()
    if not lot:
        raise SessionInputError("lot_number", "Give the lot number of the medicine")
    return DoseEntry(mg, counted, lot, given)


def _mg(value: Decimal | int | float) -> Decimal:
    if isinstance(value, bool):
        raise SessionInputError("dose_mg", "Must be a number of mg")
    try:
        mg = Decimal(str(value))
    except InvalidOperation:
        raise SessionInputError("dose_mg", "Must be a number of mg") from None
    if not mg.is_finite() or mg <= 0:
        raise SessionInputError("dose_mg", "Must be a positive number of mg")
    if mg != mg.quantize(DOSE_MG_PLACES):
        raise SessionInputError("dose_mg", "Give the dose to at most one decimal place")
    return mg.quantize(DOSE_MG_PLACES)


def _devices(rules: SessionRules, mg: Decimal, devices: int | None) -> int | None:
    if rules.mg_per_device is None:
        if devices is not None and devices < 1:
            raise SessionInputError("devices", "Must be at least 1")
        return devices
    needed = mg / rules.mg_per_device
    if needed != needed.to_integral_value():
        raise SessionInputError("dose_mg", f"Must be a whole number of {rules.mg_per_device} mg devices")
    if devices is not None and devices != int(needed):
        raise SessionInputError(
            "devices", f"{mg.normalize()} mg is {int(needed)} device(s) of {rules.mg_per_device} mg"
        )
    return int(needed)


@dataclass(frozen=True)
class Reading:
    """A current measurement of the visit, as the session rules read it."""

    instrument: str
    timepoint: str | None
    recorded_at: datetime
    systolic: int | None = None
    diastolic: int | None = None
    moaas: int | None = None


@dataclass(frozen=True)
class CheckState:
    """A check of the session: when it is due (None until the dose fixes it) and when it was done."""

    check: SessionCheck
    due_at: datetime | None
    done_at: datetime | None

    @property
    def name(self) -> str:
        return self.check.name

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at is not None and self.due_at < now


def _matches(check: SessionCheck, reading: Reading, dose_at: datetime | None) -> bool:
    if reading.instrument != check.instrument:
        return False
    if check.timepoint is not None:
        return reading.timepoint == check.timepoint
    return check.when is CheckTime.BEFORE_DOSE or (dose_at is not None and reading.recorded_at >= dose_at)


def check_due_at(
    check: SessionCheck, checked_in_at: datetime | None, dose_at: datetime | None, monitoring_minutes: int
) -> datetime | None:
    """When a check falls due: at check-in before the dose; after the dose relative to it; the discharge
    check 15 minutes before the minimum monitoring ends."""
    if check.when is CheckTime.BEFORE_DOSE:
        return checked_in_at
    if dose_at is None:
        return None
    if check.when is CheckTime.AFTER_DOSE:
        return dose_at + timedelta(minutes=check.minutes_after_dose)
    return max(dose_at, dose_at + timedelta(minutes=monitoring_minutes) - DISCHARGE_CHECK_LEAD)


# The check a blood pressure after the dose above the discharge limit makes due (see `session_checks`).
BP_RECHECK = SessionCheck("bp_recheck", "bp", "discharge", CheckTime.AFTER_DOSE)


def _above(reading: Reading, systolic: int, diastolic: int) -> bool:
    return (reading.systolic or 0) > systolic or (reading.diastolic or 0) > diastolic


def session_checks(
    spec: ProtocolSpec, checked_in_at: datetime | None, dose_at: datetime | None, readings: Iterable[Reading]
) -> list[CheckState]:
    """Every check of the protocol with its due time and the first reading that satisfies it.

    While the last blood pressure after the dose is above the discharge limit, a `bp_recheck` is due the
    protocol's `recheck_minutes` after it (every 15 minutes by default) until a reading is back under it.
    """
    readings = sorted(readings, key=lambda r: r.recorded_at)
    states = []
    for check in spec.rules.checks:
        done = next((r.recorded_at for r in readings if _matches(check, r, dose_at)), None)
        states.append(
            CheckState(check, check_due_at(check, checked_in_at, dose_at, spec.monitoring_minutes), done)
        )
    rules = spec.rules
    last = _last(readings, "bp", dose_at) if dose_at is not None else None
    if last is not None and _above(last, rules.discharge_max_systolic, rules.discharge_max_diastolic):
        states.append(
            CheckState(BP_RECHECK, last.recorded_at + timedelta(minutes=rules.recheck_minutes), None)
        )
    return states


def pre_dose_bp_refusal(rules: SessionRules, readings: Sequence[Reading]) -> Broken | None:
    """Why the dose waits for the prescriber (None when it need not): the last blood pressure before the
    dose is above the protocol's confirmation limit (140/90 by default)."""
    before = [r for r in readings if r.instrument == "bp" and r.timepoint == "pre"]
    if not before:
        return None
    last = max(before, key=lambda r: r.recorded_at)
    if not _above(last, rules.confirm_dose_above_systolic, rules.confirm_dose_above_diastolic):
        return None
    return Broken(
        "prescriber_confirmation_needed",
        f"The blood pressure before the dose, {last.systolic}/{last.diastolic}, is above "
        f"{rules.confirm_dose_above_systolic}/{rules.confirm_dose_above_diastolic}: the prescriber confirms "
        "before the dose is given (say who confirmed in prescriber_confirmation)",
    )


def monitoring_until(spec: ProtocolSpec, dose_at: datetime | None) -> datetime | None:
    """The earliest discharge: the dose plus the protocol's minimum monitoring."""
    return None if dose_at is None else dose_at + timedelta(minutes=spec.monitoring_minutes)


@dataclass(frozen=True)
class SessionFacts:
    """What the discharge rules read about one dosing visit."""

    checked_in_at: datetime | None
    dose_at: datetime | None
    readings: Sequence[Reading]
    needs_ride: bool
    ride_status: str | None


def _last(readings: Sequence[Reading], instrument: str, dose_at: datetime) -> Reading | None:
    after = [r for r in readings if r.instrument == instrument and r.recorded_at >= dose_at]
    return max(after, key=lambda r: r.recorded_at) if after else None


def vitals_out_of_range(rules: SessionRules, readings: Sequence[Reading], dose_at: datetime) -> list[str]:
    """Why the vital signs after the dose keep the patient in the chair (empty when within the limits)."""
    problems = []
    bp = _last(readings, "bp", dose_at)
    if bp is not None and _above(bp, rules.discharge_max_systolic, rules.discharge_max_diastolic):
        problems.append(
            f"The last blood pressure {bp.systolic}/{bp.diastolic} is above the discharge limit "
            f"{rules.discharge_max_systolic}/{rules.discharge_max_diastolic}: re-check it every "
            f"{rules.recheck_minutes} minutes"
        )
    sedation = _last(readings, "sedation", dose_at)
    if (
        sedation is not None
        and (sedation.moaas if sedation.moaas is not None else 5) < rules.discharge_min_moaas
    ):
        problems.append(
            f"The last MOAA/S is {sedation.moaas}: wait until it is {rules.discharge_min_moaas} again"
        )
    return problems


def discharge_broken(
    spec: ProtocolSpec, facts: SessionFacts, now: datetime, checks: Sequence[CheckState] | None = None
) -> list[Broken]:
    """Every rule a discharge of a dosing visit at `now` breaks, in a stable order (empty: may go home).

    `checks` are the session's checks when the caller has them already (`session_checks` of the same spec
    and facts), so a board showing them does not work them out twice.
    """
    now = require_aware(now, "now")
    broken: list[Broken] = []
    if facts.dose_at is None:
        broken.append(Broken("dose_not_recorded", "The dose of this visit is not recorded"))
    else:
        until = monitoring_until(spec, facts.dose_at)
        if until is not None and now < until:
            minutes = -(-int((until - now).total_seconds()) // 60)
            broken.append(
                Broken(
                    "monitoring_incomplete",
                    f"The patient is monitored for {spec.monitoring_minutes} minutes after the dose "
                    f"({minutes} more)",
                )
            )
    if checks is None:
        checks = session_checks(spec, facts.checked_in_at, facts.dose_at, facts.readings)
    missing = [
        s.name
        for s in checks
        if not s.done_at and s.check is not BP_RECHECK  # a re-check is what vitals_out_of_range asks for
    ]
    if missing:
        broken.append(Broken("checks_missing", "Not recorded yet: " + ", ".join(missing)))
    if facts.dose_at is not None:
        problems = vitals_out_of_range(spec.rules, facts.readings, facts.dose_at)
        if problems:
            broken.append(Broken("vitals_out_of_range", "; ".join(problems)))
    escort = discharge_refusal(facts.needs_ride, facts.ride_status)
    if escort:
        broken.append(Broken(ESCORT_RULE, escort))
    return broken


def measurement_refusal(
    is_dose: bool, status: VisitStatus, start: datetime, now: datetime, opens_before: timedelta
) -> Broken | None:
    """Why a measurement cannot be recorded at the visit yet (None when it can).

    A dosing visit is measured once checked in (and after, to complete its record); another visit from
    `opens_before` its start (a questionnaire in the waiting room); never a cancelled visit.
    """
    if status is VisitStatus.CANCELLED:
        return Broken("visit_not_started", "The visit was cancelled: nothing is measured at it")
    if is_dose:
        return None if status.dose_given else _not_started("once the patient is checked in")
    if require_aware(now, "now") < require_aware(start, "start") - opens_before:
        minutes = int(opens_before.total_seconds() // 60)
        return _not_started(f"from {minutes} minutes before the visit starts")
    return None


def _not_started(when: str) -> Broken:
    return Broken("visit_not_started", f"Measurements at this visit are recorded {when}")
