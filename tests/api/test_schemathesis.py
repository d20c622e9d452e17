"""Hostile input: every operation of /api/openapi.json fuzzed by schemathesis, once per staff role.

Each operation runs as an admin, a front desk user and a provider (so both allowed and forbidden) against a
seeded clinic. No answer may be a server error, and every answer must be documented: its status code, its
content type and its body schema.

The document is loaded once at import, from an app that needs no database (serving the document touches
none); every request goes to the test's own app. ``schemathesis.pytest.from_fixture`` would load it per test
instead, but its lazy loader sets ``Function._nodeid``, which pytest 9.2 no longer has.
"""

import tempfile
from dataclasses import dataclass
from datetime import date, datetime

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic import create_app
from clinic.extensions import db
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.auth import resolve_session
from clinic.services.commands import CheckIn
from clinic.services.feeds import issue_feed
from clinic.services.locations import add_closure
from clinic.services.monitoring import record_measurement
from clinic.services.session import check_in
from config import TestingConfig
from tests.conftest import FrozenClock
from tests.factories import FACTORY_ACTOR, bearer_for, book_series, make_clinic, make_user

ROLES = ("admin", "frontdesk", "provider")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Operations that may end the signed-in user's token or change the account itself.
TOUCH_SIGNED_IN_USER = {("DELETE", "/api/v1/auth/token"), ("PATCH", "/api/v1/users/{user_id}")}


def _load_schema() -> schemathesis.BaseSchema:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=instance)
        return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = _load_schema()


def seed_clinic(now: datetime) -> dict[str, int]:
    """A location with a closure day, a provider with a booked Spravato induction series, a patient with a
    calendar feed, and a PHQ-9 with an alert taken at the checked-in first dose, so that generated ids
    sometimes name existing rows."""
    clinic = make_clinic()
    series = book_series(clinic, now)
    add_closure(series.location, date(2027, 7, 5), "Independence Day", FACTORY_ACTOR, now)
    issue_feed("patient", clinic["patient_id"], FACTORY_ACTOR, now)
    prescriber = make_user("provider", provider_id=clinic["provider_id"])
    first_dose = next(a for a in series.appointments if a.kind == "dose")
    # The questionnaire is taken in the chair, so the first dose is checked in at its start.
    arrived = first_dose.start_at
    check_in(first_dose, CheckIn(override_reason="ride on its way"), FACTORY_ACTOR, arrived)
    record_measurement(
        first_dose,
        {"instrument": "phq9", "items": [3, 3, 3, 3, 3, 3, 3, 3, 2]},
        Actor(user=prescriber, label="seed", trusted=True),
        arrived,
    )
    db.session.commit()
    return {**clinic, "series_id": series.id}


@dataclass
class SignedIn:
    """A staff user of one role and its bearer token."""

    app: Flask
    clock: FrozenClock
    user_id: int
    role: str
    provider_id: int | None
    headers: dict[str, str]

    def restore(self) -> None:
        """Undo what a fuzzed request did to the account (disabled it, changed its role or provider link)
        or to its token (ended it), so the next request is signed in as before."""
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            if (user.role, user.provider_id, user.active) != (self.role, self.provider_id, True):
                user.role, user.provider_id, user.active = self.role, self.provider_id, True
            db.session.commit()
            token = self.headers["Authorization"].removeprefix("Bearer ")
            if resolve_session(token, "api", self.clock.now) is None:
                self.headers = bearer_for(user, self.clock.now)
            db.session.remove()


@pytest.fixture(params=ROLES)
def signed_in(request: pytest.FixtureRequest, app: Flask, clock: FrozenClock) -> SignedIn:
    role = request.param
    with app.app_context():
        clinic = seed_clinic(clock.now)
        provider_id = clinic["provider_id"] if role == "provider" else None
        user = make_user(role, provider_id=provider_id)
        signed = SignedIn(app, clock, user.id, role, provider_id, bearer_for(user, clock.now))
        db.session.remove()
    return signed


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_answers_as_documented(case: schemathesis.Case, app: Flask, signed_in: SignedIn) -> None:
    try:
        case.call_and_validate(app=app, headers=signed_in.headers, checks=CHECKS)
    finally:
        if (case.method.upper(), case.path) in TOUCH_SIGNED_IN_USER:
            signed_in.restore()
