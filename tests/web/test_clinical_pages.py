import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.formatting import format_datetime
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.series import Series
from clinic.web.forms import GAD7_QUESTIONS, PHQ9_QUESTIONS
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import check_in_with_ride
from tests.web.test_login import _sign_in, _token_from


@pytest.fixture
def setup(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
        return {
            **clinic,
            "series_id": series.id,
            "first_dose": series.appointments[0].id,
            "doses": [(a.id, a.start_at) for a in series.appointments if a.kind == "dose"],
        }


def _score(app, setup, dose: int, instrument: str, items: list[int], minutes: int = 5) -> None:
    """A questionnaire already on file from an earlier dose (recorded `minutes` after its start)."""
    visit_id, start = setup["doses"][dose]
    with app.app_context():
        db.session.add(
            Measurement(
                patient_id=setup["patient_id"],
                appointment_id=visit_id,
                series_id=setup["series_id"],
                instrument=instrument,
                values={"items": items, "severity": ""},
                total=sum(items),
                item9=items[8] if instrument == "phq9" else None,
                recorded_at=start + timedelta(minutes=minutes),
                recorded_by_label="Dr Earlier",
            )
        )
        db.session.commit()


@pytest.fixture
def history(app, client, clock, api_as, setup):
    """PHQ-9s at the first three doses (20, 15 and 11), a GAD-7 at the first, recorded out of order; the
    fourth dose (Thu 18 March 2027, after the change to daylight saving time) is checked in now."""
    _score(app, setup, 2, "phq9", [2, 1, 1, 1, 1, 1, 1, 1, 0])  # stored first, though taken last
    _score(app, setup, 0, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 2])
    _score(app, setup, 0, "gad7", [2, 2, 2, 2, 2, 2, 2], minutes=7)
    _score(app, setup, 1, "phq9", [2, 2, 2, 2, 2, 2, 1, 1, 1])
    visit_id, start = setup["doses"][3]
    clock.now = start + timedelta(minutes=5)
    check_in_with_ride(api_as("frontdesk"), visit_id)
    _sign_in(client, email="doc@example.com")
    return {**setup, "open_visit": visit_id}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _answers(values: list[int]) -> dict[str, str]:
    return {f"item{n}": str(v) for n, v in enumerate(values, start=1)}


def _post(client, history, instrument: str, answers: dict[str, str], **fields: str):
    page = client.get(f"/patients/{history['patient_id']}/timeline")
    body = {
        **answers,
        "appointment_id": str(history["open_visit"]),
        "csrf_token": _token_from(page.data),
        **fields,
    }
    return client.post(f"/patients/{history['patient_id']}/questionnaires/{instrument}", data=body)


def test_provider_records_measurements_and_sees_the_chart_and_alerts(app, client, clock, api_as, setup):
    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    check_in_with_ride(api_as("frontdesk"), setup["first_dose"])
    _sign_in(client, email="doc@example.com")
    page = client.get(f"/appointments/{setup['first_dose']}")
    assert b'data-testid="phq9-form"' in page.data
    token = _token_from(page.data)
    answers = {f"item{n}": "1" for n in range(1, 10)}
    client.post(
        f"/appointments/{setup['first_dose']}/measurements/phq9", data={**answers, "csrf_token": token}
    )
    high = client.post(
        f"/appointments/{setup['first_dose']}/measurements/bp",
        data={"timepoint": "pre", "systolic": "186", "diastolic": "96", "csrf_token": token},
        follow_redirects=True,
    )
    assert b"Alert:" in high.data
    timeline = client.get(f"/patients/{setup['patient_id']}/timeline").data.decode()
    assert 'data-testid="trend-chart"' in timeline and "<svg" not in timeline
    assert _chart(timeline)["phq9"] == [{"x": "2027-03-08T09:05:00-05:00", "y": 9}]
    home = client.get("/provider").data.decode()
    assert "URGENT" in home and "Acknowledge" in home
    assert "Overdue monitoring" in home


def test_an_unanswered_question_on_the_visit_page_is_named(app, client, clock, api_as, setup):
    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    check_in_with_ride(api_as("frontdesk"), setup["first_dose"])
    _sign_in(client, email="doc@example.com")
    token = _token_from(client.get(f"/appointments/{setup['first_dose']}").data)
    answers = {f"item{n}": "1" for n in range(1, 10) if n != 4}
    page = client.post(
        f"/appointments/{setup['first_dose']}/measurements/phq9",
        data={**answers, "csrf_token": token},
        follow_redirects=True,
    )
    assert "answer question 4" in page.data.decode()
    assert _count(app, Measurement) == 0


