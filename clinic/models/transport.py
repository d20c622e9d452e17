"""Transport: the ride home a dosing visit needs, from "missing" to a verified escort at discharge."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.transport import TransportStatus
from clinic.models.appointment import Appointment
from clinic.models.base import Base, VocabularyType, vocabulary_check


class Transport(Base):
    __tablename__ = "transports"
    __table_args__ = (vocabulary_check("status", TransportStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    status: Mapped[TransportStatus] = mapped_column(
        VocabularyType(TransportStatus), default=TransportStatus.MISSING
    )
    mode: Mapped[str | None] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    pickup_at: Mapped[datetime]
    # When the at-risk sweep last asked the patient for a ride (so it asks once per window).
    flagged_at: Mapped[datetime | None]
    # The outcome of the front desk's last call about this ride ("no answer", "left message", ...).
    last_call_outcome: Mapped[str | None] = mapped_column(String(32))
    last_call_at: Mapped[datetime | None]
    # When the patient last confirmed this ride through a ride link: links issued before it are spent.
    confirmed_via_link_at: Mapped[datetime | None]
    updated_by_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    appointment: Mapped[Appointment] = relationship(back_populates="transport")
