"""Reminder: an outbox row, planned with the booking and sent once by the scheduler process."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.reminders import ReminderStatus
from clinic.models.appointment import Appointment
from clinic.models.base import Base, VocabularyType, vocabulary_check
from clinic.models.patient import Patient
from clinic.models.provider import Provider

CHANNELS = ("email", "sms")


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        # The dispatcher's query: pending rows by due time.
        Index("ix_reminders_status_due", "status", "due_at"),
        vocabulary_check("status", ReminderStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    due_at: Mapped[datetime]
    status: Mapped[ReminderStatus] = mapped_column(
        VocabularyType(ReminderStatus), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    # Why it failed, was skipped or was cancelled, for staff.
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    recipient: Mapped[str] = mapped_column(String(254), default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    appointment: Mapped[Appointment | None] = relationship()
    patient: Mapped[Patient | None] = relationship()
    provider: Mapped[Provider | None] = relationship()
