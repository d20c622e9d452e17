"""Series: a patient enrolled in a protocol from a local date and time, at a location, with a provider."""

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Date, ForeignKey, Index, String, Time, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.protocols import ProtocolSpec, stored_protocol
from clinic.domain.visits import SeriesStatus
from clinic.models.base import Base, JSONType, VocabularyType, vocabulary_check
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.protocol import Protocol
from clinic.models.provider import Provider

if TYPE_CHECKING:
    from clinic.models.appointment import Appointment


class Series(Base):
    __tablename__ = "series"
    __table_args__ = (
        vocabulary_check("status", SeriesStatus),
        # A read finds the stale standing plans of a provider's (or patient's) series to compute again.
        Index(
            "ix_series_plan_stale_provider",
            "provider_id",
            postgresql_where=text("plan_stale"),
            sqlite_where=text("plan_stale"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id"))
    parameters: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The protocol as it applied when the patient was enrolled (parameters included), so a later edit of
    # the template never changes the rules of a series already running.
    protocol_snapshot: Mapped[dict] = mapped_column(JSONType)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    status: Mapped[SeriesStatus] = mapped_column(VocabularyType(SeriesStatus), default=SeriesStatus.ACTIVE)
    rems_override_reason: Mapped[str | None] = mapped_column(String(500))
    # {"mode", "contact_name", "contact_phone"}: the ride each newly booked dose of the series starts with.
    default_ride: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The standing monitoring plan (`plan_items`): stale from creation until computed, and again after any
    # change of its facts; `plan_active_until` is when the series stops being active (domain `active_until`).
    plan_stale: Mapped[bool] = mapped_column(default=True, server_default=true())
    plan_active_until: Mapped[datetime | None]

    patient: Mapped[Patient] = relationship()
    protocol: Mapped[Protocol] = relationship()
    location: Mapped[Location] = relationship()
    provider: Mapped[Provider] = relationship()
    appointments: Mapped[list["Appointment"]] = relationship(
        back_populates="series", order_by="Appointment.start_at"
    )

    @classmethod
    def active_at(cls, now: datetime) -> ColumnElement[bool]:
        """SQL: the series is active at `now`: `now` is before its stored `plan_active_until` (the domain's
        `active_until`)."""
        return cls.plan_active_until > now

    def spec(self) -> ProtocolSpec:
        """The protocol the series' snapshot stores (parsed once per distinct content)."""
        return stored_protocol(self.protocol_snapshot)
