"""The feed's HTTP behaviour: weak If-None-Match, its precedence over If-Modified-Since, gzip when accepted,
Vary on every answer, HEAD; and a version that moves with everything the feed shows, on every worker."""

import gzip
import http.client

import pytest
from icalendar import Calendar

from clinic.extensions import db
from clinic.models.location import Location
from tests.factories import book_series, make_clinic

RIDE = {
    "mode": "driver",
    "contact_name": "Sam Lindqvist",
    "contact_phone": "+16175550177",
    "status": "arranged",
}


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
    return "/feeds/" + issued.json["url"].split("/feeds/")[1]


def test_weak_and_listed_tags_match_and_if_none_match_wins_over_if_modified_since(client, feed_path):
    first = client.get(feed_path)
    etag, since = first.headers["ETag"], first.headers["Last-Modified"]
    for header in (etag, f"W/{etag}", f'"other", W/{etag}', '"other",' + etag, "*"):
        answer = client.get(feed_path, headers={"If-None-Match": header})
        assert answer.status_code == 304, header
        assert answer.data == b"" and answer.headers["ETag"] == etag
        assert "Accept-Encoding" in answer.headers["Vary"]
    assert client.get(feed_path, headers={"If-None-Match": '"other", W/"other"'}).status_code == 200
    # RFC 9110 13.2.2: with If-None-Match present, If-Modified-Since is not evaluated.
    both = client.get(feed_path, headers={"If-None-Match": '"other"', "If-Modified-Since": since})
    assert both.status_code == 200 and both.data == first.data
    assert client.get(feed_path, headers={"If-Modified-Since": since}).status_code == 304
    assert client.get(feed_path, headers={"If-Modified-Since": "yesterday"}).status_code == 200


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *;q=1", False),
        ("*;q=0", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=nonsense", False),
        ("", False),
    ],
)
def test_gzip_only_when_accepted(client, feed_path, accept, gzipped):
    plain = client.get(feed_path)
    answer = client.get(feed_path, headers={"Accept-Encoding": accept})
    assert answer.status_code == 200
    assert "Accept-Encoding" in answer.headers["Vary"]
    if gzipped:
        assert answer.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(answer.data) == plain.data
        assert len(answer.data) < len(plain.data) / 3
        # Another representation, another strong ETag (RFC 9110 8.8.3).
        assert answer.headers["ETag"] != plain.headers["ETag"] and not answer.headers["ETag"].startswith("W/")
    else:
        assert "Content-Encoding" not in answer.headers
        assert answer.data == plain.data and answer.headers["ETag"] == plain.headers["ETag"]
    again = client.get(
        feed_path, headers={"Accept-Encoding": accept, "If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["ETag"] == answer.headers["ETag"]


def test_head_and_404_carry_the_same_headers(client, feed_path):
    for accept in ("gzip", "identity"):
        get = client.get(feed_path, headers={"Accept-Encoding": accept})
        head = client.head(feed_path, headers={"Accept-Encoding": accept})
        assert head.status_code == 200 and head.data == b""
        for name in ("ETag", "Last-Modified", "Content-Type", "Vary", "Cache-Control", "Content-Length"):
            assert head.headers.get(name) == get.headers.get(name), name
        assert head.headers.get("Content-Encoding") == get.headers.get("Content-Encoding")
    missing = client.get("/feeds/" + "A" * 43 + ".ics", headers={"Accept-Encoding": "gzip"})
    assert missing.status_code == 404 and "Accept-Encoding" in missing.headers["Vary"]


def _events(response) -> dict:
    return {str(e["UID"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}


def _changed(client, feed_path, before):
    """The feed after a change: a new body, ETag and Last-Modified, and a 200 for the old date."""
    after = client.get(feed_path)
    assert after.status_code == 200
    assert after.data != before.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]
    stale = client.get(feed_path, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert stale.status_code == 200
    stale = client.get(feed_path, headers={"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200
    return after


def _bumped(before, after, uid):
    old, new = _events(before)[uid], _events(after)[uid]
    assert new["SEQUENCE"] > old["SEQUENCE"]
    assert new["LAST-MODIFIED"].dt > old["LAST-MODIFIED"].dt
    assert new["DTSTAMP"].dt == new["LAST-MODIFIED"].dt


def test_a_ride_change_bumps_the_event_and_the_feed(app, client, feed_path, booked, api_as):
    before = client.get(feed_path)
    first = booked["appointments"][0]
    uid = api_as("frontdesk").get(f"/api/v1/appointments/{first}").json["uid"]
    assert api_as("frontdesk").put(f"/api/v1/appointments/{first}/transport", json=RIDE).status_code == 200
    after = _changed(client, feed_path, before)
    _bumped(before, after, uid)
    assert "Sam Lindqvist" in str(_events(after)[uid]["DESCRIPTION"])
    others = [u for u in _events(after) if u != uid]
    assert all(_events(after)[u]["SEQUENCE"] == _events(before)[u]["SEQUENCE"] for u in others)


def test_a_location_phone_change_bumps_every_event(app, client, feed_path, booked):
    before = client.get(feed_path)
    with app.app_context():
        db.session.get(Location, booked["location_id"]).phone = "+16175550199"
        db.session.commit()
    after = _changed(client, feed_path, before)
    for uid in _events(after):
        _bumped(before, after, uid)
        # In national format, as the clinic's patients dial it.
        assert "Questions: (617) 555-0199" in str(_events(after)[uid]["DESCRIPTION"])
    # Unchanged from here: byte-identical, and the new validators answer 304.
    assert client.get(feed_path).data == after.data
    assert (
        client.get(feed_path, headers={"If-Modified-Since": after.headers["Last-Modified"]}).status_code
        == 304
    )


def test_a_visit_moved_out_of_the_window_moves_last_modified(client, feed_path, booked, api_as, clock):
    before = client.get(feed_path)
    desk = api_as("frontdesk")
    last = booked["appointments"][-1]
    uid = desk.get(f"/api/v1/appointments/{last}").json["uid"]
    moved = desk.patch(f"/api/v1/appointments/{last}", json={"start": "2028-04-03T10:00:00-04:00"})
    assert moved.status_code == 200, moved.json
    after = _changed(client, feed_path, before)
    assert uid in _events(before) and uid not in _events(after)


def test_a_visit_sliding_out_of_the_window_moves_last_modified(client, feed_path, clock):
    before = client.get(feed_path)
    clock.advance(days=80)  # the first doses (March 2027) are now more than 30 days back
    after = _changed(client, feed_path, before)
    assert len(_events(after)) < len(_events(before))


def test_a_live_server_with_four_workers_agrees_and_compresses(
    app, feed_path, gunicorn_server, booked, api_as
):
    def fetch(method="GET", **headers):
        connection = http.client.HTTPConnection(gunicorn_server.host, gunicorn_server.port, timeout=30)
        connection.request(method, feed_path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    answers = [fetch(**{"Accept-Encoding": "gzip"}) for _ in range(12)]
    assert {response.status for response, _ in answers} == {200}
    assert len({response.headers["ETag"] for response, _ in answers}) == 1
    assert len({body for _, body in answers}) == 1
    response, body = answers[0]
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    plain, plain_body = fetch()
    assert gzip.decompress(body) == plain_body and "Content-Encoding" not in plain.headers
    weak = fetch(**{"If-None-Match": f"W/{plain.headers['ETag']}"})[0]
    assert weak.status == 304
    head, head_body = fetch("HEAD", **{"Accept-Encoding": "gzip"})
    assert head.status == 200 and head_body == b"" and head.headers["ETag"] == response.headers["ETag"]
    # A ride change reaches every worker at once: no worker serves the old body afterwards.
    first = booked["appointments"][0]
    assert api_as("frontdesk").put(f"/api/v1/appointments/{first}/transport", json=RIDE).status_code == 200
    later = [fetch() for _ in range(12)]
    assert {r.headers["ETag"] for r, _ in later} != {plain.headers["ETag"]}
    assert len({r.headers["ETag"] for r, _ in later}) == 1
    assert len({r.headers["Last-Modified"] for r, _ in later}) == 1
    assert all(b"Sam Lindqvist" in b.replace(b"\r\n ", b"") for _, b in later)
