import logging
from datetime import datetime, timedelta

import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.models.feed import FeedEntry
from clinic.models.patient import Patient
from tests.factories import book_series, make_clinic

NEW_YORK_OFFSETS = {timedelta(hours=-5), timedelta(hours=-4)}


@pytest.fixture
def booked(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        return {**clinic, "appointments": [a.id for a in series.appointments]}


@pytest.fixture
def feed_path(api_as, booked):
    issued = api_as("frontdesk").post(f"/api/v1/patients/{booked['patient_id']}/feed")
    assert issued.status_code == 201
    assert issued.json["webcal_url"].startswith("webcal://")
    return "/feeds/" + issued.json["url"].split("/feeds/")[1]


def _calendar(response) -> Calendar:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def test_patient_feed_is_valid_neutral_and_keeps_local_time_across_dst(client, feed_path):
    response = client.get(feed_path)
    calendar = _calendar(response)
    assert "METHOD" not in calendar and "UID" not in calendar
    assert str(calendar["X-WR-CALNAME"]) == "My clinic visits"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.text
    assert "X-PUBLISHED-TTL:PT1H" in response.text
    events = calendar.walk("VEVENT")
    assert len(events) == 14
    assert len({str(e["UID"]) for e in events}) == 14
    assert {str(e["SUMMARY"]) for e in events} == {"Clinic visit"}
    lowered = response.text.lower()
    for word in ("spravato", "esketamine", "ketamine", "dose", "depression"):
        assert word not in lowered
    tzids = {e["DTSTART"].params["TZID"] for e in events}
    assert tzids == {"America/New_York"}
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    expanded = recurring_ical_events.of(calendar).between(datetime(2027, 3, 1), datetime(2027, 6, 1))
    doses = [e for e in expanded if "No food after 7:00\u202fAM" in str(e["DESCRIPTION"])]
    assert len(doses) == 12
    assert {e["DTSTART"].dt.strftime("%H:%M") for e in doses} == {"09:00"}
    assert {e["DTSTART"].dt.utcoffset() for e in doses} == NEW_YORK_OFFSETS
    assert "Ride home: not arranged yet" in str(doses[0]["DESCRIPTION"])
    assert not calendar.walk("VALARM")
    for header, value in (
        ("Cache-Control", "private"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Robots-Tag", "noindex"),
    ):
        assert value in response.headers[header]


def test_unchanged_feed_is_byte_identical_and_conditional_requests_get_304(client, feed_path):
    first, second = client.get(feed_path), client.get(feed_path)
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert client.get(feed_path, headers={"If-None-Match": etag}).status_code == 304
    since = first.headers["Last-Modified"]
    assert client.get(feed_path, headers={"If-Modified-Since": since}).status_code == 304
    head = client.head(feed_path)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag


def test_a_reschedule_raises_sequence_and_a_cancel_marks_cancelled(client, feed_path, booked, api_as, clock):
    before_response = client.get(feed_path)
    before, before_etag = _calendar(before_response), before_response.headers["ETag"]
    desk = api_as("frontdesk")
    moved_id, cancelled_id = booked["appointments"][1], booked["appointments"][2]
    desk.patch(f"/api/v1/appointments/{moved_id}", json={"start": "2027-03-11T13:00:00-05:00"})
    desk.post(f"/api/v1/appointments/{cancelled_id}/cancel", json={"reason": "Patient unwell"})
    after_response = client.get(feed_path)
    after = _calendar(after_response)
    assert after_response.headers["ETag"] != before_etag

    def by_uid(calendar):
        return {str(e["UID"]): e for e in calendar.walk("VEVENT")}

    old, new = by_uid(before), by_uid(after)
    changed = [uid for uid in new if new[uid]["SEQUENCE"] != old[uid]["SEQUENCE"]]
    assert len(changed) == 2
    moved = next(e for e in new.values() if e["DTSTART"].dt.strftime("%H:%M") == "13:00")
    assert moved["SEQUENCE"] == 1
    cancelled = [e for e in new.values() if str(e["STATUS"]) == "CANCELLED"]
    assert len(cancelled) == 1
    clock.advance(days=15)
    assert not [e for e in _calendar(client.get(feed_path)).walk("VEVENT") if str(e["STATUS"]) == "CANCELLED"]


def test_rotation_and_revocation_make_old_urls_404_with_no_hint(client, feed_path, api_as, booked):
    desk = api_as("frontdesk")
    rotated = desk.post(f"/api/v1/patients/{booked['patient_id']}/feed").json["url"]
    old = client.get(feed_path)
    unknown = client.get("/feeds/" + "A" * 43 + ".ics")
    assert old.status_code == unknown.status_code == 404
    assert old.data == unknown.data
    new_path = "/feeds/" + rotated.split("/feeds/")[1]
    assert client.get(new_path).status_code == 200
    assert desk.delete(f"/api/v1/patients/{booked['patient_id']}/feed").status_code == 204
    assert client.get(new_path).status_code == 404
    assert desk.delete(f"/api/v1/patients/{booked['patient_id']}/feed").status_code == 404


def test_each_fetch_is_audited_and_no_token_reaches_any_log(app, client, feed_path, caplog):
    token = feed_path.split("/feeds/")[1].removesuffix(".ics")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', feed_path)
    client.get(feed_path, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert token not in caplog.text
    assert "/feeds/[redacted].ics" in caplog.text
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feed.fetch"))
        assert event.remote_addr == "203.0.113.9" and event.object_type == "patient"
        dumped = [
            repr((e.details, e.object_id, e.actor_label)) for e in db.session.scalars(select(AuditEvent))
        ]
        assert not [d for d in dumped if token in d]


def test_alarms_only_when_the_patient_opted_in(app, client, feed_path, booked):
    with app.app_context():
        db.session.get(Patient, booked["patient_id"]).calendar_alarms = True
        db.session.commit()
    calendar = _calendar(client.get(feed_path))
    # Each of the 12 doses rings at the food cut-off and before the pickup; the two other visits once.
    assert len(calendar.walk("VALARM")) == 12 * 2 + 2


def test_provider_feed_shows_initials_unless_opted_in(app, client, api_as, booked):
    provider = api_as("admin").post(f"/api/v1/providers/{booked['provider_id']}/feed")
    assert provider.status_code == 201
    path = "/feeds/" + provider.json["url"].split("/feeds/")[1]
    summaries = {str(e["SUMMARY"]) for e in _calendar(client.get(path)).walk("VEVENT")}
    assert "Dose 1 · P. I." in summaries
    assert api_as("provider").post(f"/api/v1/providers/{booked['provider_id']}/feed").status_code == 404


def _entries(app) -> dict[int, int]:
    """Feed id -> how many visits the feed keeps what it last showed of."""
    with app.app_context():
        rows = db.session.execute(select(FeedEntry.feed_id, func.count()).group_by(FeedEntry.feed_id)).all()
        return dict(rows)


def test_what_a_feed_keeps_of_its_visits_is_bounded_by_the_window_not_its_history(
    app, client, api_as, booked, feed_path
):
    assert client.get(feed_path).status_code == 200
    assert list(_entries(app).values()) == [14]
    with app.app_context():
        moved = db.session.get(Appointment, booked["appointments"][-1])
        moved.start_at += timedelta(days=800)  # out of the window: the feed no longer shows it
        moved.end_at += timedelta(days=800)
        db.session.commit()
    calendar = _calendar(client.get(feed_path))
    assert len(calendar.walk("VEVENT")) == 13
    assert list(_entries(app).values()) == [13]
    # A new URL revokes the old one, and what the old feed showed is never compared again.
    assert api_as("frontdesk").post(f"/api/v1/patients/{booked['patient_id']}/feed").status_code == 201
    assert _entries(app) == {}
