"""Hostile input: every operation of /api/openapi.json fuzzed by schemathesis, once per staff role.

Each operation runs allowed and forbidden (admin, front desk, provider) against a seeded clinic: no answer may
be a server error, and every answer must be documented (status code, content type and body schema).
"""

import tempfile
from dataclasses import dataclass
from datetime import date, time

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
from clinic.services.auth import resolve_session, start_session
from clinic.services.feeds import issue_feed
from clinic.services.locations import add_closure
from clinic.services.monitoring import record_measurement
from clinic.services.series import create_series
from config import TestingConfig
from tests.factories import FACTORY_ACTOR, make_clinic, make_user

ROLES = ("admin", "frontdesk", "provider")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def seed_clinic(clock) -> dict[str, int]:
    """A location with a closure day and a feed, a provider with a booked Spravato induction series, and a
    measurement with an alert, so that generated ids sometimes name existing rows."""
    clinic = make_clinic()
    series = create_series(
        {
            "patient_id": clinic["patient_id"],
            "protocol": "spravato-induction",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start_date": date(2027, 3, 8),
            "start_time": time(9),
            "parameters": {},
        },
        FACTORY_ACTOR,
        clock.now,
    )
    db.session.flush()
    location = series.location
    add_closure(location, date(2027, 7, 5), "Independence Day", FACTORY_ACTOR, clock.now)
    issue_feed("patient", clinic["patient_id"], FACTORY_ACTOR, clock.now)
    prescriber = make_user("provider", provider_id=clinic["provider_id"])
    first_dose = next(a for a in series.appointments if a.kind == "dose")
    record_measurement(
        first_dose,
        {"instrument": "phq9", "items": [3, 3, 3, 3, 3, 3, 3, 3, 2]},
        Actor(user=prescriber, label="seed"),
        clock.now,
    )
    db.session.commit()
    return {**clinic, "series_id": series.id}


@dataclass
class SignedIn:
    """A staff user of one role with a bearer token, put back whenever a fuzzed request changed them
    (disabled the account, changed its role or provider link, or ended the token)."""

    app: Flask
    clock: object
    user_id: int
    role: str
    provider_id: int | None
    token: str

    def headers(self) -> dict[str, str]:
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            if (user.role, user.provider_id, user.active) != (self.role, self.provider_id, True):
                user.role, user.provider_id, user.active = self.role, self.provider_id, True
                db.session.commit()
            if resolve_session(self.token, "api", self.clock.now) is None:
                self.token = start_session(user, "api", self.clock.now).key
                db.session.commit()
            db.session.remove()
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(params=ROLES)
def signed_in(request: pytest.FixtureRequest, app: Flask, clock) -> SignedIn:
    role = request.param
    with app.app_context():
        clinic = seed_clinic(clock)
        provider_id = clinic["provider_id"] if role == "provider" else None
        user = make_user(role, provider_id=provider_id)
        issued = start_session(user, "api", clock.now)
        db.session.commit()
        signed = SignedIn(app, clock, user.id, role, provider_id, issued.key)
        db.session.remove()
    return signed


def _load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document as served; the document needs no database, so any app serves it."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=instance)
        return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case: schemathesis.Case, app: Flask, signed_in: SignedIn) -> None:
    case.call_and_validate(headers=signed_in.headers(), checks=CHECKS, app=app)
