"""FeedToken: the secret in a calendar subscription URL, stored only as its SHA-256 hash."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base

FEED_OWNERS = ("patient", "provider", "location")


class FeedToken(Base):
    __tablename__ = "feed_tokens"
    __table_args__ = (Index("ix_feed_tokens_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
