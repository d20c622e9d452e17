"""Sign-in limits: per account and per client address, one count for the web form and the API token endpoint,
every refusal audited, and the client's address taken from a trusted proxy when one is configured."""

import re

import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.clock import set_clock
from clinic.extensions import db
from clinic.models.audit import AuditEvent
from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, make_user

PROXY = "10.0.0.2"


def _user(app, email="desk@example.com"):
    with app.app_context():
        make_user("frontdesk", email=email)
        db.session.commit()


def _api(client, email="desk@example.com", password=DEFAULT_PASSWORD, addr="192.0.2.10", headers=None):
    return client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": addr},
        headers=headers or {},
    )


def _web(client, email="desk@example.com", password=DEFAULT_PASSWORD, addr="192.0.2.10"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": addr}).data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": addr},
    )


def _throttled(app):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()
        return [(e.actor_label, e.remote_addr, e.details["limit"]) for e in events]


def test_an_account_is_throttled_whatever_addresses_the_guesses_come_from(app, client, limiter_clock):
    _user(app)
    guesses = [_api(client, password=f"guess {n}", addr=f"198.51.100.{n}").status_code for n in range(10)]
    assert guesses == [401] * 10

    refused = _api(client, email=" Desk@Example.com", addr="198.51.100.77")
    assert refused.status_code == 429, "the right password from a new address still waits out the lock"
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "token" not in refused.json
    assert _throttled(app) == [("desk@example.com", "198.51.100.77", "account")]

    limiter_clock.advance(seconds=61)
    assert _api(client, addr="198.51.100.77").status_code == 201


def test_an_address_is_throttled_across_many_accounts(app, client, limiter_clock):
    _user(app)
    sprayed = [
        _api(client, email=f"staff{n}@example.com", password="Winter2027!").status_code for n in range(30)
    ]
    assert sprayed == [401] * 30
    assert _api(client, email="staff99@example.com").status_code == 429
    assert _api(client).status_code == 429, "the attacker's address is refused even with a right password"
    assert _throttled(app) == [
        ("staff99@example.com", "192.0.2.10", "address"),
        ("desk@example.com", "192.0.2.10", "address"),
    ]

    assert _api(client, addr="192.0.2.11").status_code == 201, "the account itself is not locked"


def test_the_web_form_and_the_api_share_the_counts(app, client, limiter_clock):
    _user(app)
    for n in range(5):
        assert _web(client, password=f"web guess {n}", addr=f"198.51.100.{n}").status_code == 401
        assert _api(client, password=f"api guess {n}", addr=f"203.0.113.{n}").status_code == 401

    page = _web(client, addr="198.51.100.200")
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert b"Too many sign-in attempts" in page.data
    assert b'name="password"' in page.data, "the sign-in form stays on the page"
    assert int(page.headers["Retry-After"]) > 0
    assert client.get("/").status_code == 302, "not signed in"
    assert _api(client, addr="203.0.113.200").status_code == 429
    assert _throttled(app) == [
        ("desk@example.com", "198.51.100.200", "account"),
        ("desk@example.com", "203.0.113.200", "account"),
    ]


def test_failed_and_throttled_attempts_are_kept_when_the_request_writes_nothing(app, client, limiter_clock):
    _user(app)
    for n in range(11):
        _web(client, password=f"guess {n}")
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("login.%"))).all()
    assert actions == ["login.failure"] * 10 + ["login.throttled"]


@pytest.fixture
def proxied_app(app, database_url, tmp_path, clock):
    """The app as deployed behind one TLS proxy: PROXY_FIX_X_FOR=1."""
    proxied = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=str(tmp_path / "proxied"),
        PROXY_FIX_X_FOR=1,
    )
    set_clock(proxied, clock)
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_is_counted_and_audited_by_its_own_address(
    proxied_app, limiter_clock
):
    _user(proxied_app)
    client = proxied_app.test_client()

    def via_proxy(client_addr, **kwargs):
        return _api(client, addr=PROXY, headers={"X-Forwarded-For": client_addr}, **kwargs)

    sprayed = [via_proxy("198.51.100.1", email=f"staff{n}@example.com").status_code for n in range(31)]
    assert sprayed == [401] * 30 + [429]
    assert via_proxy("198.51.100.2").status_code == 201, "another client behind the same proxy signs in"
    assert _throttled(proxied_app) == [("staff30@example.com", "198.51.100.1", "address")]
    with proxied_app.app_context():
        success = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login.success"))
        assert success.remote_addr == "198.51.100.2"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, client, limiter_clock):
    _user(app)
    for n in range(30):
        forged = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert _api(client, email=f"staff{n}@example.com", addr=PROXY, headers=forged).status_code == 401
    assert _api(client, addr=PROXY, headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429
    assert _throttled(app) == [("desk@example.com", PROXY, "address")]
