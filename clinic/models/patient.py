"""Patient aggregate: identity, contact, reminder preferences and REMS enrolment."""

from datetime import date, datetime

from sqlalchemy import Date, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import Base, JSONType

REMINDER_CHANNELS = ("email", "sms")


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    reminder_channels: Mapped[list] = mapped_column(JSONType, default=list)
    reminder_consent: Mapped[bool] = mapped_column(default=False)
    reminder_consent_at: Mapped[datetime | None]
    rems_enrolled_on: Mapped[date | None] = mapped_column(Date)
    # Alarms (VALARM) in the calendar feed only when the patient asks for them.
    calendar_alarms: Mapped[bool] = mapped_column(default=False, server_default=false())
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    # The ride a new dosing visit gets when neither it nor its series has one: {mode, contact_name,
    # contact_phone}.
    default_ride: Mapped[dict | None] = mapped_column(JSONType)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
