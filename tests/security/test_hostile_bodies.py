"""Hostile bodies get a clear 4xx problem and write nothing; none of them is a 500."""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.patient import Patient

PATIENT = {"first_name": "Avery", "last_name": "Lindqvist", "date_of_birth": "1984-02-29"}


def _raw(client, path, body: bytes, content_type="application/json"):
    return client.client.open(
        path, method="POST", data=body, headers={**client.headers, "Content-Type": content_type}
    )


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("100,000 nested arrays", b"[" * 100_000),
        ("5,000 nested objects", b'{"a":' * 5000 + b"1" + b"}" * 5000),
        ("nesting just past the limit", b'{"first_name":' + b"[" * 40 + b"]" * 40 + b"}"),
        ("a lone surrogate", b'{"first_name": "\\ud800", "last_name": "X", "date_of_birth": "1984-02-29"}'),
        ("a lone surrogate in a key", b'{"\\udfff": 1}'),
        ("not JSON at all", b"{'first_name': 'Avery'"),
    ],
)
def test_hostile_json_is_a_400_problem_and_writes_nothing(app, api_as, label, body):
    desk = api_as("frontdesk")
    response = _raw(desk, "/api/v1/patients", body)
    assert response.status_code == 400, label
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["status"] == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_a_body_over_one_megabyte_is_refused_unread(app, api_as):
    desk = api_as("frontdesk")
    padding = "x" * (10 * 1024 * 1024)
    response = _raw(desk, "/api/v1/patients", ('{"notes": "' + padding + '"}').encode())
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    # The limit is the setting, not a guess: a body just under it is read and judged on its content.
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    small = _raw(desk, "/api/v1/patients", b'{"first_name": "' + b"x" * 1000 + b'"}')
    assert small.status_code == 422


def test_a_legitimate_body_still_passes(app, api_as):
    response = api_as("frontdesk").post("/api/v1/patients", json=PATIENT)
    assert response.status_code == 201
