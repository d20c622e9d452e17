from datetime import UTC, datetime

import pytest

from clinic.extensions import db
from tests.factories import DEFAULT_PASSWORD, book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride

pytestmark = pytest.mark.browser


def test_provider_records_a_phq9_and_blood_pressures_and_sees_chart_and_overdue_list_change(
    app, page, clock, api_as
):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        first_dose = series.appointments[0].id
    clock.now = datetime(2027, 3, 8, 13, 50, tzinfo=UTC)  # the patient arrives for the first dose
    check_in_with_ride(api_as("frontdesk"), first_dose)
    clock.now = datetime(2027, 3, 8, 17, 0, tzinfo=UTC)  # the first session is over; nothing was recorded

    page.goto("/login")
    page.get_by_label("E-mail").fill("doc@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/provider")
    overdue = page.get_by_test_id("overdue")
    before = overdue.locator("tbody tr").count()
    assert "PHQ-9" in overdue.inner_text()

    page.goto(f"/appointments/{first_dose}")
    page.get_by_text("PHQ-9", exact=True).click()
    phq9 = page.get_by_test_id("phq9-form")
    for n in range(1, 10):
        phq9.locator(f"select[name=item{n}]").select_option("2" if n < 9 else "0")
    phq9.get_by_role("button", name="Record PHQ-9").click()
    assert page.get_by_text("Recorded.").is_visible()

    for timepoint, systolic, diastolic in (
        ("pre", "132", "84"),
        ("post40", "150", "92"),
        ("discharge", "128", "80"),
    ):
        form = page.get_by_test_id("bp-form")
        form.get_by_label("When").select_option(timepoint)
        form.get_by_label("Systolic (mmHg)").fill(systolic)
        form.get_by_label("Diastolic (mmHg)").fill(diastolic)
        form.get_by_role("button", name="Record blood pressure").click()
        assert page.get_by_text("Recorded.").is_visible()

    page.get_by_role("link", name="Patient timeline and trend").click()
    page.get_by_test_id("trend-chart").wait_for()  # drawn by the chart script
    assert page.get_by_test_id("score-row").count() == 1  # the one PHQ-9, readable under the chart
    assert "baseline 16" in page.get_by_test_id("trend-summary").inner_text()

    page.goto("/provider")
    after = page.get_by_test_id("overdue").locator("tbody tr").count()
    assert after == before - 4  # PHQ-9 and the three blood pressures are done now
