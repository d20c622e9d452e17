"""Alerts for dangerous measurement values, for the patient's provider.

The numbers are the protocol's session rules (`SessionRules`, editable per clinic protocol), by default:
- a blood pressure AT or above 180/110 (systolic OR diastolic) is `urgent` at every timepoint: before the
  dose hold it, after the dose the prescriber assesses now, at discharge do not discharge. The limit is the
  first unsafe value, not the last safe one;
- before the dose, a reading above 140/90 asks the prescriber to confirm before dosing (`warning`; the dose
  itself waits for that confirmation, see clinic.domain.session);
- after the dose, a reading above the discharge limit 160/100 makes a re-check due every 15 minutes
  (`warning`; discharge waits until it is back under);
- a MOAA/S of 3 or less is `urgent` (discharge waits until it is 5 again);
- PHQ-9 item 9 above 0 is `urgent`; a PHQ-9 total 5 or more above the series baseline a `warning`.
Messages give the value and the next step; they never name the patient or carry another patient's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clinic.domain.monitoring.measurements import (
    DIASTOLIC_RANGE,
    PHQ9_MAX,
    SYSTOLIC_RANGE,
    BloodPressure,
    Dissociation,
    Gad7Result,
    Measurement,
    Phq9Result,
    Sedation,
    _int_in,
)
from clinic.domain.protocols import SessionRules


class AlertSeverity(StrEnum):
    """How soon a provider must act on an alert, the most urgent first."""

    URGENT = "urgent"
    WARNING = "warning"


ALERT_SEVERITIES = tuple(AlertSeverity)

_DEFAULTS = SessionRules()
DEFAULT_BP_LIMIT = (_DEFAULTS.urgent_systolic, _DEFAULTS.urgent_diastolic)
WORSENING_POINTS = 5


@dataclass(frozen=True)
class BpLimit:
    """The clinic's blood pressure limit; a reading at or above either part is high."""

    systolic: int = DEFAULT_BP_LIMIT[0]
    diastolic: int = DEFAULT_BP_LIMIT[1]

    def __post_init__(self) -> None:
        _int_in(self.systolic, "systolic", *SYSTOLIC_RANGE)
        _int_in(self.diastolic, "diastolic", *DIASTOLIC_RANGE)

    def reached_by(self, reading: BloodPressure) -> bool:
        """True when the reading is at or above the systolic OR the diastolic limit."""
        return reading.systolic >= self.systolic or reading.diastolic >= self.diastolic

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True)
class AlertContext:
    """What an alert needs besides the measurement: the session's vital-sign rules (the protocol's, see
    `SessionRules`) and the series' first PHQ-9 total.

    `bp_limit` is the urgent limit (at or above); `confirm_dose_above` and `recheck_above` are exceeded by a
    reading strictly above either part.
    """

    bp_limit: BpLimit = field(default_factory=BpLimit)
    baseline_phq9_total: int | None = None
    confirm_dose_above: tuple[int, int] = (
        _DEFAULTS.confirm_dose_above_systolic,
        _DEFAULTS.confirm_dose_above_diastolic,
    )
    recheck_above: tuple[int, int] = (_DEFAULTS.discharge_max_systolic, _DEFAULTS.discharge_max_diastolic)
    recheck_minutes: int = _DEFAULTS.recheck_minutes
    alert_moaas_at_or_below: int = _DEFAULTS.alert_moaas_at_or_below
    discharge_min_moaas: int = _DEFAULTS.discharge_min_moaas

    def __post_init__(self) -> None:
        if self.baseline_phq9_total is not None:
            _int_in(self.baseline_phq9_total, "baseline_phq9_total", 0, PHQ9_MAX)

    @classmethod
    def of(cls, rules: SessionRules, baseline_phq9_total: int | None = None) -> AlertContext:
        """The alert context of a protocol's session rules."""
        return cls(
            bp_limit=BpLimit(rules.urgent_systolic, rules.urgent_diastolic),
            baseline_phq9_total=baseline_phq9_total,
            confirm_dose_above=(rules.confirm_dose_above_systolic, rules.confirm_dose_above_diastolic),
            recheck_above=(rules.discharge_max_systolic, rules.discharge_max_diastolic),
            recheck_minutes=rules.recheck_minutes,
            alert_moaas_at_or_below=rules.alert_moaas_at_or_below,
            discharge_min_moaas=rules.discharge_min_moaas,
        )


