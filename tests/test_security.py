"""Headers, cookies, request ids, readiness and logs: the promises a production deployment relies on."""

import json
import logging

import pytest

import config
from clinic import create_app
from clinic.extensions import db
from clinic.jobs.heartbeat import beat
from clinic.logsetup import JsonFormatter, RequestIdFilter
from tests.factories import make_user
from tests.web.test_login import _sign_in


def test_every_answer_carries_the_security_headers(client):
    for path in ("/login", "/api/v1/locations", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert (
            "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_hsts_when_cookies_are_secure(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


def test_request_ids_are_echoed_or_made(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "req-12345678"}).headers["X-Request-ID"]
        == "req-12345678"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()


def test_session_cookie_flags(app, client):
    with app.app_context():
        make_user("frontdesk", email="desk@example.com")
        db.session.commit()
    cookie = _sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert config.ProductionConfig.SESSION_COOKIE_SECURE is True


def test_production_needs_redis_for_the_login_limit(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://clinic@db/clinic")
    monkeypatch.setattr(config.ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(config.ConfigError, match="Redis"):
        create_app(config.ProductionConfig)


def test_readiness_needs_a_recent_scheduler_heartbeat(app, client, clock):
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").json["scheduler"] == "never seen"
    with app.app_context():
        beat(clock.now)
        db.session.commit()
    assert client.get("/readyz").status_code == 200
    clock.advance(seconds=91)
    assert client.get("/readyz").json["scheduler"] == "stale"
    assert client.get("/healthz").status_code == 200


def test_json_logs_carry_the_request_id_and_no_token(app):
    record = logging.LogRecord(
        "clinic", logging.INFO, __file__, 1, "GET %s", ("/feeds/abcdefghijklmnopqrstuvwxyz0123.ics",), None
    )
    with app.test_request_context("/healthz", headers={"X-Request-ID": "req-abcdef12"}):
        from flask import g

        g.request_id = "req-abcdef12"
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-abcdef12"
    assert line["message"] == "GET /feeds/[redacted].ics"
