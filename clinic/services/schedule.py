"""The day view of a location: its chairs and every visit of one local day."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic.domain.localtime import utc_at
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location


@dataclass(frozen=True)
class DaySchedule:
    location: Location
    day: date
    chairs: list[Chair]
    appointments: list[Appointment]

    @property
    def hours(self) -> list[int]:
        """Local hours to show: the opening hours of the day, widened to every visit on it."""
        ranges = self.location.hours_by_weekday()[self.day.weekday()]
        first = min([r[0].hour for r in ranges] + [a.local_start.hour for a in self.appointments], default=8)
        last = max(
            [r[1].hour - (r[1].minute == 0) for r in ranges]
            + [a.local_start.hour for a in self.appointments],
            default=17,
        )
        return list(range(first, last + 1))

    def at(self, chair_id: int | None, hour: int) -> list[Appointment]:
        """Visits of a chair (None: visits without a chair) starting in a local hour."""
        return [a for a in self.appointments if a.chair_id == chair_id and a.local_start.hour == hour]


def day_schedule(location: Location, day: date, provider_id: int | None = None) -> DaySchedule:
    """Chairs and visits (all statuses but cancelled) of `location` on local date `day`; with `provider_id`,
    only that provider's visits (providers see their own patients)."""
    tz = location.zone
    start = utc_at(day, time(0), tz)
    end = utc_at(day + timedelta(days=1), time(0), tz)
    chairs = list(
        db.session.scalars(
            select(Chair)
            .where(Chair.location_id == location.id, Chair.active.is_(True))
            .order_by(Chair.kind, Chair.name)
        )
    )
    appointments = list(
        db.session.scalars(
            select(Appointment)
            .options(selectinload(Appointment.patient), selectinload(Appointment.transport))
            .where(
                Appointment.location_id == location.id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.status != VisitStatus.CANCELLED,
                *([Appointment.provider_id == provider_id] if provider_id is not None else []),
            )
            .order_by(Appointment.start_at, Appointment.id)
        )
    )
    return DaySchedule(location, day, chairs, appointments)


def local_today(location: Location, now: datetime) -> date:
    return now.astimezone(location.zone).date()
