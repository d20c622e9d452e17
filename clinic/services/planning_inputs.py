"""Loading what the planner needs for one location, provider and patient over a window of time.

Every load is a fixed number of indexed range queries, however many appointments the clinic has.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from clinic.domain.planning import Interval, LocationRules, PatientRules, ProviderRules, Resources
from clinic.domain.visits import VisitKind
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location, LocationClosure
from clinic.models.patient import Patient
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff

# No visit lasts longer than this; it bounds the index range scans from below.
LONGEST_VISIT = timedelta(days=1)


@dataclass(frozen=True)
class PlanningInputs:
    location: LocationRules
    provider: ProviderRules
    resources: Resources
    patient: PatientRules
    chairs: dict[int, Chair]


def _overlapping(window_start: datetime, window_end: datetime, exclude: Collection[int]):
    query = select(
        Appointment.id, Appointment.kind, Appointment.chair_id, Appointment.start_at, Appointment.end_at
    ).where(
        Appointment.holds_slot,
        Appointment.start_at < window_end,
        Appointment.start_at > window_start - LONGEST_VISIT,
        Appointment.end_at > window_start,
    )
    if exclude:
        query = query.where(Appointment.id.not_in(list(exclude)))
    return query


def _location_rules(location: Location, window_start: datetime, window_end: datetime) -> LocationRules:
    tz = location.zone
    closures = db.session.scalars(
        select(LocationClosure.date).where(
            LocationClosure.location_id == location.id,
            LocationClosure.date >= window_start.astimezone(tz).date() - timedelta(days=1),
            LocationClosure.date <= window_end.astimezone(tz).date() + timedelta(days=1),
        )
    )
    return LocationRules(location.timezone, location.hours_by_weekday(), frozenset(closures))


def _provider_rules(
    provider: Provider,
    location: Location,
    window_start: datetime,
    window_end: datetime,
    exclude: Collection[int],
) -> ProviderRules:
    availability: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in db.session.scalars(
        select(ProviderAvailability).where(
            ProviderAvailability.provider_id == provider.id, ProviderAvailability.location_id == location.id
        )
    ):
        availability[row.weekday].append((row.start, row.end))
    time_off = [
        Interval(row.start, row.end)
        for row in db.session.scalars(
            select(ProviderTimeOff).where(
                ProviderTimeOff.provider_id == provider.id,
                ProviderTimeOff.start < window_end,
                ProviderTimeOff.end > window_start,
            )
        )
    ]
    rows = list(
        db.session.execute(
            _overlapping(window_start, window_end, exclude).where(Appointment.provider_id == provider.id)
        )
    )
    return ProviderRules(
        availability={day: sorted(ranges) for day, ranges in availability.items()},
        time_off=time_off,
        max_concurrent=provider.max_concurrent,
        busy=[Interval(row.start_at, row.end_at) for row in rows if row.kind == VisitKind.DOSE],
        visits=[Interval(row.start_at, row.end_at) for row in rows],
    )


def load_planning_inputs(
    location: Location,
    provider: Provider,
    patient: Patient | None,
    chair_kind: str | None,
    window_start: datetime,
    window_end: datetime,
    exclude: Collection[int] = (),
) -> PlanningInputs:
    """Rules and bookings around [window_start, window_end); `exclude` leaves out visits being moved.

    Without a patient (free times for anyone) the patient's own visits are left out of the rules.
    """
    chairs: dict[int, Chair] = {}
    bookings: dict[int, list[Interval]] = {}
    if chair_kind is not None:
        chairs = {
            chair.id: chair
            for chair in db.session.scalars(
                select(Chair)
                .where(Chair.location_id == location.id, Chair.kind == chair_kind, Chair.active.is_(True))
                .order_by(Chair.id)
            )
        }
        bookings = {chair_id: [] for chair_id in chairs}
        if chairs:
            for row in db.session.execute(
                _overlapping(window_start, window_end, exclude).where(Appointment.chair_id.in_(list(chairs)))
            ):
                bookings[row.chair_id].append(Interval(row.start_at, row.end_at))
    patient_rows = []
    if patient is not None:
        patient_rows = list(
            db.session.execute(
                _overlapping(window_start, window_end, exclude).where(Appointment.patient_id == patient.id)
            )
        )
    patient_busy = [Interval(row.start_at, row.end_at) for row in patient_rows]
    # a patient's other doses, for the one-dose-a-day rule (the window reaches a day beyond each end)
    patient_doses = [row.start_at for row in patient_rows if row.kind == VisitKind.DOSE]
    return PlanningInputs(
        location=_location_rules(location, window_start, window_end),
        provider=_provider_rules(provider, location, window_start, window_end, exclude),
        resources=Resources(bookings),
        patient=PatientRules(patient_busy, patient_doses),
        chairs=chairs,
    )


def lock_for_booking(provider_id: int, patient_id: int) -> None:
    """Serialise bookings that share a provider or a patient (PostgreSQL row locks, in a fixed order).

    On SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE), and SQLAlchemy
    leaves FOR UPDATE out.
    """
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())
    db.session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())
