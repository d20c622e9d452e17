"""Calendar views of a location: the day grid (15-minute rows, a lane per chair and per provider's visits
without a chair) and the week (Monday to Sunday, by chair or by provider).

Visits are read as plain columns, and patients' names only for the patients the actor may see them of: the
front desk sees every name; a provider sees the names of the patients they treat and, for anyone else's
visit, only that the time is taken. Loading a name is what the request's audit notes as a read, so the audit
lists exactly the patients whose names the page shows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import load_only

from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action, Reach
from clinic.domain.visits import KIND_LABELS, THERAPY_KINDS, Modality, VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.series import Series
from clinic.models.transport import Transport
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor

SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
HEADER_ROWS = 1  # grid row 1 holds the lane headers; the first slot is grid row 2
TIME_COLUMNS = 1  # grid column 1 holds the times; the first lane starts in grid column 2
MAX_TRACKS = 8  # overlapping visits side by side in one lane; more than that overlap on screen


@dataclass(frozen=True)
class Filters:
    """What the actor asked to see: one provider's visits, one kind of visit, or only their own."""

    provider_id: int | None = None
    kind: str | None = None
    only_mine: bool = False


@dataclass(frozen=True)
class CalendarVisit:
    """A visit as the calendars show it; times in the location's wall-clock time."""

    id: int
    kind: str
    status: str
    start: datetime
    end: datetime
    chair_id: int | None
    provider_id: int
    dose_number: int | None
    ride_status: str | None
    patient_name: str | None  # None: a patient the actor may not see (the time is only shown as taken)
    modality: str = Modality.IN_PERSON.value

    @property
    def what(self) -> str:
        """The kind as the calendars label it ("dose 3", "integration · virtual")."""
        label = KIND_LABELS.get(self.kind, self.kind).lower()
        label += f" {self.dose_number}" if self.dose_number else ""
        return label + (" · virtual" if self.modality == Modality.VIRTUAL else "")

    @property
    def classes(self) -> str:
        """CSS classes that set a therapy session and a virtual visit apart on the grids."""
        therapy = " visit-therapy" if self.kind in THERAPY_KINDS else ""
        return therapy + (" visit-virtual" if self.modality == Modality.VIRTUAL else "")


@dataclass(frozen=True)
class Lane:
    """A column group of the day grid: a chair, or one provider's visits that hold no chair."""

    title: str
    subtitle: str
    column: int  # first grid column
    width: int  # grid columns: overlapping visits of the lane sit side by side


@dataclass(frozen=True)
class PlacedVisit:
    visit: CalendarVisit
    row_start: int  # grid row of its first 15-minute slot
    row_span: int  # every slot it occupies, its last partial one included
    column: int


