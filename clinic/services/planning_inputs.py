"""Loading what the planner needs for one location, provider and patient over a window of time.

Every load is a fixed number of indexed range queries, however many appointments the clinic has.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import or_, select

from clinic.domain.planning import Interval, LocationRules, PatientRules, ProviderRules, Resources
from clinic.domain.visits import VisitKind
from clinic.extensions import db
from clinic.formatting import LocalWording, Place
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location, LocationClosure
from clinic.models.patient import Patient
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff

# No visit lasts longer than this; it bounds the index range scans from below.
LONGEST_VISIT = timedelta(days=1)
# Session.info key of the rows lock_for_booking loaded.
_LOCKED_FOR_BOOKING = "clinic.locked_for_booking"


@dataclass(frozen=True)
class PlanningInputs:
    location: LocationRules
    provider: ProviderRules
    resources: Resources
    patient: PatientRules
    chairs: dict[int, Chair]


def _overlapping(window_start: datetime, window_end: datetime, exclude: Collection[int]):
    query = select(
        Appointment.kind,
        Appointment.chair_id,
        Appointment.provider_id,
        Appointment.patient_id,
        Appointment.start_at,
        Appointment.end_at,
    ).where(
        Appointment.holds_slot,
        Appointment.start_at < window_end,
        Appointment.start_at > window_start - LONGEST_VISIT,
        Appointment.end_at > window_start,
    )
    if exclude:
        query = query.where(Appointment.id.not_in(list(exclude)))
    return query


class _Booking(NamedTuple):
    """A visit holding its slot in the window: whose it is, and its interval (a tuple: hundreds are made per
    load, and a frozen dataclass costs several times as much to build)."""

    kind: str
    chair_id: int | None
    provider_id: int
    patient_id: int
    interval: Interval


def _bookings(
    window_start: datetime,
    window_end: datetime,
    exclude: Collection[int],
    chair_ids: Collection[int],
    provider: Provider,
    patient: Patient | None,
) -> list[_Booking]:
    """The visits overlapping the window that hold one of the chairs, the provider or the patient: one
    statement, where PostgreSQL reads the three index ranges (owner, start) and joins their bitmaps."""
    owners = [Appointment.provider_id == provider.id]
    if chair_ids:
        owners.append(Appointment.chair_id.in_(list(chair_ids)))
    if patient is not None:
        owners.append(Appointment.patient_id == patient.id)
    rows = db.session.execute(_overlapping(window_start, window_end, exclude).where(or_(*owners)))
    return [
        _Booking(kind, chair_id, provider_id, patient_id, Interval(start, end))
        for kind, chair_id, provider_id, patient_id, start, end in rows
    ]


def _location_rules(location: Location, window_start: datetime, window_end: datetime) -> LocationRules:
    tz = location.zone
    closures = db.session.scalars(
        select(LocationClosure.date).where(
            LocationClosure.location_id == location.id,
            LocationClosure.date >= window_start.astimezone(tz).date() - timedelta(days=1),
            LocationClosure.date <= window_end.astimezone(tz).date() + timedelta(days=1),
        )
    )
    # The rules' messages write days and times the way the location's staff read them.
    wording = LocalWording(Place(tz, location.locale))
    return LocationRules(location.timezone, location.hours_by_weekday(), frozenset(closures), wording)


def _provider_rules(
    provider: Provider,
    location: Location,
    window_start: datetime,
    window_end: datetime,
    bookings: list[_Booking],
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
    own = [booking for booking in bookings if booking.provider_id == provider.id]
    return ProviderRules(
        availability={day: sorted(ranges) for day, ranges in availability.items()},
        time_off=time_off,
        max_concurrent=provider.max_concurrent,
        busy=[booking.interval for booking in own if booking.kind == VisitKind.DOSE],
        visits=[booking.interval for booking in own],
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
    if chair_kind is not None:
        chairs = {
            chair.id: chair
            for chair in db.session.scalars(
                select(Chair)
                .where(Chair.location_id == location.id, Chair.kind == chair_kind, Chair.active.is_(True))
                .order_by(Chair.id)
            )
        }
    bookings = _bookings(window_start, window_end, exclude, chairs, provider, patient)
    by_chair: dict[int, list[Interval]] = {chair_id: [] for chair_id in chairs}
    for booking in bookings:
        if booking.chair_id in by_chair:
            by_chair[booking.chair_id].append(booking.interval)
    own = [booking for booking in bookings if patient is not None and booking.patient_id == patient.id]
    # a patient's other doses, for the one-dose-a-day rule (the window reaches a day beyond each end)
    patient_doses = [booking.interval.start for booking in own if booking.kind == VisitKind.DOSE]
    return PlanningInputs(
        location=_location_rules(location, window_start, window_end),
        provider=_provider_rules(provider, location, window_start, window_end, bookings),
        resources=Resources(by_chair),
        patient=PatientRules([booking.interval for booking in own], patient_doses),
        chairs=chairs,
    )


def lock_for_booking(provider_id: int, patient_id: int) -> None:
    """Serialise bookings that share a provider or a patient (PostgreSQL row locks, in a fixed order).

    On SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE), and SQLAlchemy
    leaves FOR UPDATE out. The locked rows are loaded whole, and held until the session ends (its identity
    map keeps only rows something refers to): a booking reads both next and finds them there, with no query.
    """
    db.session.info[_LOCKED_FOR_BOOKING] = [
        *db.session.scalars(select(Provider).where(Provider.id == provider_id).with_for_update()),
        *db.session.scalars(select(Patient).where(Patient.id == patient_id).with_for_update()),
    ]
