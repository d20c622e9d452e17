"""Alert: a dangerous or worrying value for the patient's provider to act on and acknowledge."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.appointment import Appointment
from clinic.models.base import Base
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.provider import Provider


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_provider_open", "provider_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id"))
    code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_label: Mapped[str | None] = mapped_column(String(254))
    acknowledgement_note: Mapped[str | None] = mapped_column(String(500))

    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider | None] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    measurement: Mapped[Measurement] = relationship()
