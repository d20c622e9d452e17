"""The patient timeline in a browser at a desk (1366x900) and on a phone (390x844): reached from the patient
page, the PHQ-9 and GAD-7 trend drawn by the vendored chart library with real dates and its two levels
labelled apart, no console error and no Content-Security-Policy violation, no sideways scroll, and a PHQ-9
entered by clicking answers that shows its running total and then the stored score."""

import re
from datetime import timedelta

import pytest

from clinic.extensions import db
from clinic.models.measurement import Measurement
from tests.browser.test_floor_session import sign_in
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride

pytestmark = pytest.mark.browser

ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")


@pytest.fixture
def history(app, clock, api_as):
    """PHQ-9s of 20, 15 and 10 at the first three Spravato doses (so the response level, half of 20, lies on
    the remission level) and a GAD-7 of 14 at the first; the fourth dose is checked in now."""
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        doses = [a for a in series.appointments if a.kind == "dose"]
        for dose, instrument, items in (
            (doses[0], "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 2]),
            (doses[0], "gad7", [2, 2, 2, 2, 2, 2, 2]),
            (doses[1], "phq9", [2, 2, 2, 2, 2, 2, 1, 1, 1]),
            (doses[2], "phq9", [2, 1, 1, 1, 1, 1, 1, 1, 1]),
        ):
            db.session.add(
                Measurement(
                    patient_id=clinic["patient_id"],
                    appointment_id=dose.id,
                    series_id=series.id,
                    instrument=instrument,
                    values={"items": items, "severity": ""},
                    total=sum(items),
                    item9=items[8] if instrument == "phq9" else None,
                    recorded_at=dose.start_at + timedelta(minutes=5),
                    recorded_by_label="Dr Earlier",
                )
            )
        db.session.commit()
        open_visit, start = doses[3].id, doses[3].start_at
    clock.now = start + timedelta(minutes=5)
    check_in_with_ride(api_as("frontdesk"), open_visit)
    return clinic


def _drawn(page) -> dict:
    return page.get_by_test_id("trend-chart").evaluate(
        """canvas => {
            const chart = Chart.getChart(canvas);
            return {
                points: chart.data.datasets.map(set => set.data.length),
                ticks: chart.scales.x.ticks.map(tick => tick.label),
                labels: chart.$guideLabels,
                width: canvas.getBoundingClientRect().width,
            };
        }"""
    )


def _apart(a: dict, b: dict) -> bool:
    return (
        a["left"] + a["width"] <= b["left"]
        or b["left"] + b["width"] <= a["left"]
        or a["top"] + a["height"] <= b["top"]
        or b["top"] + b["height"] <= a["top"]
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_the_trend_chart_and_a_phq9_entered_by_clicking(page, history, width, height):
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "doc@example.com")
    page.goto(f"/patients/{history['patient_id']}")
    page.get_by_text("Timeline and trend", exact=True).click()
    page.wait_for_url("**/timeline")

    # The chart is drawn with real dates on its axis, each level labelled, the labels clear of each other.
    assert page.get_by_test_id("trend-chart").is_visible()
    drawn = _drawn(page)
    assert drawn["points"] == [3, 1]
    assert all(re.fullmatch(r"Mar \d{1,2}", tick) for tick in drawn["ticks"])
    assert len(set(drawn["ticks"])) == len(drawn["ticks"]) > 2
    assert sorted(label["key"] for label in drawn["labels"]) == ["remission", "response"]
    assert _apart(*drawn["labels"])
    assert width * 0.75 < drawn["width"] <= width
    assert page.get_by_test_id("score-row").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Answers picked one by one; the total follows them.
    form = page.get_by_test_id("phq9-form")
    total = page.get_by_test_id("phq9-running-total")
    picks = [2, 2, 1, 1, 1, 0, 0, 1, 0]
    for number, value in enumerate(picks, start=1):
        form.get_by_role("group", name=f"{number}.").get_by_label(ANSWERS[value]).click()
        if number == 3:
            assert "Total so far: 5 of 27 · 3 of 9 questions answered" in " ".join(total.inner_text().split())
    assert "Total so far: 8 of 27 · 9 of 9 questions answered" in " ".join(total.inner_text().split())
    form.get_by_role("button", name="Record PHQ-9").click()

    # The server's score is the one shown and drawn.
    assert page.get_by_text("PHQ-9 recorded: total 8.").is_visible()
    assert "8 of 27" in page.get_by_test_id("score-row").first.inner_text()
    assert _drawn(page)["points"] == [4, 1]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The chart follows the window.
    page.set_viewport_size({"width": 390 if width > 390 else 1366, "height": height})
    page.wait_for_function(
        "w => Math.abs(document.querySelector('[data-testid=trend-chart]').getBoundingClientRect().width"
        " - w) > 200",
        arg=drawn["width"],
    )
    assert errors == []