@dataclass(frozen=True)
class Alert:
    """An alert for the provider: `severity` is "urgent" or "warning"."""

    code: str
    severity: str
    message: str


def alerts_for(measurement: Measurement, context: AlertContext | None = None) -> list[Alert]:
    """Return the alerts a validated measurement raises (urgent first); [] when it is unremarkable."""
    context = context or AlertContext()
    if isinstance(measurement, Phq9Result):
        alerts = _phq9_alerts(measurement, context)
    elif isinstance(measurement, BloodPressure):
        alerts = _bp_alerts(measurement, context)
    elif isinstance(measurement, Sedation):
        alerts = _sedation_alerts(measurement, context)
    elif isinstance(measurement, Gad7Result | Dissociation):
        alerts = []
    else:
        raise TypeError(f"not a measurement: {type(measurement).__name__}")
    return sorted(alerts, key=lambda a: ALERT_SEVERITIES.index(a.severity))


def _phq9_alerts(result: Phq9Result, context: AlertContext) -> list[Alert]:
    alerts = []
    if result.item9 > 0:
        alerts.append(
            Alert(
                "phq9_item9",
                "urgent",
                f"PHQ-9 item 9 (thoughts of self-harm) scored {result.item9} of 3: "
                "assess suicide risk before the patient doses or leaves.",
            )
        )
    baseline = context.baseline_phq9_total
    if baseline is not None and result.total - baseline >= WORSENING_POINTS:
        alerts.append(
            Alert(
                "phq9_worsening",
                "warning",
                f"PHQ-9 total {result.total} is {result.total - baseline} points above the series baseline "
                f"of {baseline}: review the treatment plan.",
            )
        )
    return alerts


def _bp_alerts(reading: BloodPressure, context: AlertContext) -> list[Alert]:
    limit = context.bp_limit
    value = f"Blood pressure {reading.systolic}/{reading.diastolic} mmHg"
    if limit.reached_by(reading):
        return [_urgent_bp(reading, value, limit, context.recheck_minutes)]
    if reading.timepoint == "pre":
        systolic, diastolic = context.confirm_dose_above
        if reading.systolic > systolic or reading.diastolic > diastolic:
            return [
                Alert(
                    "bp_confirm_before_dose",
                    "warning",
                    f"{value} before the dose is above {systolic}/{diastolic}: "
                    "the prescriber confirms before the dose is given.",
                )
            ]
        return []
    systolic, diastolic = context.recheck_above
    if reading.systolic > systolic or reading.diastolic > diastolic:
        return [
            Alert(
                "bp_recheck",
                "warning",
                f"{value} after the dose is above {systolic}/{diastolic}: re-check every "
                f"{context.recheck_minutes} minutes; discharge waits until it is back under the limit.",
            )
        ]
    return []


def _urgent_bp(reading: BloodPressure, value: str, limit: BpLimit, recheck_minutes: int) -> Alert:
    if reading.timepoint == "pre":
        return Alert(
            "bp_high_before_dose",
            "urgent",
            f"{value} before the dose is at or above the limit of {limit}: "
            "hold the dose and recheck; dose only with a prescriber's decision.",
        )
    if reading.timepoint == "post40":
        return Alert(
            "bp_high_after_dose",
            "urgent",
            f"{value} 40 minutes after the dose is at or above the limit of {limit}: "
            f"the prescriber assesses now; re-check every {recheck_minutes} minutes.",
        )
    return Alert(
        "bp_not_recovered",
        "urgent",
        f"{value} at discharge is not back under the limit of {limit}: "
        "do not discharge; a prescriber must assess.",
    )


def _sedation_alerts(sedation: Sedation, context: AlertContext) -> list[Alert]:
    if sedation.moaas > context.alert_moaas_at_or_below:
        return []
    return [
        Alert(
            "sedation_deep",
            "urgent",
            f"MOAA/S {sedation.moaas} of 5: stay with the patient and call the prescriber; discharge waits "
            f"until it is {context.discharge_min_moaas} again.",
        )
    ]
