"""The floor board: every active chair of a location with the visit in it now, its phase and checks.

The whole board is read in a fixed number of queries whatever the number of chairs: the chairs, the visits
that may be on the floor now (with their patient, ride and series), their measurements (among them the
questionnaires their patients answered by link), and for a provider which of those patients they treat (and
the clinic's own protocols, when a visit booked without a series names one).

The visits query leaves out a visit that another visit of its chair certainly hides (see `_candidates`),
so the request reads, and the audit notes, the patients the board shows, and only what it shows of them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import Text, and_, case, cast, exists, false, or_, select
from sqlalchemy.orm import aliased, load_only

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
from clinic.domain.monitoring import AlertSeverity
from clinic.domain.policy import Action, Reach, reach
from clinic.domain.protocols import BUILTIN_PROTOCOLS, ProtocolSpec, protocol_from_json
from clinic.domain.questionnaires import Questionnaire
from clinic.domain.session import Reading, SessionFacts, discharge_broken, monitoring_until
from clinic.domain.session import session_checks as protocol_checks
from clinic.domain.transport import discharge_refusal
from clinic.domain.visits import OPEN, VisitStatus, in_order
from clinic.extensions import db
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.protocol import Protocol
from clinic.models.series import Series
from clinic.models.transport import Transport
from clinic.services.access import actor_provider_id, authorize
from clinic.services.actor import Actor
from clinic.services.questionnaires import recorded_by_patient
from clinic.services.session import current_readings, session_reading


@dataclass(frozen=True)
class FloorCheck:
    """A check of the session: when it is due, when it was done, and whether it is overdue now."""

    name: str
    due_at: datetime | None
    done_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class PatientAnswer:
    """A questionnaire the patient answered by link for the visit (the latest of each instrument).

    `total` is None for a viewer whose role may not read measurements: they see that it was answered, and
    whether it raised an urgent alert (item 9 above 0), so they fetch a provider.
    """

    instrument: str
    total: int | None
    recorded_at: datetime
    urgent: bool

    @property
    def title(self) -> str:
        """The questionnaire's name as staff read it ("PHQ-9")."""
        return Questionnaire(self.instrument).label


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
    # The PHQ-9 (and GAD-7) the patient answered by link for this visit, before or at it.
    patient_answers: tuple[PatientAnswer, ...] = ()

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


@dataclass(frozen=True)
class _Candidate:
    """A visit that may be on the floor now, with what the board reads of its ride and series."""

    visit: Appointment
    patient_name: str
    ride_status: str | None
    ride_pickup_at: datetime | None
    # The series' protocol snapshot as JSON text (None: booked without a series), parsed through a cache.
    snapshot: str | None


# Another visit of the same chair, in the visits query. Aliased once: with a new alias every request,
# SQLAlchemy worked out the alias's columns again each time (about a fifth of the query's Python cost).
_OTHER_VISIT = aliased(Appointment)


