"""Provider aggregate: a prescriber, nurse or therapist with weekly availability and time off."""

from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Time, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base
from clinic.models.location import Location

PROVIDER_ROLES = ("prescriber", "nurse", "therapist")


class Provider(Base):
    __tablename__ = "providers"
    __table_args__ = (CheckConstraint("max_concurrent >= 1", name="max_concurrent_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    max_concurrent: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    # The provider's own feed shows patients by initials unless the provider opts into full names.
    feed_full_names: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]

    availability: Mapped[list["ProviderAvailability"]] = relationship(
        back_populates="provider",
        cascade="all, delete-orphan",
        order_by="(ProviderAvailability.weekday, ProviderAvailability.start)",
    )
    time_off: Mapped[list["ProviderTimeOff"]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderTimeOff.start"
    )


class ProviderAvailability(Base):
    """A weekly window, in the location's local wall-clock time, when the provider works there."""

    __tablename__ = "provider_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    weekday: Mapped[int]
    start: Mapped[time] = mapped_column("start_time", Time)
    end: Mapped[time] = mapped_column("end_time", Time)

    provider: Mapped[Provider] = relationship(back_populates="availability")
    location: Mapped[Location] = relationship()


class ProviderTimeOff(Base):
    __tablename__ = "provider_time_off"
    __table_args__ = (CheckConstraint("start_at < end_at", name="start_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column("start_at")
    end: Mapped[datetime] = mapped_column("end_at")
    reason: Mapped[str] = mapped_column(String(200), default="")

    provider: Mapped[Provider] = relationship(back_populates="time_off")
