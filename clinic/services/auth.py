"""Staff sign-in: password checks, sign-in limits, server-side sessions and API tokens, and ending them."""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from limits import RateLimitItem, parse_many
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from clinic.extensions import db, limiter
from clinic.models.user import AuthToken, User
from clinic.services.actor import Actor
from clinic.services.audit import record_event, record_security_event
from clinic.services.errors import TooManyAttempts

TOKEN_KINDS = ("web", "api")
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


def _hasher_params() -> tuple[int, int, int]:
    config = current_app.config
    return (
        config["PASSWORD_HASH_TIME_COST"],
        config["PASSWORD_HASH_MEMORY_KIB"],
        config["PASSWORD_HASH_PARALLELISM"],
    )


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher_for(time_cost, memory_cost, parallelism).hash(_DUMMY_PASSWORD)


def _hasher() -> PasswordHasher:
    return _hasher_for(*_hasher_params())


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


@lru_cache(maxsize=8)
def _parse_limits(rules: str) -> list[RateLimitItem]:
    return parse_many(rules)


def _refuse_if_throttled(email: str, actor: Actor, now: datetime) -> None:
    """Count the attempt against its address and its account; past a limit, audit it and refuse it.

    The counters live in the rate limiter's storage (Redis in production), keyed by address and by e-mail
    only, so the web form and the API token endpoint draw on the same ones.
    """
    if not limiter.enabled:
        return
    config = current_app.config
    prefix = config.get("RATELIMIT_KEY_PREFIX", "")
    counters = (
        ("address", actor.remote_addr, config["LOGIN_RATE_LIMIT_PER_ADDRESS"]),
        ("account", email, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]),
    )
    for scope, key, rules in counters:
        for rule in _parse_limits(rules):
            identifiers = (prefix, "sign-in", scope, key)
            if limiter.limiter.hit(rule, *identifiers):
                continue
            reset_at = limiter.limiter.get_window_stats(rule, *identifiers).reset_time
            record_security_event(
                Actor(user=None, remote_addr=actor.remote_addr, label=email),
                "login.throttled",
                now,
                object_type="user",
                details={"limit": scope, "rule": str(rule)},
            )
            raise TooManyAttempts(
                "Too many sign-in attempts; wait a little and try again",
                retry_after=max(1, math.ceil(reset_at - now.timestamp())),
            )


def authenticate(email: str, password: str, actor: Actor, now: datetime) -> User | None:
    """The active user with these credentials, or None. Each attempt is audited, never with the password.

    Raises TooManyAttempts, before checking the password, once the account or the address is past its
    sign-in limit; a failed or refused attempt is audited in a transaction of its own, so it stays on record
    when the request that made it writes nothing.
    """
    email = normalize_email(email)
    _refuse_if_throttled(email, actor, now)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        _password_matches(_dummy_hash(*_hasher_params()), password)
        ok = False
    else:
        ok = _password_matches(user.password_hash, password) and user.active
        if ok:
            user.last_login_at = now
            if _hasher().check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
    record = record_event if ok else record_security_event
    record(
        Actor(user=user if ok else None, remote_addr=actor.remote_addr, label=email),
        "login.success" if ok else "login.failure",
        now,
        object_type="user",
        object_id=user.id if user else None,
        details={"reason": "inactive"} if user is not None and not user.active else None,
    )
    return user if ok else None


@dataclass(frozen=True)
class IssuedSession:
    key: str  # "<id>.<secret>": given to the client once, stored only as a hash
    expires_at: datetime


def start_session(user: User, kind: str, now: datetime) -> IssuedSession:
    """Create a server-side session or API token for the user and return its secret key."""
    hours = current_app.config["WEB_SESSION_HOURS" if kind == "web" else "API_TOKEN_HOURS"]
    secret = secrets.token_urlsafe(32)
    token = AuthToken(
        user=user,
        kind=kind,
        token_hash=_hash_secret(secret),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(token)
    db.session.flush()
    return IssuedSession(key=f"{token.id}.{secret}", expires_at=token.expires_at)


def _find_token(key: str | None, kind: str) -> AuthToken | None:
    if not key or "." not in key:
        return None
    token_id, _, secret = key.partition(".")
    if not token_id.isdigit() or not secret:
        return None
    # With its user in the same query: every signed-in request needs both.
    token = db.session.get(AuthToken, int(token_id), options=[joinedload(AuthToken.user)])
    if token is None or token.kind != kind:
        return None
    if not hmac.compare_digest(token.token_hash, _hash_secret(secret)):
        return None
    return token


def resolve_session(key: str | None, kind: str, now: datetime) -> User | None:
    """The user a session key or bearer token belongs to, if it is still valid."""
    token = _find_token(key, kind)
    if token is None or not token.is_valid(now):
        return None
    user = token.user
    user.session_key = key
    return user


def end_session(key: str | None, kind: str, actor: Actor, now: datetime) -> None:
    """Revoke one session or token (logout)."""
    token = _find_token(key, kind)
    if token is None or token.revoked_at is not None:
        return
    token.revoked_at = now
    record_event(actor, "logout", now, object_type="user", object_id=token.user_id, details={"kind": kind})


def revoke_all_sessions(user: User, now: datetime) -> None:
    """End every session and token of the user, e.g. when the account is disabled."""
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
