"""The feed's HTTP behaviour: weak If-None-Match, its precedence over If-Modified-Since, gzip when accepted,
Vary on every answer, HEAD; and a version that moves with everything the feed shows, on every worker."""

import gzip
import http.client
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from clinic.extensions import db
from clinic.models.location import Location
from tests.concurrency.conftest import WORKERS
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


def _waiting_to_be_accepted(port: int) -> int:
    """Connections in the accept queue of the socket listening on `port` (Linux: a listening socket's
    rx_queue in /proc/net/tcp); 0 where that cannot be read."""
    try:
        table = Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return 0
    for line in table:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            return int(fields[4].split(":")[1], 16)
    return 0


def _from_every_worker(server, path: str, headers: dict[str, str] | None = None) -> list[SimpleNamespace]:
    """One answer from each of the server's workers, as (status, headers, data).

    A sync worker takes one connection at a time and blocks until its request is complete; so WORKERS
    connections, opened together and each holding back its request's final empty line until every one has
    been accepted, are served by WORKERS different workers.
    """
    head = f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    connections = [socket.create_connection((server.host, server.port), timeout=30) for _ in range(WORKERS)]
    try:
        for connection in connections:
            connection.sendall(head.encode())
        deadline = time.monotonic() + 30
        while _waiting_to_be_accepted(server.port) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _waiting_to_be_accepted(server.port), "not every worker took a connection"
        for connection in connections:
            connection.sendall(b"\r\n")
        answers = []
        for connection in connections:
            response = http.client.HTTPResponse(connection)
            response.begin()
            answers.append(
                SimpleNamespace(status=response.status, headers=response.headers, data=response.read())
            )
        return answers
    finally:
        for connection in connections:
            connection.close()


def _served_alike(answers: list[SimpleNamespace]) -> SimpleNamespace:
    """The one answer every worker gave: the same status, body, ETag and Last-Modified."""
    assert len({(a.status, a.data, a.headers["ETag"], a.headers["Last-Modified"]) for a in answers}) == 1
    return answers[0]


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


def test_a_live_server_with_four_workers_agrees_and_compresses(app, feed_path, gunicorn_server):
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


def test_ride_alarm_and_phone_changes_bump_the_events_and_the_etag_on_every_worker(
    feed_path, gunicorn_server, booked, api_as
):
    desk, admin = api_as("frontdesk"), api_as("admin")
    uids = [desk.get(f"/api/v1/appointments/{a}").json["uid"] for a in booked["appointments"]]
    # Every worker renders (and caches) the feed before each change.
    before = _served_alike(_from_every_worker(gunicorn_server, feed_path))

    def served_after_the_change() -> SimpleNamespace:
        """Every worker serves the changed feed: a new ETag and Last-Modified, a 200 (not 304) for the old
        ETag, a 304 for the new one."""
        after = _served_alike(_from_every_worker(gunicorn_server, feed_path))
        assert after.status == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        assert after.headers["Last-Modified"] != before.headers["Last-Modified"]
        stale = _served_alike(
            _from_every_worker(gunicorn_server, feed_path, {"If-None-Match": before.headers["ETag"]})
        )
        assert stale.status == 200 and stale.data == after.data
        fresh = _from_every_worker(gunicorn_server, feed_path, {"If-None-Match": after.headers["ETag"]})
        assert {answer.status for answer in fresh} == {304}
        return after

    # A ride: only its visit's event moves.
    ride = desk.put(f"/api/v1/appointments/{booked['appointments'][0]}/transport", json=RIDE)
    assert ride.status_code == 200, ride.json
    after = served_after_the_change()
    _bumped(before, after, uids[0])
    assert "Sam Lindqvist" in str(_events(after)[uids[0]]["DESCRIPTION"])
    assert all(_events(after)[uid]["SEQUENCE"] == _events(before)[uid]["SEQUENCE"] for uid in uids[1:])

    # Alarms on: every event that now rings moves, and only those.
    before = after
    answer = desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": True})
    assert answer.status_code == 200, answer.json
    after = served_after_the_change()
    ringing = [uid for uid, event in _events(after).items() if event.walk("VALARM")]
    assert uids[0] in ringing
    for uid in _events(after):
        if uid in ringing:
            _bumped(before, after, uid)
        else:
            assert _events(after)[uid]["SEQUENCE"] == _events(before)[uid]["SEQUENCE"]

    # Alarms off again: the same events move once more.
    before = after
    answer = desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": False})
    assert answer.status_code == 200, answer.json
    after = served_after_the_change()
    assert not any(event.walk("VALARM") for event in _events(after).values())
    for uid in ringing:
        _bumped(before, after, uid)

    # The location's phone: every event moves.
    before = after
    answer = admin.patch(f"/api/v1/locations/{booked['location_id']}", json={"phone": "+16175550199"})
    assert answer.status_code == 200, answer.json
    after = served_after_the_change()
    for uid, event in _events(after).items():
        _bumped(before, after, uid)
        assert "Questions: (617) 555-0199" in str(event["DESCRIPTION"])
