"""Therapy sessions of a protocol (a virtual preparation session, integration sessions after each dose):
booked with the series from the API and the booking page, moved and cancelled with it, in the patient's
calendar feed with the join link, and virtual visits refused without an https join link."""

import re
from datetime import date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.series import Series
from clinic.services.reminders import render_reminder
from tests.factories import make_clinic, make_user
from tests.web.test_login import _sign_in

JOIN = "https://video.example.com/room/riverside-7"
THERAPY = {
    "code": "spravato-with-therapy",
    "name": "Spravato induction with therapy",
    "based_on": "spravato-induction",
    "definition": {
        "preparation": {"min_days_before": 1, "max_days_before": 7, "modality": "virtual"},
        "integration": {"within_days": 2, "every_doses": 1},
    },
}
DOSES, FOLLOW_UPS = 12, 2


@pytest.fixture
def clinic(app, api_as):
    with app.app_context():
        clinic = make_clinic()
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    created = api_as("admin").post("/api/v1/protocols", json=THERAPY)
    assert created.status_code == 201, created.json
    return clinic


@pytest.fixture
def desk(api_as):
    return api_as("frontdesk")


def _body(clinic, **extra):
    return {
        "patient_id": clinic["patient_id"],
        "protocol": THERAPY["code"],
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": "2027-03-08",
        "start_time": "09:00",
        **extra,
    }


def _day(visit) -> date:
    return datetime.fromisoformat(visit["start"]).date()


def _kinds(visits) -> dict[str, list]:
    found: dict[str, list] = {}
    for visit in visits:
        found.setdefault(visit["kind"], []).append(visit)
    return found


def test_the_protocol_round_trips_its_therapy_sessions(clinic, api_as):
    detail = api_as("admin").get(f"/api/v1/protocols/{THERAPY['code']}").json
    assert detail["definition"]["preparation"] == {
        "min_days_before": 1,
        "max_days_before": 7,
        "duration_minutes": 60,
        "modality": "virtual",
    }
    assert detail["integration"] == {
        "within_days": 2,
        "every_doses": 1,
        "duration_minutes": 60,
        "modality": "in_person",
    }
    bad = api_as("admin").patch(
        f"/api/v1/protocols/{THERAPY['code']}",
        json={"definition": {"integration": {"within_days": 0}}},
    )
    assert bad.status_code == 422 and any("integration.within_days" in f for f in bad.json["errors"])


def test_a_series_books_its_sessions_with_the_doses_and_moves_and_cancels_them(app, clinic, desk):
    preview = desk.post("/api/v1/series/preview", json=_body(clinic))
    assert preview.status_code == 200 and preview.json["ok"] is True, preview.json
    planned = _kinds(preview.json["occurrences"])
    [preparation] = planned["preparation"]
    # Sunday and Saturday are closed: the session goes to the Friday before, and says why
    assert (preparation["status"], _day(preparation), preparation["modality"]) == (
        "moved",
        date(2027, 3, 5),
        "virtual",
    )
    assert "Outside opening hours" in preparation["reasons"][0]
    assert [v["label"] for v in planned["integration"]][:2] == [
        "Integration after dose 1",
        "Integration after dose 2",
    ]

    created = desk.post("/api/v1/series", json=_body(clinic, join_url=JOIN))
    assert created.status_code == 201, created.json
    booked = _kinds(created.json["appointments"])
    assert [len(booked[k]) for k in ("dose", "follow_up", "preparation", "integration")] == [
        DOSES,
        FOLLOW_UPS,
        1,
        DOSES,
    ]
    doses, integration = booked["dose"], booked["integration"]
    # each integration session is the day after its dose, in person, at the series' time
    assert [_day(i) for i in integration] == [_day(d) + timedelta(days=1) for d in doses]
    assert {datetime.fromisoformat(i["start"]).strftime("%H:%M") for i in integration} == {"09:00"}
    assert {(i["modality"], i["join_url"], i["chair_id"], i["transport"]) for i in integration} == {
        ("in_person", None, None, None)
    }
    [preparation] = booked["preparation"]
    assert (preparation["modality"], preparation["join_url"], preparation["chair_id"]) == (
        "virtual",
        JOIN,
        None,
    )
    assert preparation["transport"] is None
    assert all(
        d["chair_id"] in clinic["rooms"] and d["transport"] and d["modality"] == "in_person" for d in doses
    )
    detail = desk.get(f"/api/v1/appointments/{preparation['id']}").json
    assert (detail["modality"], detail["join_url"]) == ("virtual", JOIN)

    # moving the series a week later from its first dose takes the preparation and every session along
    first = doses[0]
    moved = desk.patch(
        f"/api/v1/appointments/{first['id']}",
        json={"start": "2027-03-15T09:00:00-04:00", "scope": "following"},
    )
    assert moved.status_code == 200, moved.json
    after = _kinds(desk.get(f"/api/v1/appointments?patient_id={clinic['patient_id']}").json)
    assert _day(after["preparation"][0]) == date(2027, 3, 12)
    assert [_day(i) for i in after["integration"]] == [_day(i) + timedelta(days=7) for i in integration]
    assert [_day(i) for i in after["integration"]] == [_day(d) + timedelta(days=1) for d in after["dose"]]

    with app.app_context():
        series_id = db.session.scalars(select(Series.id)).one()
    cancelled = desk.post(f"/api/v1/series/{series_id}/cancel", json={"reason": "Moving away"})
    assert cancelled.status_code == 200, cancelled.json
    statuses = {
        (v["kind"], v["status"])
        for v in desk.get(f"/api/v1/appointments?patient_id={clinic['patient_id']}").json
    }
    assert statuses == {(kind, "cancelled") for kind in ("dose", "follow_up", "preparation", "integration")}


