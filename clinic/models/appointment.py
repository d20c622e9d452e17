"""Appointment: one visit (a dose, a follow-up, an integration session or a consult)."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.series import Series

if TYPE_CHECKING:
    from clinic.models.transport import Transport

APPOINTMENT_KINDS = ("dose", "follow_up", "integration", "consult")
APPOINTMENT_STATUSES = ("scheduled", "confirmed", "checked_in", "completed", "cancelled", "no_show")
# Statuses in which a visit holds its chair, its provider and the patient's time.
HOLDING_STATUSES = ("scheduled", "confirmed", "checked_in", "completed")
# Statuses that may still be moved, cancelled or marked as a no-show.
OPEN_STATUSES = ("scheduled", "confirmed")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_chair_start", "chair_id", "start_at"),
        Index("ix_appointments_provider_start", "provider_id", "start_at"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
        Index("ix_appointments_location_start", "location_id", "start_at"),
        # The at-risk ride list and sweep: open dosing visits in the next hours, across all locations.
        Index(
            "ix_appointments_open_doses_start",
            "start_at",
            postgresql_where=text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"),
            sqlite_where=text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable iCalendar UID: calendars match later versions of the visit by it.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    dose_number: Mapped[int | None]  # 1-based position among the doses of its series
    phase_index: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("chairs.id"))
    protocol_code: Mapped[str | None] = mapped_column(String(64))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Why the planner placed the visit away from its preferred slot, shown to staff.
    planning_note: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    checked_in_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Set when staff let a patient in without a ride, or out without a verified escort; shown on the visit.
    check_in_override_reason: Mapped[str | None] = mapped_column(String(500))
    discharge_override_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    series: Mapped[Series | None] = relationship(back_populates="appointments")
    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    location: Mapped[Location] = relationship()
    chair: Mapped[Chair | None] = relationship()
    transport: Mapped["Transport | None"] = relationship(back_populates="appointment", uselist=False)

    @property
    def local_start(self) -> datetime:
        """The start in the location's wall-clock time (what staff and patients see)."""
        return self.start_at.astimezone(self.location.zone)

    @property
    def local_end(self) -> datetime:
        return self.end_at.astimezone(self.location.zone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def touch(self, now: datetime) -> None:
        """Record a change calendars must notice: a higher SEQUENCE and a new modification time."""
        self.sequence += 1
        self.updated_at = now