def test_front_desk_sees_no_answers_and_cannot_open_clinical_pages(app, client, setup):
    _sign_in(client, email="desk@example.com")
    page = client.get(f"/appointments/{setup['first_dose']}")
    assert b'data-testid="measurements"' not in page.data
    assert client.get(f"/patients/{setup['patient_id']}/timeline").status_code == 403
    assert client.get("/provider").status_code == 403
    assert client.get(f"/appointments/{setup['first_dose']}/rems-form").status_code == 403


def _chart(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="trend-data">(.*?)</script>', html, re.S)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def test_the_chart_data_has_local_dates_and_scores_in_time_order(app, client, history):
    html = client.get(f"/patients/{history['patient_id']}/timeline").data.decode()
    chart = _chart(html)
    # Dates in the location's zone with its offset: New York moved to daylight saving time on 14 March.
    assert chart["phq9"] == [
        {"x": "2027-03-08T09:05:00-05:00", "y": 20},
        {"x": "2027-03-11T09:05:00-05:00", "y": 15},
        {"x": "2027-03-15T09:05:00-04:00", "y": 9},
    ]
    assert chart["gad7"] == [{"x": "2027-03-08T09:07:00-05:00", "y": 14}]
    assert (chart["zone"], chart["locale"], chart["max"]) == ("America/New_York", "en-US", 27)
    assert (chart["remission"], chart["baseline"], chart["response"]) == (10, 20, 10)
    assert chart["labels"]["remission"] != chart["labels"]["response"]
    # The vendored library draws it: served from this origin, no inline script.
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/js/trend-chart.js" in html
    assert re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html) is None
    # The same numbers in a table under the chart, newest first, in local time.
    table = html[html.index('data-testid="score-table"') :]
    rows = re.findall(r'<tr data-testid="score-row"><td>([^<]+)</td>', table)
    assert rows == [
        "Mon, Mar 15, 2027, 9:05\u202fAM",
        "Thu, Mar 11, 2027, 9:05\u202fAM",
        "Mon, Mar 8, 2027, 9:07\u202fAM",
        "Mon, Mar 8, 2027, 9:05\u202fAM",
    ]


def test_the_timeline_runs_newest_first_and_says_so(app, client, history):
    html = client.get(f"/patients/{history['patient_id']}/timeline").data.decode()
    assert "Every list on this page runs newest first." in html
    timeline = html[html.index('data-testid="timeline"') :]
    stamps = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', timeline)
    instants = [datetime.fromisoformat(iso) for iso, _ in stamps]
    assert len(instants) == 4 and instants == sorted(instants, reverse=True)
    assert stamps[0][1] == "Mon, Mar 15, 2027, 9:05\u202fAM"


def test_the_patient_page_links_the_timeline(app, client, history):
    page = client.get(f"/patients/{history['patient_id']}").data.decode()
    assert f'href="/patients/{history["patient_id"]}/timeline"' in page


def test_the_phq9_form_shows_each_question_with_answers_in_words(app, client, history):
    html = client.get(f"/patients/{history['patient_id']}/timeline").data.decode()
    form = html[html.index('data-testid="phq9-form"') : html.index('data-testid="gad7-form"')]
    for question in PHQ9_QUESTIONS:
        assert question in form
    for words in ("Not at all", "Several days", "More than half the days", "Nearly every day"):
        assert form.count(words) == 9
    assert form.count('type="radio"') == 36 and 'name="item9" value="3"' in form
    assert f'name="appointment_id" value="{history["open_visit"]}"' in form
    gad7 = html[html.index('data-testid="gad7-form"') :]
    assert all(question in gad7 for question in GAD7_QUESTIONS) and gad7.count('type="radio"') >= 28
    assert "/static/js/questionnaire.js" in html


def test_a_phq9_is_scored_by_the_server_and_stored_at_the_open_visit(app, client, history):
    response = _post(client, history, "phq9", _answers([2, 2, 1, 1, 1, 0, 0, 1, 0]))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Measurement).order_by(Measurement.id.desc())).first()
        assert (stored.instrument, stored.total, stored.item9) == ("phq9", 8, 0)
        assert stored.appointment_id == history["open_visit"]
        assert stored.values["severity"] == "mild"
    page = client.get(response.headers["Location"]).data.decode()
    assert "PHQ-9 recorded: total 8." in page
    assert _chart(page)["phq9"][-1] == {"x": "2027-03-18T09:05:00-04:00", "y": 8}


def test_a_gad7_is_stored_too(app, client, history):
    response = _post(client, history, "gad7", _answers([3, 3, 2, 2, 1, 1, 0]))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(Measurement).where(Measurement.instrument == "gad7")).all()
        assert sorted(m.total for m in stored) == [12, 14]


