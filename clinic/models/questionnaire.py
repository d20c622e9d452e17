"""QuestionnaireLinkUse: the stored mark that a questionnaire link was used, one row per link."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.appointment import Appointment
from clinic.models.base import Base, JSONType


class QuestionnaireLinkUse(Base):
    __tablename__ = "questionnaire_link_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    # SHA-256 (hex) of the link's token, never the token itself. Unique: two answers sent at the same moment
    # through one link save once, the database refusing the second.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime]
    # The measurements saved through the link (ids), for tracing the answers back to the link.
    measurement_ids: Mapped[list] = mapped_column(JSONType, default=list)

    appointment: Mapped[Appointment] = relationship()