def test_a_virtual_session_without_an_https_join_link_is_refused_naming_it(app, clinic, desk):
    for join_url in (None, "", "http://video.example.com/room", "video.example.com"):
        body = _body(clinic) if join_url is None else _body(clinic, join_url=join_url)
        refused = desk.post("/api/v1/series", json=body)
        assert refused.status_code == 422 and "join_url" in refused.json["errors"], refused.json
    single = {
        "patient_id": clinic["patient_id"],
        "kind": "integration",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-03T10:00:00-05:00",
        "modality": "virtual",
    }
    for extra in ({}, {"join_url": "http://video.example.com/room"}, {"join_url": None}):
        refused = desk.post("/api/v1/appointments", json={**single, **extra})
        assert refused.status_code == 422 and "join_url" in refused.json["errors"], refused.json
    dose = desk.post(
        "/api/v1/appointments",
        json={**single, "kind": "dose", "protocol": "iv-ketamine-booster", "join_url": JOIN},
    )
    assert dose.status_code == 422 and "modality" in dose.json["errors"]
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []

    booked = desk.post("/api/v1/appointments", json={**single, "join_url": JOIN})
    assert booked.status_code == 201, booked.json
    assert (booked.json["modality"], booked.json["join_url"], booked.json["chair_id"]) == (
        "virtual",
        JOIN,
        None,
    )


