"""Real servers' access logs carry no readable part of a secret link's token, however the client spelled it.

gunicorn (the production server, with gunicorn.conf.py's access log format) writes its access log in its
worker processes, and werkzeug's server (`make run`) through the `werkzeug` logger: both are requested with
every spelling, and their whole output is searched for any run of the token.
"""

import http.client
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from clinic.extensions import db
from clinic.services.feeds import issue_feed
from tests.concurrency.conftest import GunicornServer
from tests.factories import FACTORY_ACTOR, make_clinic
from tests.logs.spellings import LINKS, leaked, spellings

LOG_WAIT_SECONDS = 10


def _get(host: str, port: int, path: str) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _issued_feed_token(app) -> str:
    with app.app_context():
        clinic = make_clinic()
        issued = issue_feed("patient", clinic["patient_id"], FACTORY_ACTOR, datetime.now(UTC))
        db.session.commit()
    return issued.url.split("/feeds/", 1)[1].removesuffix(".ics")


def _links(feed_token: str) -> list[tuple[str, list[str]]]:
    """(token, request paths) for a real feed token and for ride and questionnaire links."""
    links = [("/feeds/", feed_token, ".ics"), *(link for link in LINKS if link[0] != "/feeds/")]
    return [(token, list(spellings(prefix, token, suffix).values())) for prefix, token, suffix in links]


def _request_every_spelling(host: str, port: int, links: list[tuple[str, list[str]]]) -> list[tuple]:
    """(path, status) for each request, in order."""
    return [(path, _get(host, port, path)) for _, paths in links for path in paths]


def test_gunicorn_access_log_redacts_every_spelling(app, backend, gunicorn_server: GunicornServer):
    if backend != "sqlite":
        pytest.skip("the access log does not depend on the database")
    feed_token = _issued_feed_token(app)
    links = _links(feed_token)
    answers = _request_every_spelling(gunicorn_server.host, gunicorn_server.port, links)
    statuses = dict(answers)
    # The feed opens however its path is escaped, so these spellings are live secrets.
    escaped = f"/feeds/%{ord(feed_token[0]):02X}{feed_token[1:]}.ics"
    assert statuses[f"/feeds/{feed_token}.ics"] == statuses[escaped] == 200
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while gunicorn_server.log().count("[redacted]") < len(answers) and time.monotonic() < deadline:
        time.sleep(0.1)  # the workers write their access lines just after answering
    log = gunicorn_server.log()
    # One line per request: the access line, or the warning for a request line gunicorn refuses.
    assert log.count("[redacted]") >= len(answers), log
    for token, _ in links:
        assert leaked(token, log) == []


@pytest.fixture
def werkzeug_server(app) -> Iterator[tuple[str, int]]:
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_werkzeug_request_log_redacts_every_spelling(app, backend, werkzeug_server, caplog):
    if backend != "sqlite":
        pytest.skip("the request log does not depend on the database")
    feed_token = _issued_feed_token(app)
    links = _links(feed_token)
    caplog.set_level(logging.INFO, logger="werkzeug")
    answers = _request_every_spelling(*werkzeug_server, links)
    assert dict(answers)[f"/feeds/{feed_token}.ics"] == 200
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(request_lines) == len(answers)
    assert all("[redacted]" in line for line in request_lines), request_lines
    for token, _ in links:
        assert leaked(token, caplog.text) == []
