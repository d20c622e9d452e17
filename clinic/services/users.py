"""Managing staff accounts."""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.provider import Provider
from clinic.models.user import User
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.auth import hash_password, normalize_email, revoke_all_sessions
from clinic.services.errors import Invalid
from clinic.services.lookup import get_referenced

MIN_PASSWORD_LENGTH = 12


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"Use at least {MIN_PASSWORD_LENGTH} characters")


def _check_provider_link(role: str, provider_id: int | None) -> None:
    if provider_id is not None:
        get_referenced(Provider, provider_id, "provider_id")
    if role != "provider" and provider_id is not None:
        raise Invalid.field("provider_id", "Only provider accounts link to a provider")


def create_user(
    email: str, password: str, role: str, actor: Actor, now: datetime, provider_id: int | None = None
) -> User:
    """Create a staff account with a hashed password."""
    authorize(actor, Action.USERS_MANAGE)
    email = normalize_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Invalid.field("email", "A user with this e-mail already exists")
    _check_password(password)
    _check_provider_link(role, provider_id)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        provider_id=provider_id,
        active=True,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record_event(actor, "user.create", now, object_type="user", object_id=user.id, details={"role": role})
    return user


def update_user(user: User, changes: dict[str, Any], actor: Actor, now: datetime) -> User:
    """Change role, provider link, password or active flag; disabling ends every session and token."""
    authorize(actor, Action.USERS_MANAGE)
    before = {"role": user.role, "provider_id": user.provider_id, "active": user.active}
    role = changes.get("role", user.role)
    provider_id = changes.get("provider_id", user.provider_id)
    _check_provider_link(role, provider_id)
    user.role, user.provider_id = role, provider_id
    if "password" in changes:
        _check_password(changes["password"])
        user.password_hash = hash_password(changes["password"])
        revoke_all_sessions(user, now)
    if "active" in changes:
        user.active = changes["active"]
        if not user.active:
            revoke_all_sessions(user, now)
    after = {"role": user.role, "provider_id": user.provider_id, "active": user.active}
    fields = changed_fields(before, after) + (["password"] if "password" in changes else [])
    record_event(actor, "user.update", now, object_type="user", object_id=user.id, details={"fields": fields})
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))