def test_the_booking_page_books_the_sessions_and_asks_for_the_join_link(app, clinic):
    browser = app.test_client()
    assert _sign_in(browser, email="desk@example.com").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    form = {key: str(value) for key, value in _body(clinic).items()}
    refused = browser.post("/book/", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "A virtual visit needs its join link" in page
    preview = browser.post("/book/preview", data=form).get_data(as_text=True)
    assert "Integration after dose 12" in preview and "Virtual" in preview
    assert browser.post("/book/", data={**form, "join_url": JOIN}).status_code == 302
    with app.app_context():
        visits = db.session.scalars(select(Appointment)).all()
        kinds = sorted({(v.kind, v.modality.value) for v in visits})
        assert kinds == [
            ("dose", "in_person"),
            ("follow_up", "in_person"),
            ("integration", "in_person"),
            ("preparation", "virtual"),
        ]
        preparation = next(v for v in visits if v.kind == "preparation")
        assert preparation.join_url == JOIN and preparation.chair_id is None and preparation.transport is None
        prep_id = preparation.id
    visit_page = browser.get(f"/appointments/{prep_id}").get_data(as_text=True)
    assert (
        "Virtual" in visit_page and f'href="{JOIN}"' in visit_page and 'data-testid="join-link"' in visit_page
    )
    today = browser.get(f"/today/?location_id={clinic['location_id']}&date=2027-03-05").get_data(as_text=True)
    assert "visit-virtual" in today and "preparation · virtual" in today
    week = browser.get(f"/week/?location_id={clinic['location_id']}&date=2027-03-08").get_data(as_text=True)
    assert "visit-therapy" in week and "integration" in week


def test_the_feed_and_reminders_carry_the_join_link_and_no_arrival_or_drug(app, clinic, desk, client, clock):
    assert desk.post("/api/v1/series", json=_body(clinic, join_url=JOIN)).status_code == 201
    issued = desk.post(f"/api/v1/patients/{clinic['patient_id']}/feed")
    feed = client.get("/feeds/" + issued.json["url"].split("/feeds/")[1])
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert len(events) == DOSES + FOLLOW_UPS + 1 + DOSES
    virtual = [e for e in events if f"Join: {JOIN}" in str(e["DESCRIPTION"])]
    assert len(virtual) == 1
    [session] = virtual
    assert str(session["URL"]) == JOIN and str(session["LOCATION"]) == "Online"
    assert "arrive" not in str(session["DESCRIPTION"]).lower()
    assert str(session["SUMMARY"]) == "Clinic visit"
    assert session.decoded("DTSTART").date() == date(2027, 3, 5)
    in_person = [e for e in events if e is not session]
    assert all("Please arrive by" in str(e["DESCRIPTION"]) for e in in_person)

    with app.app_context():
        visits = db.session.scalars(select(Appointment)).all()
        preparation = next(v for v in visits if v.kind == "preparation")
        integration = next(v for v in visits if v.kind == "integration")
        for visit in (preparation, integration):
            for channel in ("email", "sms"):
                message = render_reminder("visit_24h", channel, visit, clock.now)
                text = f"{message.subject}\n{message.text}".lower()
                assert not any(word in text for word in ("ketamine", "spravato", "esketamine", "dose"))
        email = render_reminder("visit_24h", "email", preparation, clock.now)
        sms = render_reminder("visit_24h", "sms", preparation, clock.now)
        assert f"Join: {JOIN}" in email.text and f"Join: {JOIN}" in sms.text
        assert "arrive" not in email.text.lower() and "arrive" not in sms.text.lower()
        assert "preparation session" in email.text
        assert "Please arrive by" in render_reminder("visit_24h", "email", integration, clock.now).text


def test_the_protocol_editor_sets_the_session_rules_and_names_a_bad_one(app):
    from tests.web.test_admin_protocols import _copy_form

    with app.app_context():
        make_user("admin", email="admin@example.com")
        db.session.commit()
    admin = app.test_client()
    assert _sign_in(admin, email="admin@example.com").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    form = _copy_form(admin)
    assert form["preparation_max_days_before"] == "14" and form["integration_within_days"] == "2"
    form.update(
        code="iv-with-sessions", name="IV with sessions", integration="y", integration_every_doses="2"
    )
    form.update(preparation="y", preparation_min_days_before="3", preparation_modality="virtual")
    refused = admin.post("/admin/protocols/new", data={**form, "preparation_max_days_before": "2"})
    assert refused.status_code == 422
    assert "must be between min_days_before" in refused.get_data(as_text=True)
    assert admin.post("/admin/protocols/new", data=form).status_code == 302
    with app.app_context():
        from clinic.models.protocol import Protocol

        spec = db.session.scalar(select(Protocol).where(Protocol.code == "iv-with-sessions")).spec()
        assert (spec.integration.every_doses, spec.integration.modality) == (2, "in_person")
        assert (spec.preparation.min_days_before, spec.preparation.modality) == (3, "virtual")
    page = admin.get("/admin/protocols/iv-with-sessions").get_data(as_text=True)
    assert re.search(r'<input checked id="integration"', page) and re.search(
        r'<input checked id="preparation"', page
    )
