"""On PostgreSQL an owner role runs the migrations and the app runs as a role of its own, set up by
`flask db-roles grant`: it reads and writes the app's tables but can only add to and read the audit trail,
never change, erase or unguard it.

Each test makes its own database, owned by a new owner role, and a new app role, and drops all three after.
"""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from clinic import create_app
from clinic.clock import set_clock
from clinic.extensions import db
from clinic.jobs.heartbeat import beat
from clinic.models.audit import AuditEvent
from config import TestingConfig
from tests.api.test_patients import VALID_PATIENT
from tests.conftest import TEST_DATABASE_URL, FrozenClock, skip_or_fail
from tests.factories import DEFAULT_PASSWORD, make_clinic
from tests.web.test_login import _sign_in

# Each of these would let the app's role change, erase or stop guarding the audit trail.
REFUSED = {
    "update a row": "UPDATE audit_events SET action = 'nothing happened'",
    "delete a row": "DELETE FROM audit_events",
    "truncate": "TRUNCATE audit_events",
    "disable its triggers": "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "disable its guard": "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "drop its guard": "DROP TRIGGER audit_events_append_only ON audit_events",
    "replace the guard's function": "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "take the table over": "ALTER TABLE audit_events OWNER TO CURRENT_USER",
    "drop the table": "DROP TABLE audit_events",
    "rewind its ids": "SELECT setval('audit_events_id_seq', 1)",
    "rewrite the migration history": "DELETE FROM alembic_version",
    "truncate another table": "TRUNCATE patients CASCADE",
}


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    owner_url: str
    app_url: str


@pytest.fixture
def roles() -> Iterator[Roles]:
    if not TEST_DATABASE_URL:
        skip_or_fail("TEST_DATABASE_URL is not set")
    suffix = secrets.token_hex(4)
    owner, app_role, database = (f"clinic_{kind}_{suffix}" for kind in ("owner", "app", "roles"))
    passwords = {owner: secrets.token_urlsafe(16), app_role: secrets.token_urlsafe(16)}
    url = make_url(TEST_DATABASE_URL).set(database=database)

    def url_for(role: str) -> str:
        return url.set(username=role, password=passwords[role]).render_as_string(hide_password=False)

    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for role, password in passwords.items():
                connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            connection.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
        yield Roles(owner, app_role, url_for(owner), url_for(app_role))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            for role in passwords:
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def _app(url: str, instance: Path) -> Flask:
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance))


def _cli(app: Flask, *args: str, input: str | None = None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    with app.app_context():
        db.engine.dispose()
    return result


def _upgrade_and_grant(roles: Roles, tmp_path: Path) -> None:
    """The README's release step: as the owner, migrate, then grant the app's role its privileges."""
    owner_app = _app(roles.owner_url, tmp_path / "owner")
    upgraded = _cli(owner_app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    for _ in range(2):  # a second run (the next release) changes nothing and succeeds
        granted = _cli(owner_app, "db-roles", "grant", roles.app)
        assert granted.exit_code == 0, granted.output


@pytest.mark.postgres_only
def test_the_app_role_adds_to_and_reads_the_audit_trail_but_cannot_erase_or_unguard_it(roles, tmp_path):
    _upgrade_and_grant(roles, tmp_path)
    as_app = create_engine(roles.app_url)
    insert = text(
        "INSERT INTO audit_events (occurred_at, actor_label, action, object_type, object_id, remote_addr,"
        " details) VALUES (now(), 'desk@example.com', 'patient.read', 'patient', '1', '', '{}') RETURNING id"
    )
    try:
        with as_app.begin() as connection:
            event_id = connection.scalar(insert)
        with as_app.connect() as connection:
            read = connection.scalar(text("SELECT action FROM audit_events WHERE id = :id"), {"id": event_id})
        assert read == "patient.read"
        refused = {}
        for what, statement in REFUSED.items():
            with pytest.raises(ProgrammingError) as error, as_app.begin() as connection:
                connection.execute(text(statement))
            refused[what] = isinstance(error.value.orig, psycopg.errors.InsufficientPrivilege)
        assert refused == dict.fromkeys(REFUSED, True)
        with as_app.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM audit_events")) == 1
    finally:
        as_app.dispose()
    as_owner = create_engine(roles.owner_url)
    try:
        with as_owner.connect() as connection:
            guard = "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_events_append_only'"
            assert connection.scalar(text(guard)) == "O"  # still enabled
    finally:
        as_owner.dispose()


@pytest.mark.postgres_only
def test_the_app_signs_in_books_dispatches_and_audits_as_the_app_role(roles, tmp_path):
    _upgrade_and_grant(roles, tmp_path)
    app = _app(roles.app_url, tmp_path / "app")
    clock = FrozenClock(datetime(2027, 3, 1, 15, 0, tzinfo=UTC))
    set_clock(app, clock)
    create = ("users", "create", "desk@example.com", "--role", "frontdesk", "--password-stdin")
    created = _cli(app, *create, input=DEFAULT_PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    with app.app_context():
        clinic = make_clinic()
        db.session.remove()
    client = app.test_client()
    assert _sign_in(client).status_code == 302
    login = {"email": "desk@example.com", "password": DEFAULT_PASSWORD}
    token = client.post("/api/v1/auth/token", json=login)
    assert token.status_code == 201, token.json
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    patient = client.post("/api/v1/patients", json=VALID_PATIENT, headers=headers)
    assert patient.status_code == 201, patient.json
    visit = {
        "patient_id": clinic["patient_id"],
        "kind": "dose",
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start": "2027-03-02T10:00:00-05:00",
        "chair_id": clinic["chairs"][0],
    }
    booked = client.post("/api/v1/appointments", json=visit, headers=headers)
    assert booked.status_code == 201, booked.json
    dispatched = _cli(app, "reminders", "dispatch", "--once")
    assert dispatched.exit_code == 0, dispatched.output
    with app.app_context():
        beat(clock.now)
        db.session.commit()
        actions = set(db.session.scalars(select(AuditEvent.action)))
        db.session.remove()
        db.engine.dispose()
    assert client.get("/readyz").status_code == 200
    assert {"user.create", "login.success", "patient.create", "appointment.book"} <= actions, actions


@pytest.mark.postgres_only
def test_granting_refuses_roles_that_would_not_be_restrained(roles, tmp_path):
    _upgrade_and_grant(roles, tmp_path)
    owner_app = _app(roles.owner_url, tmp_path / "owner")
    superuser = make_url(TEST_DATABASE_URL).username
    assert "is a superuser" in _cli(owner_app, "db-roles", "grant", superuser).output
    assert "owns the tables" in _cli(owner_app, "db-roles", "grant", roles.owner).output
    missing = _cli(owner_app, "db-roles", "grant", f"{roles.app}_missing")
    assert missing.exit_code != 0 and "There is no database role" in missing.output
    as_app = _cli(_app(roles.app_url, tmp_path / "app"), "db-roles", "grant", roles.app)
    assert as_app.exit_code != 0 and f"Run this as the tables' owner, {roles.owner}" in as_app.output


def test_granting_on_sqlite_says_roles_need_postgresql(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'clinic.sqlite3'}", tmp_path)
    result = _cli(app, "db-roles", "grant", "clinic_app")
    assert result.exit_code != 0
    assert "Database roles need PostgreSQL; this database is sqlite." in result.output
