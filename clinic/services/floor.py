"""The floor board: every active chair of a location with the visit in it now, its phase and checks.

The whole board is read in a fixed number of queries whatever the number of chairs: the chairs, the visits
that may be on the floor now (with their patient, ride and series), their measurements, and for a provider
which of those patients they treat (and the clinic's own protocols, when a visit booked without a series
names one).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from clinic.domain.floor import (
    ARRIVING_FROM,
    DISCHARGED_SHOWN,
    FloorPhase,
    NextCheck,
    chair_visit,
    next_check,
    visit_phase,
)
from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action, Reach
from clinic.domain.protocols import BUILTIN_PROTOCOLS, ProtocolSpec
from clinic.domain.session import SessionFacts, discharge_broken, monitoring_until
from clinic.domain.session import session_checks as protocol_checks
from clinic.domain.transport import discharge_refusal
from clinic.domain.visits import OPEN, VisitStatus, in_order
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.protocol import Protocol
from clinic.models.series import Series
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor
from clinic.services.session import readings_by_visit


@dataclass(frozen=True)
class FloorCheck:
    """A check of the session: when it is due, when it was done, and whether it is overdue now."""

    name: str
    due_at: datetime | None
    done_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class FloorVisit:
    """The visit in a chair now, as the board shows it (times in the location's local time)."""

    appointment_id: int
    patient_name: str | None  # None: a provider's board for a patient they do not treat
    phase: FloorPhase
    start: datetime
    checked_in_at: datetime | None
    dose_given_at: datetime | None
    completed_at: datetime | None
    monitoring_until: datetime | None
    next_check: NextCheck | None
    checks: list[FloorCheck]
    ride_status: str | None
    ride_pickup_at: datetime | None
    # What the board's actions need: whether a dose is given here, the doses the protocol allows, the
    # timepoint of the blood pressure due next, and the discharge rules still in the way.
    is_dose: bool = False
    dose_mg_options: tuple[int, ...] = ()
    bp_timepoint: str = "pre"
    rules_broken: tuple[str, ...] = ()

    @property
    def ride(self) -> dict | None:
        if self.ride_status is None:
            return None
        return {"status": self.ride_status, "pickup_at": self.ride_pickup_at}


@dataclass(frozen=True)
class FloorChair:
    chair_id: int
    name: str
    kind: str
    visit: FloorVisit | None


@dataclass(frozen=True)
class FloorBoard:
    location: Location
    now: datetime
    chairs: list[FloorChair]


def _candidates(location: Location, chair_ids: list[int], now: datetime) -> list[Appointment]:
    """Today's visits of these chairs that may be on the floor now: booked and arriving within the hour,
    checked in, or discharged less than 15 minutes ago."""
    midnight = utc_at(now.astimezone(location.zone).date(), time(0), location.zone)
    query = (
        select(Appointment)
        .options(
            joinedload(Appointment.patient),
            joinedload(Appointment.transport),
            joinedload(Appointment.series),
        )
        .where(
            Appointment.location_id == location.id,
            Appointment.chair_id.in_(chair_ids),
            Appointment.start_at >= midnight,
            Appointment.start_at <= now + ARRIVING_FROM,
            or_(
                and_(Appointment.status.in_(in_order(OPEN, VisitStatus)), Appointment.end_at >= now),
                Appointment.status == VisitStatus.CHECKED_IN,
                and_(
                    Appointment.status == VisitStatus.COMPLETED,
                    Appointment.completed_at > now - DISCHARGED_SHOWN,
                ),
            ),
        )
    )
    return list(db.session.scalars(query).unique())


def _protocols(visits: list[Appointment]) -> dict[int, ProtocolSpec | None]:
    """The protocol governing each dosing visit (as clinic.services.protocols.visit_protocol decides), with
    the clinic's own protocols read in one query."""
    codes = {
        a.protocol_code
        for a in visits
        if a.kind == "dose"
        and a.series is None
        and a.protocol_code
        and a.protocol_code not in BUILTIN_PROTOCOLS
    }
    own = {}
    if codes:
        own = {p.code: p.spec() for p in db.session.scalars(select(Protocol).where(Protocol.code.in_(codes)))}
    by_series: dict[int, ProtocolSpec] = {}
    specs: dict[int, ProtocolSpec | None] = {}
    for a in visits:
        if a.kind != "dose":
            specs[a.id] = None
        elif a.series is not None:
            if a.series.id not in by_series:
                by_series[a.series.id] = a.series.spec()
            specs[a.id] = by_series[a.series.id]
        else:
            code = a.protocol_code or ""
            specs[a.id] = BUILTIN_PROTOCOLS.get(code) or own.get(code)
    return specs


def _treated(provider_id: int, patient_ids: set[int]) -> set[int]:
    """Which of these patients the provider treats (a series or a visit with them), in one query."""
    series = select(Series.patient_id).where(
        Series.provider_id == provider_id, Series.patient_id.in_(patient_ids)
    )
    visits = select(Appointment.patient_id).where(
        Appointment.provider_id == provider_id, Appointment.patient_id.in_(patient_ids)
    )
    return set(db.session.scalars(series.union(visits)))


def _next_bp_timepoint(checks: list, dose_at: datetime | None) -> str:
    """The timepoint the next blood pressure is recorded under: the first one not yet taken."""
    for check in checks:
        if check.check.instrument == "bp" and check.done_at is None and check.check.timepoint:
            return check.check.timepoint
    return "pre" if dose_at is None else "discharge"


def floor_board(location: Location, actor: Actor, now: datetime) -> FloorBoard:
    """Every active chair of the location with the visit in it at `now` (None: free)."""
    reach = authorize(actor, Action.FLOOR_READ)
    zone = location.zone
    chairs = list(
        db.session.scalars(
            select(Chair).where(Chair.location_id == location.id, Chair.active.is_(True)).order_by(Chair.name)
        )
    )
    visits = _candidates(location, [c.id for c in chairs], now)
    specs = _protocols(visits)
    readings = readings_by_visit([a.id for a in visits])
    named = None
    if reach is Reach.TREATED:
        named = _treated(actor_provider_id(actor), {a.patient_id for a in visits})

    def local(instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(zone)

    shown: dict[int, FloorVisit] = {}
    per_chair: dict[int, list] = defaultdict(list)
    for a in visits:
        spec = specs[a.id]
        ride = a.transport
        needs_ride = bool(spec and spec.needs_ride)
        ride_status = ride.status if ride is not None else None
        facts = SessionFacts(a.checked_in_at, a.dose_given_at, tuple(readings[a.id]), needs_ride, ride_status)
        is_dose = a.kind == "dose" and spec is not None
        if is_dose:
            broken = [b.code for b in discharge_broken(spec, facts, now)]  # type: ignore[arg-type]
        else:
            broken = ["escort_not_verified"] if discharge_refusal(needs_ride, ride_status) else []
        phase = visit_phase(
            VisitStatus(a.status),
            a.start_at,
            a.end_at,
            is_dose=is_dose,
            dose_at=a.dose_given_at,
            completed_at=a.completed_at,
            rules_broken=broken,
            now=now,
        )
        if phase is None or a.chair_id is None:
            continue
        checks = protocol_checks(spec, a.checked_in_at, a.dose_given_at, facts.readings) if spec else []
        due = next_check(checks, now) if phase is not FloorPhase.DISCHARGED else None
        shown[a.id] = FloorVisit(
            appointment_id=a.id,
            patient_name=a.patient.full_name if named is None or a.patient_id in named else None,
            phase=phase,
            start=a.start_at.astimezone(zone),
            checked_in_at=local(a.checked_in_at),
            dose_given_at=local(a.dose_given_at),
            completed_at=local(a.completed_at),
            monitoring_until=local(monitoring_until(spec, a.dose_given_at)) if spec else None,
            next_check=None if due is None else NextCheck(due.name, due.due_at.astimezone(zone), due.overdue),
            checks=[FloorCheck(c.name, local(c.due_at), local(c.done_at), c.overdue(now)) for c in checks],
            ride_status=ride_status,
            ride_pickup_at=local(ride.pickup_at) if ride is not None else None,
            is_dose=is_dose,
            dose_mg_options=spec.rules.dose_mg_options if spec else (),
            bp_timepoint=_next_bp_timepoint(checks, a.dose_given_at),
            rules_broken=tuple(broken),
        )
        per_chair[a.chair_id].append((phase, a.start_at, a.id))
    board = []
    for chair in chairs:
        chosen = chair_visit(per_chair[chair.id])
        board.append(FloorChair(chair.id, chair.name, chair.kind, shown[chosen] if chosen else None))
    return FloorBoard(location, now.astimezone(zone), board)