@dataclass(frozen=True)
class DayGrid:
    location: Location
    day: date
    first_hour: int
    slots: int
    lanes: list[Lane]
    placed: list[PlacedVisit]
    providers: list[tuple[int, str]]

    @property
    def hour_rows(self) -> list[tuple[time, int]]:
        """Each hour (a wall-clock time, written by the page in the location's locale) and the grid row it
        starts on."""
        return [
            (time((self.first_hour + n) % 24), HEADER_ROWS + 1 + n * SLOTS_PER_HOUR)
            for n in range(self.slots // SLOTS_PER_HOUR)
        ]

    @property
    def columns(self) -> int:
        return sum(lane.width for lane in self.lanes)


@dataclass(frozen=True)
class WeekRow:
    title: str
    subtitle: str
    days: list[list[CalendarVisit]]  # Monday to Sunday


@dataclass(frozen=True)
class WeekView:
    location: Location
    monday: date
    by: str  # "chair" or "provider"
    rows: list[WeekRow]
    providers: list[tuple[int, str]]
    visits: int
    days: list[date]


def day_grid(actor: Actor, location: Location, day: date, filters: Filters) -> DayGrid:
    """The visits (all but cancelled) of `location` on local date `day`, placed on 15-minute rows in a lane
    per active chair and, for visits that hold no chair, a lane per provider."""
    visits = _visits(actor, location, day, day + timedelta(days=1), filters)
    chairs = _chairs(location)
    providers = provider_choices()
    chair_ids = {chair_id for chair_id, _, _ in chairs}
    by_lane: dict[tuple[str, int], list[CalendarVisit]] = defaultdict(list)
    for visit in visits:
        key = ("chair", visit.chair_id) if visit.chair_id in chair_ids else ("provider", visit.provider_id)
        by_lane[key].append(visit)
    names = dict(providers)
    keys = [("chair", chair_id) for chair_id, _, _ in chairs] + sorted(
        (key for key in by_lane if key[0] == "provider"), key=lambda key: names.get(key[1], "")
    )
    titles = {chair_id: (name, kind.replace("_", " ")) for chair_id, name, kind in chairs}
    first_hour, last_hour = _hours(location, day, visits)
    lanes, placed, column = [], [], TIME_COLUMNS + 1
    for key in keys:
        tracks = _tracks(by_lane.get(key, []))
        width = max(tracks.values(), default=0) + 1
        if key[0] == "chair":
            title, subtitle = titles[key[1]]
        else:
            title, subtitle = names.get(key[1], "Provider"), "visits without a chair"
        lanes.append(Lane(title, subtitle, column, width))
        for visit, track in tracks.items():
            row_start, row_span = _rows(visit, day, first_hour)
            placed.append(PlacedVisit(visit, row_start, row_span, column + track))
        column += width
    slots = (last_hour - first_hour) * SLOTS_PER_HOUR
    return DayGrid(location, day, first_hour, slots, lanes, placed, providers)


def week_view(actor: Actor, location: Location, day: date, by: str, filters: Filters) -> WeekView:
    """The visits (all but cancelled) of `location` from the Monday of `day`'s week to its Sunday, a row
    per active chair (and one for visits without a chair) or per provider with visits that week."""
    monday = day - timedelta(days=day.weekday())
    visits = _visits(actor, location, monday, monday + timedelta(days=7), filters)
    providers = provider_choices()
    cells: dict[int | None, list[list[CalendarVisit]]] = defaultdict(lambda: [[] for _ in range(7)])
    if by == "provider":
        for visit in visits:
            cells[visit.provider_id][(visit.start.date() - monday).days].append(visit)
        # Keyed like `cells`, which a visit's provider always fills here (None only in the chair view).
        names: dict[int | None, str] = dict(providers)
        order = sorted(cells, key=lambda provider_id: names.get(provider_id, ""))
        rows = [WeekRow(names.get(pid, "Provider"), "", cells[pid]) for pid in order]
    else:
        chairs = _chairs(location)
        chair_ids = {chair_id for chair_id, _, _ in chairs}
        for visit in visits:
            key = visit.chair_id if visit.chair_id in chair_ids else None
            cells[key][(visit.start.date() - monday).days].append(visit)
        rows = [WeekRow(name, kind.replace("_", " "), cells[cid]) for cid, name, kind in chairs]
        if None in cells:
            rows.append(WeekRow("Other visits", "visits without a chair", cells[None]))
    days = [monday + timedelta(days=n) for n in range(7)]
    return WeekView(location, monday, by, rows, providers, len(visits), days)


def _visits(
    actor: Actor, location: Location, first: date, until: date, filters: Filters
) -> list[CalendarVisit]:
    """Visits starting on local days `first` up to (not including) `until`, with the names the actor may
    see."""
    reach = authorize(actor, Action.VISIT_READ)
    zone = location.zone
    conditions = [
        Appointment.location_id == location.id,
        Appointment.start_at >= utc_at(first, time(0), zone),
        Appointment.start_at < utc_at(until, time(0), zone),
        Appointment.status != VisitStatus.CANCELLED,
    ]
    if filters.only_mine and reach is Reach.TREATED:
        conditions.append(Appointment.provider_id == actor_provider_id(actor))
    elif filters.provider_id is not None:
        conditions.append(Appointment.provider_id == filters.provider_id)
    if filters.kind:
        conditions.append(Appointment.kind == filters.kind)
    # Plain columns, not Appointment rows: a row carries its patient, and the audit would note every
    # patient of the day as read by a provider who is shown only their own patients' names.
    rows = db.session.execute(
        select(
            Appointment.id,
            Appointment.kind,
            Appointment.status,
            Appointment.start_at,
            Appointment.end_at,
            Appointment.chair_id,
            Appointment.provider_id,
            Appointment.dose_number,
            Transport.status,
            Appointment.modality,
            Appointment.patient_id,
        )
        .outerjoin(Transport, Transport.appointment_id == Appointment.id)
        .where(*conditions)
        .order_by(Appointment.start_at, Appointment.id)
    ).all()
    patient_ids: set[int] = {row[10] for row in rows}
    if reach is Reach.TREATED:
        patient_ids = _treated(actor_provider_id(actor), patient_ids)
    names = _names(patient_ids)
    return [
        CalendarVisit(
            id=row[0],
            kind=row[1],
            status=str(row[2]),
            start=row[3].astimezone(zone),
            end=row[4].astimezone(zone),
            chair_id=row[5],
            provider_id=row[6],
            dose_number=row[7],
            ride_status=None if row[8] is None else str(row[8]),
            modality=str(row[9]),
            patient_name=names.get(row[10]),
        )
        for row in rows
    ]


def _names(patient_ids: set[int]) -> dict[int, str]:
    if not patient_ids:
        return {}
    patients = db.session.scalars(
        select(Patient)
        .options(load_only(Patient.first_name, Patient.last_name))
        .where(Patient.id.in_(patient_ids))
    )
    return {patient.id: patient.full_name for patient in patients}


def _treated(provider_id: int, patient_ids: set[int]) -> set[int]:
    """Which of these patients the provider treats (a series or a visit with them), in one query."""
    if not patient_ids:
        return set()
    series = select(Series.patient_id).where(
        Series.provider_id == provider_id, Series.patient_id.in_(patient_ids)
    )
    visits = select(Appointment.patient_id).where(
        Appointment.provider_id == provider_id, Appointment.patient_id.in_(patient_ids)
    )
    return set(db.session.scalars(series.union(visits)))


def _chairs(location: Location) -> list[tuple[int, str, str]]:
    return [
        (row.id, row.name, row.kind)
        for row in db.session.execute(
            select(Chair.id, Chair.name, Chair.kind)
            .where(Chair.location_id == location.id, Chair.active.is_(True))
            .order_by(Chair.kind, Chair.name)
        )
    ]


def provider_choices() -> list[tuple[int, str]]:
    """Every provider's id and name, by name (the filters' list and the lanes' titles)."""
    rows = db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name, Provider.id))
    return [(row.id, row.name) for row in rows]


