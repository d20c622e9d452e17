"""Secret links leave no readable part of their token in a log line, however the client spelled the path."""

import logging
import re

import pytest

from clinic import create_app
from clinic.logredact import SECRET_LINK_PREFIXES, redact
from clinic.logsetup import TextFormatter
from config import TestingConfig
from tests.logs.spellings import FEED_TOKEN, LINKS, QUESTIONNAIRE_TOKEN, RIDE_TOKEN, leaked, spellings

SPELLINGS = [
    pytest.param(prefix, token, path, id=f"{prefix.strip('/')}: {name}")
    for prefix, token, suffix in LINKS
    for name, path in spellings(prefix, token, suffix).items()
]
# Routes whose text arguments are not secrets. Any other route with one must start with a secret prefix.
NOT_SECRET_RULES = {
    "/static/<path:filename>",
    "/appointments/<int:appointment_id>/measurements/<instrument>",
    "/floor/visits/<int:appointment_id>/measurements/<any(bp, sedation):instrument>",
    "/api/v1/protocols/<string:code>",
    "/admin/protocols/<string:code>",
    "/patients/<int:patient_id>/questionnaires/<any(phq9, gad7):instrument>",
    "/fhir/<path:unknown>",  # an unknown FHIR path, answered with an OperationOutcome
    "/fhir/Observation/<observation_id>",  # a measurement's id, "12" or "12-item9"
}


@pytest.mark.parametrize(("prefix", "token", "path"), SPELLINGS)
def test_no_part_of_the_token_survives_any_spelling_of_the_path(prefix, token, path):
    before, after = '203.0.113.9 "GET ', ' HTTP/1.1" 200 512 3ms request_id=req-1'
    redacted = redact(before + path + after)
    assert leaked(token, redacted) == [], redacted
    assert "[redacted]" in redacted
    assert redacted.startswith(before) and redacted.endswith(after)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /feeds/{FEED_TOKEN}.ics HTTP/1.1", "GET /feeds/[redacted].ics HTTP/1.1"),
        (f"GET /FEEDS/{FEED_TOKEN}.ICS HTTP/1.1", "GET /FEEDS/[redacted].ICS HTTP/1.1"),
        (f"GET /feeds/{FEED_TOKEN} HTTP/1.1", "GET /feeds/[redacted] HTTP/1.1"),
        (f"GET /feeds/%6A{FEED_TOKEN[1:]}.ics HTTP/1.1", "GET /feeds/[redacted].ics HTTP/1.1"),
        (f"GET /ride/{RIDE_TOKEN} HTTP/1.1", "GET /ride/[redacted] HTTP/1.1"),
        (f"GET /q/{QUESTIONNAIRE_TOKEN}?page=2 HTTP/1.1", "GET /q/[redacted]?page=2 HTTP/1.1"),
        # An escape outside the token stays an escape: decoding must not let a line forge another.
        (f"GET /feeds/{FEED_TOKEN}.ics?x=%0Afake HTTP/1.1", "GET /feeds/[redacted].ics?x=%0Afake HTTP/1.1"),
    ],
)
def test_the_rest_of_the_line_stays_as_it_was(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"webcal://clinic.example.org/feeds/{FEED_TOKEN}.ics",
        f"Reply with your driver: https://clinic.example.org/ride/{RIDE_TOKEN}",
        f"GET /login?next=%2Fride%2F{RIDE_TOKEN}&x=1 HTTP/1.1",
        f"GET /login?next=%2fRIDE%2f{RIDE_TOKEN} HTTP/1.1",
        f"KeyError('/feeds/{FEED_TOKEN}.ics')",
        f'{{"path": "/ride/{RIDE_TOKEN}"}}',
        f'"POST /ride/{RIDE_TOKEN} HTTP/1.1" 200 "https://example.org/ride/{RIDE_TOKEN}" "Mozilla/5.0"',
        f"/feeds/{FEED_TOKEN}.ics and /feeds/{FEED_TOKEN[::-1]}.ics",
    ],
)
def test_links_anywhere_in_a_line_are_redacted(text):
    redacted = redact(text)
    assert leaked(FEED_TOKEN, redacted) == leaked(RIDE_TOKEN, redacted) == []
    assert leaked(FEED_TOKEN[::-1], redacted) == []


@pytest.mark.parametrize(
    "line",
    [
        "GET /patients/?q=%25smith%0A HTTP/1.1",
        "GET /rides/at-risk?hours=48 HTTP/1.1",
        "POST /patients/12/feed HTTP/1.1",
        "GET /me/feed HTTP/1.1",
        "GET /feeds/ HTTP/1.1",
        # A traceback names the source files of the package that serves feeds.
        'File "/srv/app/clinic/feeds/views.py", line 40, in fetch',
        'File "/srv/app/clinic/feeds/__init__.py", line 1, in <module> (100%)',
        "100% done",
        "",
    ],
)
def test_lines_without_a_secret_link_are_left_alone(line):
    assert redact(line) == line


@pytest.mark.parametrize("prefix", SECRET_LINK_PREFIXES)
def test_each_secret_prefix_is_redacted(prefix):
    assert redact(f"GET {prefix.upper()}{FEED_TOKEN} HTTP/1.1") == f"GET {prefix.upper()}[redacted] HTTP/1.1"


def test_every_route_with_a_text_argument_is_a_secret_link_or_known_not_to_be(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))
    routes = {rule.rule for rule in app.url_map.iter_rules() if re.search(r"<(?!int:)", rule.rule)}
    unknown = {rule for rule in routes - NOT_SECRET_RULES if not rule.startswith(SECRET_LINK_PREFIXES)}
    assert unknown == set(), "add the route's prefix to SECRET_LINK_PREFIXES, or list it as not secret here"
    assert {"/feeds/<token>.ics", "/ride/<token>"} <= routes


def test_a_traceback_in_a_text_log_line_is_redacted_too():
    try:
        raise LookupError(f"/feeds/{FEED_TOKEN}.ics")
    except LookupError as error:
        exc_info = (type(error), error, error.__traceback__)
    record = logging.LogRecord("clinic", logging.ERROR, __file__, 1, "failed", (), exc_info)
    record.request_id = "-"
    line = TextFormatter().format(record)
    assert "LookupError: /feeds/[redacted].ics" in line
    assert leaked(FEED_TOKEN, line) == []
