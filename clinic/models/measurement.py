"""Measurement: a questionnaire score or vital sign recorded at a visit. Corrections add a new row that
amends the old one, which is kept (never overwritten)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.appointment import Appointment
from clinic.models.base import Base, JSONType
from clinic.models.patient import Patient


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_patient_recorded", "patient_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(16))
    timepoint: Mapped[str | None] = mapped_column(String(16))
    # The raw answers or readings: {"items": [...]} for questionnaires, {"systolic", "diastolic"}, {"score"}.
    values: Mapped[dict] = mapped_column(JSONType)
    total: Mapped[int | None]
    item9: Mapped[int | None]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_label: Mapped[str] = mapped_column(String(254), default="")
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id"))
    # Set on the original when a correction replaces it; the original row itself is never changed otherwise.
    superseded_at: Mapped[datetime | None]
    correction_reason: Mapped[str | None] = mapped_column(String(500))

    patient: Mapped[Patient] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
