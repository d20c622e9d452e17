from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.user import User
from tests.factories import DEFAULT_PASSWORD, make_user


def _make(app, role="frontdesk", email="desk@example.com"):
    with app.app_context():
        user = make_user(role, email=email)
        db.session.commit()
        return user.id


def _token(client, email="desk@example.com", password=DEFAULT_PASSWORD):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_token_flow_and_logout_revokes_on_the_server(app, client, clock):
    _make(app)
    response = _token(client, email="Desk@Example.com")
    assert response.status_code == 201
    token = response.json["token"]
    assert response.json["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 200

    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_token_expires(app, client, clock):
    _make(app)
    headers = {"Authorization": f"Bearer {_token(client).json['token']}"}
    clock.advance(hours=24, seconds=1)
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_wrong_password_and_unknown_email_are_401_and_audited_without_secrets(app, client):
    _make(app)
    wrong = _token(client, password="not the password")
    assert wrong.status_code == 401
    assert wrong.mimetype == "application/problem+json"
    assert _token(client, email="nobody@example.com").status_code == 401
    assert _token(client).status_code == 201

    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("login.%"))).all()
        assert [(e.action, e.actor_label) for e in events] == [
            ("login.failure", "desk@example.com"),
            ("login.failure", "nobody@example.com"),
            ("login.success", "desk@example.com"),
        ]
        dumped = repr([(e.details, e.actor_label, e.object_id) for e in events])
        assert "not the password" not in dumped
        assert DEFAULT_PASSWORD not in dumped


def test_disabling_a_user_ends_their_tokens(app, client, api_as):
    user_id = _make(app)
    headers = {"Authorization": f"Bearer {_token(client).json['token']}"}
    admin = api_as("admin")
    disabled = admin.patch(f"/api/v1/users/{user_id}", json={"active": False})
    assert disabled.status_code == 200
    assert disabled.json["active"] is False
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    assert _token(client).status_code == 401


def test_passwords_are_stored_as_argon2id(app):
    _make(app)
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in stored


def test_token_endpoint_is_rate_limited(app, client, limiter_clock):
    _make(app)
    statuses = [_token(client, password=f"guess {n}").status_code for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    blocked = _token(client)
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/problem+json"


def test_admin_manages_users(app, api_as):
    admin = api_as("admin")
    created = admin.post(
        "/api/v1/users",
        json={"email": "nurse@example.com", "password": "long enough password", "role": "provider"},
    )
    assert created.status_code == 201
    assert "password" not in created.json
    short = admin.post("/api/v1/users", json={"email": "x@example.com", "password": "short", "role": "admin"})
    assert short.status_code == 422
    assert "password" in short.json["errors"]
    assert api_as("frontdesk").get("/api/v1/users").status_code == 403


def test_short_common_and_guessable_passwords_are_refused(app, api_as, client):
    admin = api_as("admin")
    for weak in ("aaaaaaaaaaaa", "Password1234", "qwertyuiopasdf", "iloveyou12345", "nurse@example.com"):
        body = {"email": "nurse@example.com", "password": weak, "role": "admin"}
        refused = admin.post("/api/v1/users", json=body)
        assert refused.status_code == 422, weak
        assert refused.mimetype == "application/problem+json"
        assert list(refused.json["errors"]) == ["password"]
        assert refused.json["errors"]["password"][0].startswith("Too easy to guess"), weak
    assert "nurse@example.com" not in [user["email"] for user in admin.get("/api/v1/users").json]


def test_a_weak_new_password_is_refused_and_the_old_one_kept(app, api_as, client):
    user_id = _make(app)
    refused = api_as("admin").patch(f"/api/v1/users/{user_id}", json={"password": "abcdefghijkl"})
    assert refused.status_code == 422
    assert "password" in refused.json["errors"]
    assert _token(client).status_code == 201
