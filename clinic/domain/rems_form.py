"""The REMS Patient Monitoring Form of one esketamine session, filled from what the session recorded.

The form is built from plain facts (the dose, check-in and discharge times, the current measurements of the
visit, the overrides taken at discharge and the submission) so the API, the printable page and the queue show
the same fields. The session date is the local date of the dose (of the scheduled start while no dose is
recorded); the form is due by that date plus 7 days. Sedation is observed when a MOAA/S after the dose is
under 5, and resolved when the last one is 5 again; dissociation is observed when a CADSS total after the dose
is above 0, and resolved when the last one is 0. Nothing records a serious adverse event yet, so without a
description the answer is "no". `missing` names every field the form still needs before it can be submitted.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from clinic.domain.localtime import require_aware

DUE_DAYS = 7
AWAKE_MOAAS = 5
DEFAULT_BP_TIMEPOINTS = ("pre", "post40", "discharge")


class RemsFormStatus(StrEnum):
    """Where a session's form stands: to send by its due date, late, or sent."""

    DUE = "due"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class SessionReading:
    """A current (not superseded) in-visit measurement as the form reads it."""

    instrument: str
    recorded_at: datetime
    timepoint: str | None = None
    systolic: int | None = None
    diastolic: int | None = None
    moaas: int | None = None
    cadss_total: int | None = None


@dataclass(frozen=True)
class FormFacts:
    """Everything the form is filled from, as plain values."""

    timezone: str
    scheduled_start: datetime
    patient: dict
    setting: dict
    prescriber: dict
    checked_in_at: datetime | None = None
    dose_mg: Decimal | None = None
    devices: int | None = None
    lot_number: str | None = None
    dose_given_at: datetime | None = None
    discharged_at: datetime | None = None
    readings: Sequence[SessionReading] = ()
    bp_timepoints: Sequence[str] = DEFAULT_BP_TIMEPOINTS
    counts_devices: bool = True
    discharge_overrides: Sequence[str] = ()
    discharge_override_reason: str | None = None
    serious_adverse_event: str | None = None
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    confirmation: str | None = None


@dataclass(frozen=True)
class BloodPressureEntry:
    timepoint: str
    systolic: int
    diastolic: int
    recorded_at: datetime


@dataclass(frozen=True)
class Observation:
    """Whether a sedation or dissociation was observed after the dose (None: not assessed) and, when it
    was, whether it resolved before discharge."""

    assessed: bool
    observed: bool | None
    resolved: bool | None


@dataclass(frozen=True)
class RemsFormData:
    """The form's fields; instants are aware UTC datetimes, dates are local to the setting."""

    session_date: date
    patient: dict
    setting: dict
    prescriber: dict
    dose_mg: Decimal | None
    devices: int | None
    lot_number: str | None
    checked_in_at: datetime | None
    monitoring_started_at: datetime | None
    discharged_at: datetime | None
    monitoring_minutes: int | None
    blood_pressure: list[BloodPressureEntry]
    sedation: Observation
    dissociation: Observation
    serious_adverse_event: bool
    serious_adverse_event_description: str | None
    discharge_overrides: list[str]
    discharge_override_reason: str | None
    due_by: date
    missing: list[str]
    submitted_at: datetime | None
    submitted_by: str | None
    confirmation: str | None
    status: RemsFormStatus
    days_left: int
    timezone: str = field(default="UTC")

    @property
    def complete(self) -> bool:
        return not self.missing


def _after_dose(readings: Sequence[SessionReading], instrument: str, dose_at: datetime | None):
    chosen = [
        r for r in readings if r.instrument == instrument and (dose_at is None or r.recorded_at >= dose_at)
    ]
    return sorted(chosen, key=lambda r: r.recorded_at)


def _observation(readings: list[SessionReading], value, present) -> Observation:
    values = [value(r) for r in readings if value(r) is not None]
    if not values:
        return Observation(False, None, None)
    observed = any(present(v) for v in values)
    return Observation(True, observed, (not present(values[-1])) if observed else None)


def rems_form_due_by(session_date: date) -> date:
    """The last local day the REMS monitoring form of a session held on `session_date` is on time."""
    return session_date + timedelta(days=DUE_DAYS)


def form_status(due_by: date, submitted_at: datetime | None, today: date) -> RemsFormStatus:
    """Submitted once sent; else due up to and including `due_by` (a local date), overdue after it."""
    if submitted_at is not None:
        return RemsFormStatus.SUBMITTED
    return RemsFormStatus.OVERDUE if today > due_by else RemsFormStatus.DUE


def build_rems_form(facts: FormFacts, now: datetime) -> RemsFormData:
    """The REMS monitoring form of a session from its facts at `now` (for the status and days left)."""
    now = require_aware(now, "now")
    zone = ZoneInfo(facts.timezone)
    dose_at = facts.dose_given_at
    day_of = dose_at or require_aware(facts.scheduled_start, "scheduled_start")
    session_date = day_of.astimezone(zone).date()
    due_by = rems_form_due_by(session_date)
    readings = list(facts.readings)

    blood_pressure = [
        BloodPressureEntry(r.timepoint or "", r.systolic, r.diastolic, r.recorded_at)
        for r in sorted(readings, key=lambda r: r.recorded_at)
        if r.instrument == "bp" and r.systolic is not None and r.diastolic is not None
    ]
    sedation = _observation(
        _after_dose(readings, "sedation", dose_at), lambda r: r.moaas, lambda v: v < AWAKE_MOAAS
    )
    dissociation = _observation(
        _after_dose(readings, "dissociation", dose_at), lambda r: r.cadss_total, lambda v: v > 0
    )
    minutes = None
    if dose_at is not None and facts.discharged_at is not None:
        minutes = max(0, int((facts.discharged_at - dose_at).total_seconds() // 60))

    missing = []
    if facts.dose_mg is None:
        missing.append("dose_mg")
    if facts.counts_devices and facts.devices is None:
        missing.append("devices")
    if not (facts.lot_number or "").strip():
        missing.append("lot_number")
    if dose_at is None:
        missing.append("monitoring_started_at")
    if facts.discharged_at is None:
        missing.append("discharged_at")
    recorded = {entry.timepoint for entry in blood_pressure}
    missing += [f"blood_pressure.{t}" for t in facts.bp_timepoints if t not in recorded]
    if not sedation.assessed:
        missing.append("sedation")
    if not dissociation.assessed:
        missing.append("dissociation")

    today = now.astimezone(zone).date()
    description = (facts.serious_adverse_event or "").strip() or None
    return RemsFormData(
        session_date=session_date,
        patient=facts.patient,
        setting=facts.setting,
        prescriber=facts.prescriber,
        dose_mg=facts.dose_mg,
        devices=facts.devices,
        lot_number=facts.lot_number,
        checked_in_at=facts.checked_in_at,
        monitoring_started_at=dose_at,
        discharged_at=facts.discharged_at,
        monitoring_minutes=minutes,
        blood_pressure=blood_pressure,
        sedation=sedation,
        dissociation=dissociation,
        serious_adverse_event=description is not None,
        serious_adverse_event_description=description,
        discharge_overrides=list(facts.discharge_overrides),
        discharge_override_reason=facts.discharge_override_reason if facts.discharge_overrides else None,
        due_by=due_by,
        missing=missing,
        submitted_at=facts.submitted_at,
        submitted_by=facts.submitted_by,
        confirmation=facts.confirmation,
        status=form_status(due_by, facts.submitted_at, today),
        days_left=(due_by - today).days,
        timezone=facts.timezone,
    )
