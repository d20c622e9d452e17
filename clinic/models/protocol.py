"""Protocol: a treatment template stored as data (the four built-ins and a clinic's own)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.domain.protocols import ProtocolSpec, stored_protocol
from clinic.models.base import Base, JSONType


class Protocol(Base):
    __tablename__ = "protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # protocol_to_dict() of the template; clinic.domain.protocols validates it on load.
    definition: Mapped[dict] = mapped_column(JSONType)
    builtin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    def spec(self) -> ProtocolSpec:
        """The protocol this template's definition stores (parsed once per distinct content)."""
        return stored_protocol(self.definition)
