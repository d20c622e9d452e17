"""Fifty front desks book the same chair at the same time through gunicorn with four worker processes.

Exactly one booking wins (201); every other one is told the chair is taken (409) without learning who holds
it; nothing answers 5xx and the database holds one appointment. With one provider for every request the
bookings also queue on the provider's row lock; with a provider each, the chair is the only thing they share,
so on PostgreSQL only the exclusion constraint on chair and time stands between the first few of them.
Refused bookings on a closed day warm the workers up first: a cold worker (new database connection, queries
not yet compiled) is slow enough that the first booking commits before the others read, and the race would
never happen.
"""

import http.client
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from tests.concurrency.conftest import GunicornServer
from tests.factories import bearer_for, make_clinic, make_patient, make_provider, make_user

CONTENDERS = 50
# Enough refused bookings that every worker has most likely served the booking path (database connection
# made, queries compiled) before the race, so that the first few contenders really overlap.
WARM_UP_REQUESTS = 16
NEW_YORK = ZoneInfo("America/New_York")
REQUEST_TIMEOUT_SECONDS = 120
# Well above one at a time, so provider capacity never refuses a booking: the chair is the contested resource.
PROVIDER_CAPACITY = 20


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _next_tuesday_at_ten(today: date) -> datetime:
    """10:00 in New York on the first Tuesday at least a week after `today` (always in the real future)."""
    day = today + timedelta(days=7)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime.combine(day, time(10), tzinfo=NEW_YORK)


def _keys(document: Any) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {key for value in document.values() for key in _keys(value)}
    if isinstance(document, list):
        return {key for value in document for key in _keys(value)}
    return set()


def _book(server: GunicornServer, headers: dict[str, str], body: dict, barrier: threading.Barrier) -> Answer:
    """One booking over its own connection, sent when every contender is ready."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.connect()
        barrier.wait()
        connection.request(
            "POST",
            "/api/v1/appointments",
            body=json.dumps(body),
            headers={**headers, "Content-Type": "application/json", "Accept": "application/json"},
        )
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


def _book_all(server: GunicornServer, headers: dict[str, str], bodies: list[dict]) -> list[Answer]:
    barrier = threading.Barrier(len(bodies), timeout=60)
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        futures = [pool.submit(_book, server, headers, body, barrier) for body in bodies]
        return [future.result() for future in futures]


@pytest.mark.parametrize("providers", ["one_provider", "provider_each"])
def test_fifty_simultaneous_bookings_of_one_chair_give_one_201_and_49_409s(
    app, gunicorn_server: GunicornServer, providers: str
):
    start = _next_tuesday_at_ten(datetime.now(NEW_YORK).date())
    with app.app_context():
        clinic = make_clinic()
        location = db.session.get(Location, clinic["location_id"])
        provider_count = 1 if providers == "one_provider" else CONTENDERS
        provider_ids = [
            make_provider(location, max_concurrent=PROVIDER_CAPACITY).id for _ in range(provider_count)
        ]
        patients = [make_patient(last_name=f"Contender{n:02d}") for n in range(CONTENDERS)]
        desk = make_user("frontdesk")
        db.session.commit()
        patient_ids = [patient.id for patient in patients]
        names = {patient.id: (patient.last_name, patient.email) for patient in patients}
        # The server checks the token against the real clock, not the test's frozen one.
        headers = bearer_for(desk, datetime.now(UTC))
    chair_id = clinic["chairs"][0]
    bodies = [
        {
            "patient_id": patient_id,
            "kind": "dose",
            "location_id": clinic["location_id"],
            "provider_id": provider_ids[n % len(provider_ids)],
            "start": start.isoformat(),
            "chair_id": chair_id,
        }
        for n, patient_id in enumerate(patient_ids)
    ]

    closed_sunday = (start - timedelta(days=2)).isoformat()
    warm_up = _book_all(
        gunicorn_server, headers, [{**body, "start": closed_sunday} for body in bodies[:WARM_UP_REQUESTS]]
    )
    assert {answer.status for answer in warm_up} == {409}, warm_up

    answers = _book_all(gunicorn_server, headers, bodies)

    statuses = Counter(answer.status for answer in answers)
    unexpected = [answer for answer in answers if answer.status not in (201, 409)]
    assert not unexpected, f"statuses {dict(statuses)}; first unexpected answer: {unexpected[0]}"
    assert statuses == {201: 1, 409: CONTENDERS - 1}, f"statuses {dict(statuses)}"

    [won] = [answer.json() for answer in answers if answer.status == 201]
    assert won["chair_id"] == chair_id
    assert datetime.fromisoformat(won["start"]) == start
    with app.app_context():
        rows = db.session.scalars(select(Appointment)).all()
        assert len(rows) == 1, [(row.id, row.patient_id, row.chair_id, row.start_at) for row in rows]
        [row] = rows
        assert row.id == won["id"]
        assert row.patient_id == won["patient_id"]
        assert row.chair_id == chair_id
        assert row.start_at == start
        assert row.status == "scheduled"
        uid = row.uid

    # Who holds the chair is none of the other callers' business.
    winner_name, winner_email = names[won["patient_id"]]
    for answer in answers:
        if answer.status != 409:
            continue
        assert answer.content_type.startswith("application/problem+json"), answer
        problem = answer.json()
        assert problem["status"] == 409
        assert problem["conflicts"], problem
        assert not _keys(problem) & {"patient", "patient_id", "patient_name"}, problem
        assert winner_name not in answer.body.decode(), problem
        assert winner_email not in answer.body.decode(), problem
        assert uid not in answer.body.decode(), problem
