"""Test harness: an app per test on SQLite and, when TEST_DATABASE_URL is set, again on PostgreSQL.

The schema is built once per run by the real migrations (which also proves `flask db upgrade` works from
empty); each SQLite test gets its own copy of that database file, and each PostgreSQL test is followed by a
TRUNCATE.
With CLINIC_REQUIRE_ALL=1 a missing PostgreSQL or Chromium fails the run instead of skipping.
"""

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import limits.storage.memory
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from clinic import create_app
from clinic.clock import set_clock
from clinic.extensions import db
from config import TestingConfig

pytest_plugins = ["tests.delivery"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_ALL = os.environ.get("CLINIC_REQUIRE_ALL") == "1"
BACKENDS = ("sqlite", "postgresql")


def skip_or_fail(reason: str) -> None:
    """Skip a test whose infrastructure is missing, or fail it when the run requires everything."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (CLINIC_REQUIRE_ALL=1)")
    pytest.skip(reason)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _migrate(url: str, instance_path: Path) -> None:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database file built by the migrations, copied for each test."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.sqlite3"
    _migrate(f"sqlite:///{path}", directory)
    return path


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The PostgreSQL test database, emptied and rebuilt by the migrations once per run."""
    if not TEST_DATABASE_URL:
        skip_or_fail("TEST_DATABASE_URL is not set")
    _reset_postgres_schema(TEST_DATABASE_URL)
    _migrate(TEST_DATABASE_URL, tmp_path_factory.mktemp("pg-instance"))
    return TEST_DATABASE_URL


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        # The built-in protocols are seeded by a migration, so they stay; everything else goes.
        tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "protocols")
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(text("DELETE FROM protocols WHERE NOT builtin"))
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "clinic.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2027, 3, 1, 15, 0, tzinfo=UTC))


@pytest.fixture
def limiter_clock(clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The rate limiter's in-memory counters follow the frozen clock: a test's attempts share one window
    however long they take, and ``clock.advance`` moves past it."""
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: clock.now.timestamp()))
    return clock


@pytest.fixture
def app(database_url: str, backend: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_PATH=str(tmp_path / "instance")
    )
    set_clock(app, clock)
    yield app
    if backend == "postgresql":
        _truncate_all(app)
    else:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def api_as(app: Flask, client, clock: FrozenClock):
    """``api_as("frontdesk")``: an API client signed in as a new user of that role."""
    from tests.factories import ApiClient, bearer_for, make_user

    def build(role: str, **user_fields) -> ApiClient:
        with app.app_context():
            user = make_user(role, **user_fields)
            headers = bearer_for(user, clock.now)
        return ApiClient(client, headers)

    return build
