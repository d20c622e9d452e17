"""Staff accounts through the API: an admin cannot lock themselves out."""

from sqlalchemy import select

from clinic.extensions import db
from clinic.models.user import User


def _own_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.role == "admin"))


def test_an_admin_cannot_disable_their_own_account_or_change_their_role(app, api_as):
    admin = api_as("admin")
    own = _own_id(app)
    disabled = admin.patch(f"/api/v1/users/{own}", json={"active": False})
    assert disabled.status_code == 422
    assert disabled.json["errors"] == {"active": ["You cannot disable your own account"]}
    demoted = admin.patch(f"/api/v1/users/{own}", json={"role": "frontdesk"})
    assert demoted.status_code == 422
    assert "role" in demoted.json["errors"]
    assert admin.get("/api/v1/users").status_code == 200  # still signed in, still an admin
    with app.app_context():
        user = db.session.get(User, own)
        assert (user.role, user.active) == ("admin", True)
    # Another admin may still disable this one.
    other = api_as("admin", email="second.admin@example.com")
    assert other.patch(f"/api/v1/users/{own}", json={"active": False}).status_code == 200
