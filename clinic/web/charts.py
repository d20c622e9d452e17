"""Server-rendered SVG charts (no script, no CDN): PHQ-9 and GAD-7 over time with response and remission."""

from collections.abc import Sequence
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 36
SCALE_MAX = 27  # the PHQ-9 maximum; GAD-7 (max 21) shares the axis
REMISSION_BELOW = 10


def _x(at: datetime, first: datetime, last: datetime) -> float:
    span = (last - first).total_seconds() or 1.0
    return LEFT + (WIDTH - LEFT - RIGHT) * (at - first).total_seconds() / span


def _y(score: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / SCALE_MAX)


def _line(
    points: Sequence[tuple[datetime, int]], first: datetime, last: datetime, css: str, label: str
) -> str:
    if not points:
        return ""
    coords = " ".join(f"{_x(at, first, last):.1f},{_y(score):.1f}" for at, score in points)
    dots = "".join(
        f'<circle cx="{_x(at, first, last):.1f}" cy="{_y(score):.1f}" r="3.5" class="{css}">'
        f"<title>{escape(label)} {score} on {at:%Y-%m-%d}</title></circle>"
        for at, score in points
    )
    return f'<polyline points="{coords}" class="{css}" fill="none"/>{dots}'


def _guide(score: float, text: str, css: str) -> str:
    y = _y(score)
    return (
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="{css}"/>'
        f'<text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" text-anchor="end" '
        f'class="guide-label">{escape(text)}</text>'
    )


def trend_svg(phq9: Sequence[tuple[datetime, int]], gad7: Sequence[tuple[datetime, int]]) -> str:
    """PHQ-9 and GAD-7 totals over time, with PHQ-9 remission (under 10) and response (half the baseline)."""
    points = sorted([*phq9, *gad7])
    if not points:
        return '<p class="muted">No questionnaires recorded yet.</p>'
    first, last = points[0][0], points[-1][0]
    guides = _guide(REMISSION_BELOW, "remission (PHQ-9 < 10)", "remission")
    if phq9:
        baseline = sorted(phq9)[0][1]
        guides += _guide(baseline / 2, f"response (50% of baseline {baseline})", "response")
    axis = "".join(
        f'<text x="{LEFT - 8}" y="{_y(v) + 4:.1f}" text-anchor="end" class="axis">{v}</text>'
        for v in (0, 9, 18, 27)
    )
    dates = (
        f'<text x="{LEFT}" y="{HEIGHT - 12}" class="axis">{first:%d %b %Y}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 12}" text-anchor="end" class="axis">{last:%d %b %Y}</text>'
    )
    lines = _line(sorted(phq9), first, last, "phq9", "PHQ-9") + _line(
        sorted(gad7), first, last, "gad7", "GAD-7"
    )
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="PHQ-9 and GAD-7 over time" '
        f'class="trend-chart" xmlns="http://www.w3.org/2000/svg" data-testid="trend-chart">'
        f"{axis}{dates}{guides}{lines}</svg>"
    )
