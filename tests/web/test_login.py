import re

from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD, make_user


def _token_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1).decode()


def _sign_in(client, email="desk@example.com", password=DEFAULT_PASSWORD):
    token = _token_from(client.get("/login").data)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _user(app, role="frontdesk", email="desk@example.com"):
    with app.app_context():
        user = make_user(role, email=email)
        db.session.commit()
        return user.id


def test_sign_in_shows_home_and_navigation_for_the_role(app, client):
    _user(app)
    response = _sign_in(client)
    assert response.status_code == 302
    home = client.get("/")
    assert b"desk@example.com" in home.data
    assert b">Patients<" in home.data
    assert b">API<" not in home.data  # admin only


def test_pages_need_sign_in(client):
    response = client.get("/patients/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_and_audited(app, client):
    _user(app)
    response = _sign_in(client, password="wrong password")
    assert response.status_code == 401
    assert b"Wrong e-mail or password" in response.data
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "login.failure"


def test_login_without_csrf_token_is_rejected(app, client):
    _user(app)
    response = client.post("/login", data={"email": "desk@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_ends_the_session_on_the_server(app, client):
    _user(app)
    _sign_in(client)
    stolen_cookie = client.get_cookie("session").value
    token = _token_from(client.get("/").data)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    response = replay.get("/")
    assert response.status_code == 302, "a session cookie saved before logout must not work afterwards"


def test_disabling_the_user_ends_their_web_session(app, client, api_as):
    user_id = _user(app)
    _sign_in(client)
    assert client.get("/").status_code == 200
    api_as("admin").patch(f"/api/v1/users/{user_id}", json={"active": False})
    assert client.get("/").status_code == 302


def test_role_without_access_gets_403_page(app, client):
    _user(app, role="admin", email="admin@example.com")
    _sign_in(client, email="admin@example.com")
    response = client.get("/patients/")
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_patient_search_page_lists_matches_and_audits(app, client):
    from tests.factories import make_patient

    _user(app)
    with app.app_context():
        make_patient(first_name="Riley", last_name="Castellanos")
        make_patient(first_name="Morgan", last_name="Fairweather")
        db.session.commit()
    _sign_in(client)
    page = client.get("/patients/?q=castel")
    assert b"Castellanos, Riley" in page.data
    assert b"Fairweather" not in page.data
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        # The search itself, and a read of the one patient it showed.
        assert actions[-2:] == ["patient.search", "patient.read"]


def test_next_parameter_only_redirects_within_the_site(app, client):
    _user(app)
    token = _token_from(client.get("/login").data)
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": "desk@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_the_csrf_token_of_the_sign_in_page_stops_working_once_signed_in(app, client):
    _user(app)
    token_before = _token_from(client.get("/login").data)
    response = client.post(
        "/login", data={"email": "desk@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token_before}
    )
    assert response.status_code == 302

    assert client.post("/logout", data={"csrf_token": token_before}).status_code == 400
    assert client.get("/").status_code == 200, "still signed in"
    token_after = _token_from(client.get("/").data)
    assert client.post("/logout", data={"csrf_token": token_after}).status_code == 302
    assert client.get("/").status_code == 302
