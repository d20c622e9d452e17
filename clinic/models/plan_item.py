"""StandingPlanItem: one item of a series' standing monitoring plan, kept while the series' facts stand.

The rows of a series are written together from `clinic.domain.monitoring.standing_plan` (all evidence
counted) and read back at any `now` through `PlanItem.at`, so the provider home lists what is overdue without
computing every active series' plan per view. A write to the plan's facts marks the series stale
(`Series.plan_stale`); the next read computes its rows again (`clinic.services.standing_plans`).
"""

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column

from clinic.domain.monitoring import PlanItem
from clinic.models.base import Base


class StandingPlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("series_id", "key"),
        # The provider home: a provider's items past their deadline, oldest first.
        Index("ix_plan_items_provider_deadline", "provider_id", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    # The series' provider and patient when the rows were written (a change of either marks them stale).
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    key: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    upcoming_until: Mapped[datetime | None]
    deadline: Mapped[datetime]
    done_at: Mapped[datetime | None]
    appointment_id: Mapped[int | None]

    @classmethod
    def waiting_at(cls, now: datetime) -> ColumnElement[bool]:
        """SQL: the item is due or overdue at `now` (`item_status`: not done by `now`, no longer upcoming)."""
        return and_(
            or_(cls.done_at.is_(None), cls.done_at > now),
            or_(cls.upcoming_until.is_(None), cls.upcoming_until <= now),
        )

    @classmethod
    def overdue_at(cls, now: datetime) -> ColumnElement[bool]:
        """SQL: the item is overdue at `now` (`item_status`: waiting and past its deadline)."""
        return and_(cls.waiting_at(now), cls.deadline < now)

    def item_at(self, now: datetime) -> PlanItem:
        """The plan item as it stands at `now`."""
        return PlanItem(
            code=self.code,
            label=self.label,
            due_at=self.due_at,
            deadline=self.deadline,
            appointment_id=self.appointment_id,
            status="",
            done_at=self.done_at,
            key=self.key,
            upcoming_until=self.upcoming_until,
        ).at(now)
