"""Alerts for dangerous measurement values, for the patient's provider.

- A blood pressure AT the limit counts as high: with the default limit of 180/110, a systolic of 180 or more
  OR a diastolic of 110 or more raises the alert. A reading of exactly 180/110 is not one a clinician would
  dose on, so the limit is the first unsafe value, not the last safe one. At discharge, "recovered" means
  strictly below both parts of the limit.
- `urgent` needs action before the patient doses or leaves (PHQ-9 item 9 above 0, high blood pressure before
  the dose or at discharge); `warning` needs a provider's review (high blood pressure 40 minutes after the
  dose, PHQ-9 total 5 or more above the series baseline).
- Messages give the value and the next step; they never name the patient or carry another patient's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

ALERT_SEVERITIES = ("urgent", "warning")

DEFAULT_BP_LIMIT = (180, 110)
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
    """What an alert needs besides the measurement: the limit and the series' first PHQ-9 total."""

    bp_limit: BpLimit = field(default_factory=BpLimit)
    baseline_phq9_total: int | None = None

    def __post_init__(self) -> None:
        if self.baseline_phq9_total is not None:
            _int_in(self.baseline_phq9_total, "baseline_phq9_total", 0, PHQ9_MAX)


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
        alerts = _bp_alerts(measurement, context.bp_limit)
    elif isinstance(measurement, Gad7Result | Sedation | Dissociation):
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


def _bp_alerts(reading: BloodPressure, limit: BpLimit) -> list[Alert]:
    if not limit.reached_by(reading):
        return []
    value = f"Blood pressure {reading.systolic}/{reading.diastolic} mmHg"
    if reading.timepoint == "pre":
        return [
            Alert(
                "bp_high_before_dose",
                "urgent",
                f"{value} before the dose is at or above the limit of {limit}: "
                "hold the dose and recheck; dose only with a prescriber's decision.",
            )
        ]
    if reading.timepoint == "post40":
        return [
            Alert(
                "bp_high_after_dose",
                "warning",
                f"{value} 40 minutes after the dose is at or above the limit of {limit}: "
                "recheck and extend monitoring.",
            )
        ]
    return [
        Alert(
            "bp_not_recovered",
            "urgent",
            f"{value} at discharge is not back under the limit of {limit}: "
            "do not discharge; a prescriber must assess.",
        )
    ]
