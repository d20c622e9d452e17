"""Chair aggregate: a bookable infusion chair or Spravato room at a location."""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base
from clinic.models.location import Location

CHAIR_KINDS = ("infusion_chair", "spravato_room")


class Chair(Base):
    __tablename__ = "chairs"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32), default="infusion_chair")
    active: Mapped[bool] = mapped_column(default=True)

    location: Mapped[Location] = relationship()
