"""What the PHQ-9 and GAD-7 trend chart draws, as plain data for the page's JSON block.

The chart itself is drawn in the browser by the vendored Chart.js (static/js/trend-chart.js); the page also
lists every score in a table, which is what a reader without script or with a screen reader gets.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clinic.domain.monitoring import PHQ9_MAX, REMISSION_BELOW, RESPONSE_DROP_PERCENT
from clinic.formatting import Where


def _points(scores: Sequence[tuple[datetime, int]], where: Where) -> list[dict[str, Any]]:
    # ISO 8601 with the location's offset, so the axis shows the day the visit had where it took place
    return [{"x": at.astimezone(where.zone).isoformat(), "y": total} for at, total in sorted(scores)]


def response_level(baseline: int) -> float:
    """The PHQ-9 total at or below which a score is a response: half the baseline."""
    return baseline * (100 - RESPONSE_DROP_PERCENT) / 100


def trend_data(
    phq9: Sequence[tuple[datetime, int]], gad7: Sequence[tuple[datetime, int]], where: Where
) -> dict[str, Any]:
    """PHQ-9 and GAD-7 totals (when, total) as time-ordered points, with the PHQ-9 remission level and, once
    there is a baseline, the response level; `zone` and `locale` are those of the place the axis is read in.
    """
    baseline = sorted(phq9)[0][1] if phq9 else None
    return {
        "zone": where.zone.key,
        "locale": (where.locale or "en_US").replace("_", "-"),
        "max": PHQ9_MAX,
        "phq9": _points(phq9, where),
        "gad7": _points(gad7, where),
        "remission": REMISSION_BELOW,
        "baseline": baseline,
        "response": response_level(baseline) if baseline is not None else None,
    }