def _candidates(location: Location, now: datetime) -> list[_Candidate]:
    """Today's visits in the location's active chairs that may be on the floor now: booked and arriving
    within the hour, checked in, or discharged less than 15 minutes ago.

    A visit another one of its chair certainly hides is left out (a patient in the chair hides the next
    arrival and the one who left; an arrival hides the one who left; see `chair_visit`), so the board reads
    no more patients than it shows. Only the columns the board uses are loaded.
    """
    midnight = utc_at(now.astimezone(location.zone).date(), time(0), location.zone)
    arriving_until = now + ARRIVING_FROM
    checked_in = VisitStatus.CHECKED_IN
    completed = VisitStatus.COMPLETED
    open_statuses = in_order(OPEN, VisitStatus)

    def starts_today(visit) -> tuple:  # at this location, no later than an hour from now
        return visit.location_id == location.id, visit.start_at >= midnight, visit.start_at <= arriving_until

    def arriving(visit):
        return and_(visit.status.in_(open_statuses), visit.end_at >= now)

    other = _OTHER_VISIT
    hidden = exists().where(
        other.chair_id == Appointment.chair_id,
        other.id != Appointment.id,
        *starts_today(other),
        or_(
            and_(other.status == checked_in, Appointment.status != checked_in),
            and_(arriving(other), Appointment.status == completed),
        ),
    )
    active_chairs = select(Chair.id).where(Chair.location_id == location.id, Chair.active.is_(True))
    query = (
        select(
            Appointment,
            Patient.first_name,
            Patient.last_name,
            Transport.status,
            Transport.pickup_at,
            cast(Series.protocol_snapshot, Text),
        )
        .join(Appointment.patient)
        .outerjoin(Appointment.transport)
        .outerjoin(Appointment.series)
        .options(
            # The visits are loaded as rows of the session, so the request's audit notes their patients;
            # the patients' names come as plain columns: a second entity per chair only cost its loading.
            load_only(
                Appointment.patient_id,
                Appointment.kind,
                Appointment.chair_id,
                Appointment.protocol_code,
                Appointment.start_at,
                Appointment.end_at,
                Appointment.status,
                Appointment.checked_in_at,
                Appointment.completed_at,
                Appointment.dose_given_at,
            ),
        )
        .where(
            *starts_today(Appointment),
            Appointment.chair_id.in_(active_chairs),
            or_(
                arriving(Appointment),
                Appointment.status == checked_in,
                and_(Appointment.status == completed, Appointment.completed_at > now - DISCHARGED_SHOWN),
            ),
            ~hidden,
        )
    )
    return [
        _Candidate(visit, f"{first} {last}", ride_status, pickup_at, snapshot)  # as Patient.full_name
        for visit, first, last, ride_status, pickup_at, snapshot in db.session.execute(query)
    ]


def _protocols(candidates: list[_Candidate]) -> dict[int, ProtocolSpec | None]:
    """The protocol governing each dosing visit (as clinic.services.protocols.visit_protocol decides), with
    the clinic's own protocols read in one query."""
    codes = {
        c.visit.protocol_code
        for c in candidates
        if c.visit.kind == "dose"
        and c.snapshot is None
        and c.visit.protocol_code
        and c.visit.protocol_code not in BUILTIN_PROTOCOLS
    }
    own = {}
    if codes:
        own = {p.code: p.spec() for p in db.session.scalars(select(Protocol).where(Protocol.code.in_(codes)))}
    specs: dict[int, ProtocolSpec | None] = {}
    for c in candidates:
        a = c.visit
        if a.kind != "dose":
            specs[a.id] = None
        elif c.snapshot is not None:
            # Every patient has a series of their own, but their snapshots are mostly equal: parsed once.
            specs[a.id] = protocol_from_json(c.snapshot)
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


def _measurements(appointment_ids: list[int]) -> tuple[dict[int, list[Reading]], dict[int, dict[str, tuple]]]:
    """The visits' current measurements in one query (run even for no visits: the count stays fixed):
    - as the session rules read them (`current_readings`, the statement `readings_by_visit` runs);
    - the latest questionnaire of each instrument the patient answered by link, with whether it raised an
      urgent alert (only asked of the patient's own answers).
    """
    by_patient = recorded_by_patient()
    urgent = exists().where(Alert.measurement_id == Measurement.id, Alert.severity == AlertSeverity.URGENT)
    rows = db.session.execute(
        current_readings(
            appointment_ids, Measurement.total, by_patient, case((by_patient, urgent), else_=false())
        )
    )
    readings: dict[int, list[Reading]] = defaultdict(list)
    answers: dict[int, dict[str, tuple]] = defaultdict(dict)
    for appointment_id, instrument, timepoint, recorded_at, values, total, answered, is_urgent in rows:
        if appointment_id is None:  # never: the query selects by visit
            continue
        readings[appointment_id].append(session_reading(instrument, timepoint, recorded_at, values))
        if answered:
            answers[appointment_id][instrument] = (total, recorded_at, bool(is_urgent))  # the later one wins
    return readings, answers


def _next_bp_timepoint(checks: list, dose_at: datetime | None) -> str:
    """The timepoint the next blood pressure is recorded under: the first one not yet taken."""
    for check in checks:
        if check.check.instrument == "bp" and check.done_at is None and check.check.timepoint:
            return check.check.timepoint
    return "pre" if dose_at is None else "discharge"