def _minutes(instant: datetime, day: date) -> int:
    """Minutes from the local midnight starting `day` (a visit running past midnight ends at 24:00)."""
    if instant.date() < day:
        return 0
    if instant.date() > day:
        return 24 * 60
    return instant.hour * 60 + instant.minute


def _hours(location: Location, day: date, visits: list[CalendarVisit]) -> tuple[int, int]:
    """The first and the last-plus-one local hour to show: the opening hours, widened to every visit."""
    ranges = location.hours_by_weekday()[day.weekday()]
    starts = [start.hour * 60 + start.minute for start, _ in ranges]
    starts += [_minutes(v.start, day) for v in visits]
    ends = [end.hour * 60 + end.minute for _, end in ranges] + [_minutes(v.end, day) for v in visits]
    first = min(starts, default=8 * 60) // 60
    last = -(-max(ends, default=18 * 60) // 60)
    return first, max(last, first + 1)


def _rows(visit: CalendarVisit, day: date, first_hour: int) -> tuple[int, int]:
    """The grid row of the visit's first slot and how many slots it covers, a started slot counting whole:
    10:00-11:55 covers the eight slots from 10:00 to 12:00."""
    start = _minutes(visit.start, day) - first_hour * 60
    end = _minutes(visit.end, day) - first_hour * 60
    first_slot = start // SLOT_MINUTES
    last_slot = -(-end // SLOT_MINUTES)
    return HEADER_ROWS + 1 + first_slot, max(last_slot - first_slot, 1)


def _tracks(visits: list[CalendarVisit]) -> dict[CalendarVisit, int]:
    """Side-by-side positions for a lane's visits, so overlapping ones (a provider's consults, a chair booked
    twice) are all visible: each visit takes the first track free at its start."""
    ends: list[datetime] = []
    placed: dict[CalendarVisit, int] = {}
    for visit in sorted(visits, key=lambda v: (v.start, v.id)):
        track = next((n for n, end in enumerate(ends) if end <= visit.start), None)
        if track is None and len(ends) < MAX_TRACKS:
            ends.append(visit.end)
            track = len(ends) - 1
        elif track is None:
            track = min(range(len(ends)), key=ends.__getitem__)  # the track that frees up first
        ends[track] = max(ends[track], visit.end)
        placed[visit] = track
    return placed
