"""Location aggregate: a clinic site with its timezone, opening hours and closure days."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.models.base import Base, JSONType

TRANSPORT_MODES = ("driver", "taxi", "medical_transport")


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    # The name patients see in messages and feeds: neutral, never the treatment ("" falls back to `name`).
    public_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # How times, dates and phone numbers are shown for the location (a CLDR locale such as en_US).
    locale: Mapped[str] = mapped_column(String(16), default="en_US", server_default="en_US")
    # {"mon": [["08:00", "18:00"]], ...}: local wall-clock ranges, a missing or empty day is closed.
    opening_hours: Mapped[dict] = mapped_column(JSONType, default=dict)
    allowed_transport_modes: Mapped[list] = mapped_column(JSONType, default=lambda: list(TRANSPORT_MODES))
    created_at: Mapped[datetime]

    closures: Mapped[list["LocationClosure"]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="LocationClosure.date"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_by_weekday(self) -> dict[int, list[tuple[time, time]]]:
        """Opening hours keyed by ISO weekday index (0 = Monday) as `time` pairs."""
        result: dict[int, list[tuple[time, time]]] = {}
        for index, key in enumerate(WEEKDAY_KEYS):
            result[index] = [
                (time.fromisoformat(start), time.fromisoformat(end))
                for start, end in self.opening_hours.get(key, [])
            ]
        return result


class LocationClosure(Base):
    __tablename__ = "location_closures"
    __table_args__ = (UniqueConstraint("location_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    location: Mapped[Location] = relationship(back_populates="closures")
