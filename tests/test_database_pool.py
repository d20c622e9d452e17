"""Connections the server dropped: one that sat idle is pinged and replaced before use; one used moments ago
fails its request once (503), and the pool then connects afresh."""

import pytest
from sqlalchemy import create_engine, text

import clinic.database
from clinic.extensions import db


def _drop_the_pooled_connection(app, database_url: str) -> None:
    """The server ends the backend of the app's one pooled connection, as a restart would."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.commit()
        db.session.remove()
    other = create_engine(database_url)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()


@pytest.fixture
def server_database(backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")


@pytest.mark.postgres_only
def test_an_idle_dropped_connection_is_replaced_before_use(
    server_database, app, client, database_url, monkeypatch
):
    _drop_the_pooled_connection(app, database_url)
    monkeypatch.setattr(clinic.database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres_only
def test_a_busy_dropped_connection_fails_once_then_the_pool_recovers(
    server_database, app, client, database_url, monkeypatch
):
    _drop_the_pooled_connection(app, database_url)
    monkeypatch.setattr(clinic.database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 200
