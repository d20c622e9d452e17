"""InboundMessage: a text a patient (or an unknown number) sent the clinic, kept once per provider id."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.messages import MessageStatus
from clinic.models.base import Base, VocabularyType, vocabulary_check
from clinic.models.patient import Patient


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        # The front desk's list: open messages, oldest first.
        Index("ix_inbound_messages_status_received", "status", "received_at"),
        vocabulary_check("status", MessageStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The provider's id of the message (Twilio's MessageSid): a webhook delivered twice is stored once.
    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Set when the sending number belongs to exactly one patient.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    # The keyword the automatic reply answered (confirm, stop, start, help), if any.
    keyword: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[MessageStatus] = mapped_column(VocabularyType(MessageStatus), default=MessageStatus.OPEN)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    handled_by_label: Mapped[str | None] = mapped_column(String(254))

    patient: Mapped[Patient | None] = relationship()