def test_question_nine_above_zero_still_raises_the_urgent_alert(app, client, history):
    response = _post(client, history, "phq9", _answers([1, 1, 1, 1, 1, 1, 1, 1, 2]))
    assert response.status_code == 302
    with app.app_context():
        alert = db.session.scalars(select(Alert).where(Alert.code == "phq9_item9")).one()
        assert alert.severity == "urgent" and alert.appointment_id == history["open_visit"]
    page = client.get(response.headers["Location"]).data.decode()
    assert "PHQ-9 recorded: total 10. Alert: PHQ-9 item 9" in page


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"item3": None}, "Question 3 has no answer"),
        ({"item5": "4"}, "Question 5 has no answer"),
        ({"item2": "x"}, "Question 2 has no answer"),
        ({"item9": "-1"}, "Question 9 has no answer"),
        ({"item4": "\u00b2"}, "Question 4 has no answer"),
    ],
)
def test_a_bad_answer_answers_400_naming_the_question_and_writes_nothing(app, client, history, change, named):
    answers = _answers([1] * 9)
    for key, value in change.items():
        if value is None:
            answers.pop(key)
        else:
            answers[key] = value
    before = _count(app, Measurement)
    response = _post(client, history, "phq9", answers)
    assert response.status_code == 400
    html = response.data.decode()
    assert named in html and "PHQ-9 not recorded." in html
    # The answers given stay picked.
    assert re.search(r'name="item1" value="1"\s+required\s+checked', html)
    assert _count(app, Measurement) == before and _count(app, Alert) == 0


@pytest.mark.parametrize("visit", ["", "abc", "\u00b2", "99999999999999999999", "first-dose"])
def test_a_visit_not_offered_answers_400_and_writes_nothing(app, client, history, visit):
    visit_id = str(history["first_dose"]) if visit == "first-dose" else visit
    before = _count(app, Measurement)
    response = _post(client, history, "phq9", _answers([1] * 9), appointment_id=visit_id)
    assert response.status_code == 400
    assert "Choose one of the visits listed." in response.data.decode()
    assert _count(app, Measurement) == before


def test_without_an_open_visit_there_is_no_form_and_nothing_is_recorded(app, client, clock, history):
    clock.now += timedelta(days=1)  # the visit was yesterday
    _sign_in(client, email="doc@example.com")
    page = client.get(f"/patients/{history['patient_id']}/timeline").data
    html = page.decode()
    assert 'data-testid="phq9-form"' not in html and 'data-testid="no-open-visit"' in html
    token = _token_from(page)
    before = _count(app, Measurement)
    response = client.post(
        f"/patients/{history['patient_id']}/questionnaires/phq9",
        data={**_answers([1] * 9), "appointment_id": str(history["open_visit"]), "csrf_token": token},
    )
    assert response.status_code == 400
    assert _count(app, Measurement) == before


def test_a_patient_without_scores_gets_no_chart(app, client, clock, setup):
    _sign_in(client, email="doc@example.com")
    html = client.get(f"/patients/{setup['patient_id']}/timeline").data.decode()
    assert "No questionnaires recorded yet." in html and 'id="trend-data"' not in html


def test_an_unbooked_follow_up_is_booked_from_the_home_page_and_named_in_local_time(
    app, client, clock, api_as, setup
):
    with app.app_context():
        series = db.session.get(Series, setup["series_id"])
        follow_ups = [a.id for a in series.appointments if a.kind == "follow_up"]
        patient_name = series.patient.full_name
    clock.now = datetime(2027, 4, 28, 12, 0, tzinfo=UTC)
    api_as("frontdesk").post(f"/api/v1/appointments/{follow_ups[0]}/cancel", json={"reason": "Travel"})
    clock.now = datetime(2027, 5, 3, 12, 0, tzinfo=UTC)
    _sign_in(client, email="doc@example.com")
    home = client.get("/provider").get_data(as_text=True)
    due = re.search(r'name="due" value="([^"]+)"', home).group(1)
    before = _count(app, Appointment)
    answer = client.post(
        f"/provider/series/{setup['series_id']}/book-follow-up",
        data={"due": due, "csrf_token": _token_from(home.encode())},
        follow_redirects=True,
    )
    assert _count(app, Appointment) == before + 1
    with app.app_context():
        booked = db.session.scalars(select(Appointment).order_by(Appointment.id.desc())).first()
        when = format_datetime(booked.start_at, booked.location)
    # The clinic's own wording of the time (en_US: "Tue, May 4, 9:00 AM"), never an ISO-like stamp.
    assert re.fullmatch(r"\w{3}, \w{3} \d{1,2}, \d{1,2}:\d{2}\s[AP]M", when), when
    assert f"Follow-up booked for {patient_name}: {when}." in answer.get_data(as_text=True)
