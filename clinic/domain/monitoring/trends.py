"""The PHQ-9 trend of a patient: change from the baseline, response and remission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from clinic.domain.monitoring.measurements import PHQ9_MAX, MeasurementError, _aware, _int_in

RESPONSE_DROP_PERCENT = 50
REMISSION_BELOW = 10


@dataclass(frozen=True)
class TrendSummary:
    """PHQ-9 change from the first to the latest score; percent_change is None when the baseline is 0."""

    baseline: int
    latest: int
    change: int
    percent_change: float | None
    response: bool
    remission: bool
    baseline_at: datetime
    latest_at: datetime


def response_status(phq9_totals: Sequence[tuple[datetime, int]]) -> TrendSummary:
    """Summarise PHQ-9 totals (when, total) in any order: baseline = earliest, latest = most recent.

    Response: the latest total is at least 50% below the baseline. Remission: the latest total is below 10
    (some definitions use below 5). Both need a score after the baseline: a baseline alone shows no effect.
    """
    if isinstance(phq9_totals, str | bytes) or not isinstance(phq9_totals, Sequence) or not phq9_totals:
        raise MeasurementError("phq9_totals", "needs at least one (time, total) pair")
    scores = []
    for i, pair in enumerate(phq9_totals):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise MeasurementError(f"phq9_totals[{i}]", "must be a (time, total) pair")
        scores.append(
            (
                _aware(pair[0], f"phq9_totals[{i}]"),
                _int_in(pair[1], f"phq9_totals[{i}]", 0, PHQ9_MAX, "total"),
            )
        )
    # sorted by time only, so equal times keep their given order and the later-listed one is the latest
    scores.sort(key=lambda s: s[0])
    (baseline_at, baseline), (latest_at, latest) = scores[0], scores[-1]
    followed = len(scores) > 1
    change = latest - baseline
    return TrendSummary(
        baseline=baseline,
        latest=latest,
        change=change,
        percent_change=round(100 * change / baseline, 1) if baseline else None,
        # integer arithmetic: exactly half the baseline is a response
        response=followed and baseline > 0 and 100 * (baseline - latest) >= RESPONSE_DROP_PERCENT * baseline,
        remission=followed and latest < REMISSION_BELOW,
        baseline_at=baseline_at,
        latest_at=latest_at,
    )
