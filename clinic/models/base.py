"""Declarative base, naming convention and column types shared by every model."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, MetaData, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapper, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC that always comes back timezone-aware.

    SQLite has no timezone support, so values are stored as naive UTC there and given their UTC tzinfo back on
    load; PostgreSQL stores ``timestamptz``. Naive values are refused: a naive time is a bug waiting for DST.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class VocabularyType(TypeDecorator):
    """A column holding one word of a domain vocabulary (a StrEnum): stored as its text, loaded as the member.

    Binding a word outside the vocabulary raises before it reaches the database; the table's CHECK
    constraint (`vocabulary_check`) guards rows written by any other path.
    """

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return self.vocabulary(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.vocabulary(value)


def vocabulary_check(column: str, vocabulary: type[StrEnum]) -> CheckConstraint:
    """CHECK that `column` holds a word of the vocabulary (named ck_<table>_<column>_valid)."""
    words = ", ".join(f"'{member.value}'" for member in vocabulary)
    return CheckConstraint(f"{column} IN ({words})", name=f"{column}_valid")


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def _to_utc(target, value, oldvalue, initiator):
    """Keep every instant on a model in UTC, whatever zone the caller used: arithmetic on a ZoneInfo-aware
    value is wall-clock arithmetic, which is wrong across a DST change."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC)
    return value


@event.listens_for(Mapper, "mapper_configured")
def _normalise_instants(mapper: Mapper, class_: type) -> None:
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(getattr(class_, prop.key), "set", _to_utc, retval=True)
