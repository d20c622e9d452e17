"""FeedToken: the secret in a calendar subscription URL, stored only as its SHA-256 hash; FeedEntry: what the
feed last showed of one visit, so that a visible change raises its SEQUENCE and LAST-MODIFIED."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
    # Bumped whenever what the feed shows changes; part of every worker's render cache key.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # SHA-256 over every event the feed showed last time, and when that last changed (its Last-Modified).
    content_digest: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None]


class FeedEntry(Base):
    """One visit as a feed last showed it: a digest of its visible text and times, and the SEQUENCE and
    LAST-MODIFIED the feed gave it."""

    __tablename__ = "feed_entries"
    __table_args__ = (UniqueConstraint("feed_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed_tokens.id"))
    uid: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int]
    modified_at: Mapped[datetime]


class FeedVersion(Base):
    """How often what an owner's feed shows has been written to, kept up to date in each writer's own
    transaction (clinic.services.feed_versions); a fetch reads it with the token. The row `GLOBAL_OWNER`
    counts changes that reach every feed (a chair's or a location's)."""

    __tablename__ = "feed_versions"

    owner_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0, server_default="0")


# The feed_versions row of changes that reach every feed.
GLOBAL_OWNER = ("all", 0)
