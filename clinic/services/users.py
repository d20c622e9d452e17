"""Managing staff accounts."""

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from zxcvbn import zxcvbn

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
# zxcvbn's scale of 0-4; 3 means about 10^8 guesses or more, beyond an online attack and costly offline
# against argon2id.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length); a strong start makes a strong password.
_SCORED_LENGTH = 72
# zxcvbn keeps the words of the last call's user inputs in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()


def check_password(password: str, email: str) -> None:
    """Refuse a password that is short or easy to guess.

    zxcvbn rates it against its lists of common passwords, names and words, keyboard patterns, repeats,
    sequences and dates, and against the account's own e-mail address.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"Use at least {MIN_PASSWORD_LENGTH} characters")
    local_part, _, domain = email.partition("@")
    with _zxcvbn_lock:
        rating = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[email, local_part, *domain.split(".")])
    if rating["score"] < MIN_PASSWORD_SCORE:
        feedback = rating["feedback"]
        hints = " ".join([feedback["warning"], *feedback["suggestions"]]).strip()
        raise Invalid.field("password", f"Too easy to guess. {hints or 'Add another word or two.'}")


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
    check_password(password, email)
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


def _check_not_locking_self_out(user: User, changes: dict[str, Any], actor: Actor) -> None:
    """An admin cannot disable their own account or give up their own admin role: the clinic would be left
    without anyone to undo it."""
    if actor.user is None or actor.user.id != user.id:
        return
    if changes.get("active") is False:
        raise Invalid.field("active", "You cannot disable your own account")
    if changes.get("role", user.role) != user.role:
        raise Invalid.field("role", "You cannot change your own role")


def update_user(user: User, changes: dict[str, Any], actor: Actor, now: datetime) -> User:
    """Change role, provider link, password or active flag; disabling ends every session and token, and so
    does a new password. An admin cannot disable their own account or change their own role."""
    authorize(actor, Action.USERS_MANAGE)
    _check_not_locking_self_out(user, changes, actor)
    before = {"role": user.role, "provider_id": user.provider_id, "active": user.active}
    role = changes.get("role", user.role)
    provider_id = changes.get("provider_id", user.provider_id)
    _check_provider_link(role, provider_id)
    user.role, user.provider_id = role, provider_id
    if "password" in changes:
        check_password(changes["password"], user.email)
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
    """Every staff account, by e-mail."""
    return list(db.session.scalars(select(User).options(selectinload(User.provider)).order_by(User.email)))
