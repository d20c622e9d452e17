"""RemsForm: the REMS patient monitoring form of one Spravato session, marked submitted when sent."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.appointment import Appointment
from clinic.models.base import Base


class RemsForm(Base):
    __tablename__ = "rems_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    submitted_at: Mapped[datetime]
    submitted_by_label: Mapped[str] = mapped_column(String(254))
    confirmation: Mapped[str] = mapped_column(String(100), default="")

    appointment: Mapped[Appointment] = relationship()
