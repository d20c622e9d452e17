"""Measurements of a treatment series: validation and scoring of each instrument.

- PHQ-9: exactly 9 items scored 0..3, total 0..27; item 9 (index 8) asks about thoughts of self-harm.
  Severity bands: none-minimal 0-4, mild 5-9, moderate 10-14, moderately severe 15-19, severe 20-27.
- GAD-7: exactly 7 items scored 0..3, total 0..21. Bands: minimal 0-4, mild 5-9, moderate 10-14, severe 15-21.
- Blood pressure in mmHg: systolic 50..300, diastolic 30..200, systolic above diastolic; timepoint `pre`
  (before the dose), `post40` (about 40 minutes after it) or `discharge`.
- Sedation: MOAA/S score 0..5, where 5 is awake and responds readily to their name and 0 is no response to a
  painful stimulus.
- Dissociation: the CADSS total, 0..92 (23 items scored 0..4). A validated total is comparable between visits
  and raters and is what the esketamine trials reported; a 0..4 clinician impression is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from clinic.domain.localtime import require_aware

MEASUREMENT_INSTRUMENTS = ("phq9", "gad7", "bp", "sedation", "dissociation")
BP_TIMEPOINTS = ("pre", "post40", "discharge")

ITEM_MAX = 3
PHQ9_ITEMS = 9
PHQ9_MAX = PHQ9_ITEMS * ITEM_MAX
GAD7_ITEMS = 7
GAD7_MAX = GAD7_ITEMS * ITEM_MAX
MOAAS_MAX = 5
CADSS_MAX = 92
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (30, 200)
# (lowest total, band), in increasing order
PHQ9_BANDS = ((0, "none-minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe"))
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))


class MeasurementError(ValueError):
    """Bad measurement or monitoring input; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _int_in(value: object, name: str, low: int, high: int, label: str | None = None) -> int:
    # bool is an int subclass; a JSON true must not pass as a score
    if isinstance(value, bool) or not isinstance(value, int):
        raise MeasurementError(name, f"{label or name} must be an integer")
    if not low <= value <= high:
        raise MeasurementError(name, f"{label or name} must be between {low} and {high}")
    return value


def _aware(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise MeasurementError(name, "must be a datetime")
    try:
        return require_aware(value, name)
    except ValueError as exc:
        raise MeasurementError(name, "must be timezone-aware") from exc


def _band(total: int, bands: tuple[tuple[int, str], ...]) -> str:
    return next(name for low, name in reversed(bands) if total >= low)


def _check_items(items: Sequence[int], count: int) -> tuple[int, ...]:
    # a string is a Sequence too; "012..." must not be read as item scores
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise MeasurementError("items", f"must be a list of {count} item scores")
    if len(items) != count:
        raise MeasurementError("items", f"needs exactly {count} item scores, got {len(items)}")
    return tuple(_int_in(v, f"items[{i}]", 0, ITEM_MAX, f"item {i + 1}") for i, v in enumerate(items))


@dataclass(frozen=True)
class Phq9Result:
    """A PHQ-9 score. Built from a stored total and item 9, `severity` may be left out and is derived."""

    total: int
    item9: int
    severity: str = ""

    def __post_init__(self) -> None:
        _int_in(self.total, "total", 0, PHQ9_MAX)
        _int_in(self.item9, "item9", 0, ITEM_MAX)
        if self.item9 > self.total:
            raise MeasurementError("item9", "cannot exceed the total")
        band = _band(self.total, PHQ9_BANDS)
        if not self.severity:
            object.__setattr__(self, "severity", band)
        elif self.severity != band:
            raise MeasurementError("severity", f"a total of {self.total} is {band!r}")


@dataclass(frozen=True)
class Gad7Result:
    """A GAD-7 score; `severity` may be left out and is derived from the total."""

    total: int
    severity: str = ""

    def __post_init__(self) -> None:
        _int_in(self.total, "total", 0, GAD7_MAX)
        band = _band(self.total, GAD7_BANDS)
        if not self.severity:
            object.__setattr__(self, "severity", band)
        elif self.severity != band:
            raise MeasurementError("severity", f"a total of {self.total} is {band!r}")


@dataclass(frozen=True)
class BloodPressure:
    """A validated blood pressure reading in mmHg at a timepoint of the dosing visit."""

    systolic: int
    diastolic: int
    timepoint: str

    def __post_init__(self) -> None:
        _int_in(self.systolic, "systolic", *SYSTOLIC_RANGE)
        _int_in(self.diastolic, "diastolic", *DIASTOLIC_RANGE)
        if self.systolic <= self.diastolic:
            raise MeasurementError("diastolic", "must be below the systolic value")
        if self.timepoint not in BP_TIMEPOINTS:
            raise MeasurementError("timepoint", f"must be one of {', '.join(BP_TIMEPOINTS)}")


@dataclass(frozen=True)
class Sedation:
    """A MOAA/S sedation score: 5 awake, 0 no response to a painful stimulus."""

    moaas: int

    def __post_init__(self) -> None:
        _int_in(self.moaas, "moaas", 0, MOAAS_MAX, "MOAA/S score")


@dataclass(frozen=True)
class Dissociation:
    """A CADSS dissociation total (23 items scored 0..4)."""

    cadss_total: int

    def __post_init__(self) -> None:
        _int_in(self.cadss_total, "cadss_total", 0, CADSS_MAX, "CADSS total")


Measurement = Phq9Result | Gad7Result | BloodPressure | Sedation | Dissociation


def score_phq9(items: Sequence[int]) -> Phq9Result:
    """Score 9 PHQ-9 item answers (0..3 each); MeasurementError names `items` or the bad `items[i]`."""
    values = _check_items(items, PHQ9_ITEMS)
    return Phq9Result(total=sum(values), item9=values[8])


def score_gad7(items: Sequence[int]) -> Gad7Result:
    """Score 7 GAD-7 item answers (0..3 each); MeasurementError names `items` or the bad `items[i]`."""
    return Gad7Result(total=sum(_check_items(items, GAD7_ITEMS)))


# The check_* functions take values as received, of any type: each reading checks its own fields when it is
# built (__post_init__), so the casts below only tell the type checker what that check guarantees.


def check_blood_pressure(systolic: object, diastolic: object, timepoint: object) -> BloodPressure:
    """Validate a blood pressure reading; MeasurementError names `systolic`, `diastolic` or `timepoint`."""
    return BloodPressure(
        systolic=cast(int, systolic), diastolic=cast(int, diastolic), timepoint=cast(str, timepoint)
    )


def check_sedation(moaas: object) -> Sedation:
    """Validate a MOAA/S sedation score 0..5; MeasurementError names `moaas`."""
    return Sedation(moaas=cast(int, moaas))


def check_dissociation(cadss_total: object) -> Dissociation:
    """Validate a CADSS dissociation total 0..92; MeasurementError names `cadss_total`."""
    return Dissociation(cadss_total=cast(int, cadss_total))
