from sqlalchemy import func, select

import config
from clinic import create_app
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.user import AuthToken, User
from clinic.services.auth import start_session


def test_users_create_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Admin@Example.com", "--role", "admin", "--password-stdin"],
        input="a long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin admin@example.com" in result.output
    assert "a long admin password" not in result.output
    login = app.test_client().post(
        "/api/v1/auth/token", json={"email": "admin@example.com", "password": "a long admin password"}
    )
    assert login.status_code == 201


def test_users_create_refuses_a_short_password_or_a_duplicate(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "a@example.com", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0
    assert "password" in short.output
    ok = runner.invoke(
        args=["users", "create", "a@example.com", "--role", "frontdesk", "--password-stdin"],
        input="long enough password\n",
    )
    assert ok.exit_code == 0
    again = runner.invoke(
        args=["users", "create", "a@example.com", "--role", "frontdesk", "--password-stdin"],
        input="long enough password\n",
    )
    assert again.exit_code != 0
    assert "already exists" in again.output
    bad_role = runner.invoke(
        args=["users", "create", "b@example.com", "--role", "root", "--password-stdin"],
        input="long enough password\n",
    )
    assert bad_role.exit_code != 0


def test_users_create_refuses_a_common_or_guessable_password(app):
    runner = app.test_cli_runner()
    for weak in ("aaaaaaaaaaaa", "password1234", "admin@example.com"):
        result = runner.invoke(
            args=["users", "create", "admin@example.com", "--role", "admin", "--password-stdin"],
            input=f"{weak}\n",
        )
        assert result.exit_code != 0, weak
        assert "password: Too easy to guess" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_disable_ends_sessions(app, clock):
    runner = app.test_cli_runner()
    runner.invoke(
        args=["users", "create", "d@example.com", "--role", "frontdesk", "--password-stdin"],
        input="long enough password\n",
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "d@example.com"))
        start_session(user, "api", clock.now)
        db.session.commit()
    result = runner.invoke(args=["users", "disable", "d@example.com"])
    assert result.exit_code == 0
    with app.app_context():
        token = db.session.scalar(select(AuthToken))
        assert token.revoked_at is not None


def test_demo_seed_is_idempotent_and_prints_logins(app, clock):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.clinic" in first.output and "frontdesk@demo.clinic" in first.output
    # The frozen clock's Monday 15:00 UTC is 10:00 in New York, clinic hours there.
    assert "in America/New_York (it is Monday 10:00 there)" in first.output
    assert f"Open {app.config['CLINIC_BASE_URL']} and sign in with:" in first.output
    with app.app_context():
        visits = db.session.scalar(select(func.count()).select_from(Appointment))
        assert visits > 50
    clock.advance(days=1)
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "already present: nothing was changed" in second.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Appointment) == visits
        assert count(Patient) == 20
        assert count(Provider) == 4
        assert count(User) == 3
        kinds = db.session.scalars(select(Chair.kind)).all()
        assert sorted(kinds) == ["infusion_chair"] * 4 + ["spravato_room"] * 2
        roles = set(db.session.scalars(select(Provider.role)))
        assert roles == {"prescriber", "nurse", "therapist"}
    for role in ("admin", "frontdesk", "provider"):
        login = app.test_client().post(
            "/api/v1/auth/token",
            json={"email": f"{role}@demo.clinic", "password": f"demo-{role}-password"},
        )
        assert login.status_code == 201


def test_demo_seed_refuses_production_and_creates_nothing(app, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(config.ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("DATABASE_URL", database_url)
    production = create_app(
        config.ProductionConfig, SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_PATH=str(tmp_path / "prod")
    )
    result = production.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "not for production" in result.output
    assert "demo-admin-password" not in result.output
    with production.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(User), count(Patient), count(Location)) == (0, 0, 0)
        db.session.remove()
        db.engine.dispose()
