"""User aggregate: a staff account and the server-side sessions and API tokens it holds."""

from datetime import datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base
from clinic.models.provider import Provider

ROLES = ("admin", "frontdesk", "provider")


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    provider: Mapped[Provider | None] = relationship()
    tokens: Mapped[list["AuthToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Set when the user is loaded through a session or token, so Flask-Login stores the session's own key
    # rather than the user id: revoking that session row then signs the browser out. Typed by a cast, not an
    # annotation: the declarative base would take an annotation for a column.
    session_key = cast("str | None", None)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_key


class AuthToken(Base):
    """A web session or API bearer token; only a SHA-256 hash of its secret is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "web" | "api"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and self.user.active