def floor_board(location: Location, actor: Actor, now: datetime) -> FloorBoard:
    """Every active chair of the location with the visit in it at `now` (None: free)."""
    floor_reach = authorize(actor, Action.FLOOR_READ)
    zone = location.zone
    chairs = db.session.execute(
        select(Chair.id, Chair.name, Chair.kind)
        .where(Chair.location_id == location.id, Chair.active.is_(True))
        .order_by(Chair.name)
    ).all()
    candidates = _candidates(location, now)
    specs = _protocols(candidates)
    readings, answered = _measurements([c.visit.id for c in candidates])
    # Scores show to whom the policy lets read measurements (a provider: of the patients they treat).
    scores_reach = Reach.ANY if actor.trusted else reach(actor.role, Action.MONITORING_READ)
    named = None
    if floor_reach is Reach.TREATED or scores_reach is Reach.TREATED:
        named = _treated(actor_provider_id(actor), {c.visit.patient_id for c in candidates})

    def local(instant: datetime | None) -> datetime | None:
        return None if instant is None else instant.astimezone(zone)

    shown: dict[int, FloorVisit] = {}
    per_chair: dict[int, list] = defaultdict(list)
    for candidate in candidates:
        a = candidate.visit
        # Each column once: a loaded row's attribute costs a descriptor call, and a board has 200 visits.
        visit_id, chair_id, start, dose_at = a.id, a.chair_id, a.start_at, a.dose_given_at
        checked_in_at, completed_at = a.checked_in_at, a.completed_at
        spec = specs[visit_id]
        needs_ride = bool(spec and spec.needs_ride)
        ride_status = candidate.ride_status
        facts = SessionFacts(checked_in_at, dose_at, tuple(readings[visit_id]), needs_ride, ride_status)
        checks = protocol_checks(spec, checked_in_at, dose_at, facts.readings) if spec else []
        is_dose = a.kind == "dose" and spec is not None
        if is_dose and spec is not None:  # is_dose implies a spec; said again for the type checker
            broken = [b.code for b in discharge_broken(spec, facts, now, checks)]
        else:
            broken = ["escort_not_verified"] if discharge_refusal(needs_ride, ride_status) else []
        phase = visit_phase(
            VisitStatus(a.status),
            start,
            a.end_at,
            is_dose=is_dose,
            dose_at=dose_at,
            completed_at=completed_at,
            rules_broken=broken,
            now=now,
        )
        if phase is None or chair_id is None:
            continue
        due = next_check(checks, now) if phase is not FloorPhase.DISCHARGED else None
        treated = named is not None and a.patient_id in named
        shows_name = floor_reach is not Reach.TREATED or treated
        shows_scores = scores_reach is Reach.ANY or (scores_reach is Reach.TREATED and treated)
        answers = (
            tuple(
                PatientAnswer(instrument, total if shows_scores else None, at.astimezone(zone), urgent)
                for instrument, (total, at, urgent) in answered[visit_id].items()
            )
            if shows_name
            else ()
        )
        shown[visit_id] = FloorVisit(
            appointment_id=visit_id,
            patient_name=candidate.patient_name if shows_name else None,
            phase=phase,
            start=start.astimezone(zone),
            checked_in_at=local(checked_in_at),
            dose_given_at=local(dose_at),
            completed_at=local(completed_at),
            monitoring_until=local(monitoring_until(spec, dose_at)) if spec else None,
            next_check=None if due is None else NextCheck(due.name, due.due_at.astimezone(zone), due.overdue),
            checks=[FloorCheck(c.name, local(c.due_at), local(c.done_at), c.overdue(now)) for c in checks],
            ride_status=ride_status,
            ride_pickup_at=local(candidate.ride_pickup_at),
            is_dose=is_dose,
            dose_mg_options=spec.rules.dose_mg_options if spec else (),
            bp_timepoint=_next_bp_timepoint(checks, dose_at),
            rules_broken=tuple(broken),
            patient_answers=answers,
        )
        per_chair[chair_id].append((phase, start, visit_id))
    board = []
    for chair_id, name, kind in chairs:
        chosen = chair_visit(per_chair[chair_id])
        board.append(FloorChair(chair_id, name, kind, shown[chosen] if chosen else None))
    return FloorBoard(location, now.astimezone(zone), board)
