"""Feeds across two spring-forward changes, read by Mozilla's ical.js (Thunderbird), by libical (Evolution,
GNOME, KDE) and by icalendar, land every visit on the instant the database stores, in a northern, a southern
and a no-DST zone. (Provider feeds: they cover 13 months; a location's feed covers about 100 days.)"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.services.appointments import book_appointment
from tests.factories import FACTORY_ACTOR, make_clinic
from tests.feeds.icaljs import read_with_icaljs
from tests.feeds.libical import read_with_libical

ZONES = ("America/New_York", "Australia/Sydney", "Asia/Kolkata")
# Weekdays on both sides of each zone's changes in 2027 and 2028 (New York: 14 Mar 2027, 7 Nov 2027,
# 12 Mar 2028; Sydney: 4 Apr 2027, 3 Oct 2027, 2 Apr 2028), and a summer and a winter day.
DAYS = (
    date(2027, 3, 12), date(2027, 3, 15), date(2027, 4, 2), date(2027, 4, 5), date(2027, 7, 12),
    date(2027, 10, 1), date(2027, 10, 4), date(2027, 11, 5), date(2027, 11, 8), date(2028, 1, 10),
    date(2028, 3, 10), date(2028, 3, 13), date(2028, 3, 29),
)  # fmt: skip


@pytest.fixture
def spanning_feeds(app, client, api_as, clock):
    """Each zone's provider feed (its bytes) on 1 April 2027, and what the database stores of every visit:
    UID -> (start, end, zone)."""
    paths = {}
    with app.app_context():
        for tz in ZONES:
            clinic = make_clinic(timezone=tz)
            for day in DAYS:
                start = datetime.combine(day, time(10), tzinfo=ZoneInfo(tz)).astimezone(UTC)
                data = {
                    "patient_id": clinic["patient_id"],
                    "kind": "follow_up",
                    "location_id": clinic["location_id"],
                    "provider_id": clinic["provider_id"],
                    "start": start,
                }
                book_appointment(data, FACTORY_ACTOR, clock.now)
            db.session.commit()
            paths[tz] = clinic["provider_id"]
    desk = api_as("admin")
    for tz, provider_id in paths.items():
        issued = desk.post(f"/api/v1/providers/{provider_id}/feed")
        assert issued.status_code == 201, issued.json
        paths[tz] = "/feeds/" + issued.json["url"].split("/feeds/")[1]
    # On 1 April 2027 the window (30 days back, 12 months ahead) holds both New York spring-forwards, and
    # Sydney's autumn and spring changes.
    clock.now = datetime(2027, 4, 1, 12, tzinfo=UTC)
    with app.app_context():
        visits = db.session.scalars(select(Appointment))
        stored = {a.uid: (a.start_at, a.end_at, a.location.timezone) for a in visits}
    feeds = {}
    for tz, path in paths.items():
        response = client.get(path)
        assert response.status_code == 200
        feeds[tz] = response.data
    return feeds, stored


def test_provider_feeds_spanning_two_spring_forwards_read_right_in_ical_js(spanning_feeds):
    feeds, stored = spanning_feeds
    for tz, body in feeds.items():
        read = read_with_icaljs(body)
        assert len(read) == len(DAYS)
        for uid, (start, end, tzid) in read.items():
            assert (start, end, tzid) == stored[uid], (tz, uid)
        # icalendar, reading the embedded VTIMEZONE rather than the IANA name, agrees with the database.
        calendar = Calendar.from_ical(body)
        (vtimezone,) = calendar.walk("VTIMEZONE")
        assert "RDATE" not in vtimezone.to_ical().decode()
        embedded = vtimezone.to_tz(lookup_tzid=False)
        for event in calendar.walk("VEVENT"):
            start, end, _ = stored[str(event["UID"])]
            local = event["DTSTART"].dt.replace(tzinfo=embedded)
            assert local.astimezone(UTC) == start
            assert event["DTEND"].dt.replace(tzinfo=embedded).astimezone(UTC) == end


def test_provider_feeds_spanning_two_spring_forwards_read_right_in_libical(
    spanning_feeds, libical_reader, tmp_path
):
    feeds, stored = spanning_feeds
    for tz, body in feeds.items():
        read = read_with_libical(libical_reader, body, tmp_path)
        # Neither libical's parser nor its RFC 5545/5546 restriction checks find anything to object to.
        assert read.errors == [], tz
        assert len(read.events) == len(DAYS)
        for uid, (start, end, tzid) in read.events.items():
            assert (start, end, tzid) == stored[uid], (tz, uid)
