"""Single visits: booking, moving (one visit or the rest of its series), cancelling, no-shows, listing."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic.domain.localtime import local_date_of, shift_wall, wall_delta
from clinic.domain.planning import (
    PlannedDose,
    Resources,
    Rule,
    VisitCheck,
    check_appointment,
    choose_chair,
)
from clinic.domain.policy import Action
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.rems import is_rems_enrolled_for
from clinic.domain.slots import SUGGESTION_DAYS, nearest_starts
from clinic.domain.visits import OPEN, Modality, VisitKind, VisitStatus, modality_refusal, require_status
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.services.access import authorize, authorize_record, provider_scope
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid, PermissionDenied, domain_refusals
from clinic.services.lookup import get_referenced
from clinic.services.planning_inputs import PlanningInputs, load_planning_inputs, lock_for_booking
from clinic.services.protocols import resolve_protocol, visit_protocol
from clinic.services.reminders import (
    notify_cancellation,
    notify_moved,
    plan_booking,
    replace_reminders,
    withdraw_reminders,
)
from clinic.services.series import flush_bookings
from clinic.services.transport import ensure_transports, follow_moved_visits
from clinic.services.visits import rule_dicts

DEFAULT_MINUTES = {
    VisitKind.FOLLOW_UP: 30,
    VisitKind.CONSULT: 30,
    VisitKind.PREPARATION: 60,
    VisitKind.INTEGRATION: 60,
}
# A single dose without a named protocol takes the usual single-dose protocol of its chair's kind.
SINGLE_DOSE_PROTOCOL = {"infusion_chair": "iv-ketamine-booster", "spravato_room": "spravato-maintenance"}
MAX_LISTED = 1000
# Starts tried for a move of the rest of a series before giving up on suggestions.
MAX_FOLLOWING_TRIES = 20


class MoveConflict(Conflict):
    """A move that breaks rules, with the nearest starts where it would pass (local times)."""

    def __init__(self, detail: str, *, conflicts: list[dict[str, Any]], suggestions: list[datetime]) -> None:
        super().__init__(detail, conflicts=conflicts)
        self.suggestions = suggestions


@dataclass(frozen=True)
class MovePreview:
    """A proposed move, visit by visit, and when it is not allowed the nearest starts that are."""

    moves: list["ProposedMove"]
    suggestions: list[datetime]

    @property
    def ok(self) -> bool:
        return not any(move.rules for move in self.moves)


@dataclass(frozen=True)
class ProposedMove:
    """Where one visit would go on a reschedule, and the rules that forbid it (empty when allowed)."""

    appointment: Appointment
    start: datetime
    end: datetime
    chair_id: int | None
    rules: list[Rule]


def dose_spec_of(data: dict[str, Any], chair: Chair | None) -> ProtocolSpec:
    """The protocol of a single dose: the one named in `data`, else the usual one of the chair's kind."""
    code = data.get("protocol") or (SINGLE_DOSE_PROTOCOL[chair.kind] if chair else None)
    if code is None:
        raise Invalid.field("protocol", "A dose needs its protocol (or a chair to infer it from)")
    _, spec = resolve_protocol(code, data.get("parameters"))
    if chair is not None and chair.kind != spec.chair_kind:
        kind = spec.chair_kind.replace("_", " ")
        raise Invalid.field("chair_id", f"{spec.name} needs {'an' if kind[0] in 'aeiou' else 'a'} {kind}")
    return spec


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return start - timedelta(days=1), end + timedelta(days=1)


def book_appointment(data: dict[str, Any], actor: Actor, now: datetime) -> Appointment:
    """Book one visit after checking every rule; a broken rule is a Conflict naming it."""
    authorize(actor, Action.VISIT_BOOK)
    return place_visit(data, actor, now)


def place_visit(data: dict[str, Any], actor: Actor, now: datetime) -> Appointment:
    """Book one visit for a use case that has already authorized the actor (e.g. a due follow-up)."""
    patient = get_referenced(Patient, data["patient_id"], "patient_id")
    location = get_referenced(Location, data["location_id"], "location_id")
    provider = get_referenced(Provider, data["provider_id"], "provider_id")
    chair = get_referenced(Chair, data["chair_id"], "chair_id") if data.get("chair_id") else None
    if chair is not None and chair.location_id != location.id:
        raise Invalid.field("chair_id", "This chair is at another location")
    kind = VisitKind(data["kind"])
    if kind != VisitKind.DOSE and chair is not None:
        raise Invalid.field("chair_id", "Only dosing visits hold a chair")
    modality = data.get("modality") or Modality.IN_PERSON
    join_url = (data.get("join_url") or "").strip() or None
    refusal = modality_refusal(kind, modality, join_url)
    if refusal is not None:
        raise Invalid.field(*refusal)
    spec = dose_spec_of(data, chair) if kind == VisitKind.DOSE else None
    minutes = spec.chair_minutes if spec else data.get("duration_minutes") or DEFAULT_MINUTES[kind]
    start = data["start"]
    end = start + timedelta(minutes=minutes)
    lock_for_booking(provider.id, patient.id)
    inputs = load_planning_inputs(
        location, provider, patient, spec.chair_kind if spec else None, *_window(start, end)
    )
    rules = check_appointment(
        start,
        kind,
        inputs.location,
        inputs.provider,
        inputs.resources,
        inputs.patient,
        now,
        duration_minutes=minutes,
        chair_id=chair.id if chair else None,
    )
    if rules:
        raise Conflict("The visit cannot be booked at this time", conflicts=rule_dicts(rules))
    _check_rems(spec, patient, start, location, data.get("rems_override_reason"))
    appointment = Appointment(
        uid=f"{uuid.uuid4()}@clinic",
        sequence=0,
        kind=kind,
        patient=patient,
        provider=provider,
        location=location,
        chair_id=chair.id if chair else (choose_chair(inputs.resources, start, end) if spec else None),
        protocol_code=spec.code if spec else None,
        start_at=start,
        end_at=end,
        status=VisitStatus.SCHEDULED,
        modality=Modality(modality),
        join_url=join_url,
        planning_note="",
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    flush_bookings()
    ensure_transports([appointment], patient.default_ride, now)
    plan_booking([appointment], now)
    record_event(
        actor,
        "appointment.book",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"patient_id": patient.id, "kind": kind, "start": start.isoformat(), "modality": modality},
    )
    return appointment


def _check_rems(
    spec: ProtocolSpec | None, patient: Patient, start: datetime, location: Location, override
) -> None:
    if spec is None or not spec.rems_required or (override or "").strip():
        return
    if not is_rems_enrolled_for(patient.rems_enrolled_on, local_date_of(start, location.zone)):
        raise Conflict(
            "The patient is not enrolled in the Spravato REMS before this dose",
            conflicts=[
                {
                    "code": "rems_not_enrolled",
                    "message": "Record the REMS enrolment date, or give rems_override_reason",
                }
            ],
        )


def _movers(appointment: Appointment, scope: str) -> list[Appointment]:
    if scope == "this" or appointment.series_id is None:
        return [appointment]
    later = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.series_id == appointment.series_id,
            Appointment.start_at > appointment.start_at,
            Appointment.is_open,
        )
        .order_by(Appointment.start_at)
    )
    # the preparation session belongs to the first dose: moving the series from there takes it along
    earlier: Iterable[Appointment] = []
    if appointment.kind == VisitKind.DOSE and appointment.dose_number == 1:
        earlier = db.session.scalars(
            select(Appointment).where(
                Appointment.series_id == appointment.series_id,
                Appointment.kind == VisitKind.PREPARATION,
                Appointment.start_at < appointment.start_at,
                Appointment.is_open,
            )
        )
    return [appointment, *earlier, *later]


def _series_doses(appointment: Appointment, exclude: set[int]) -> list[Appointment]:
    if appointment.series_id is None:
        return []
    return list(
        db.session.scalars(
            select(Appointment).where(
                Appointment.series_id == appointment.series_id,
                Appointment.kind == "dose",
                Appointment.holds_slot,
                Appointment.id.not_in(exclude),
            )
        )
    )


def propose_reschedule(
    appointment: Appointment, new_start: datetime, scope: str, now: datetime
) -> list[ProposedMove]:
    """Where `appointment` (and with scope "following", the later open visits of its series) would move.

    The later visits shift by the same wall-clock amount, so 09:00 stays 09:00 across DST; each one is
    checked against every rule with the others at their new places.
    """
    with domain_refusals():
        require_status(VisitStatus(appointment.status), OPEN, "moved")
    tz = appointment.location.zone
    movers = _movers(appointment, scope)
    delta = wall_delta(appointment.start_at, new_start, tz)
    moved_ids = {m.id for m in movers}
    new_starts = {m.id: shift_wall(m.start_at, delta, tz) for m in movers}
    spec = visit_protocol(appointment)
    window = _window(min(new_starts.values()), max(new_starts.values()) + timedelta(days=1))
    inputs = load_planning_inputs(
        appointment.location,
        appointment.provider,
        appointment.patient,
        spec.chair_kind if spec else None,
        *window,
        exclude=moved_ids,
    )
    fixed_doses = [PlannedDose(d.start_at, d.phase_index) for d in _series_doses(appointment, moved_ids)]
    moved_doses = [m for m in movers if m.kind == "dose"]
    return [_propose_one(m, new_starts, moved_doses, fixed_doses, inputs, now) for m in movers]


def _propose_one(
    mover: Appointment,
    new_starts: dict[int, datetime],
    moved_doses: list[Appointment],
    fixed_doses: list[PlannedDose],
    inputs: PlanningInputs,
    now: datetime,
) -> ProposedMove:
    start = new_starts[mover.id]
    duration = mover.end_at - mover.start_at
    end = start + duration
    others = fixed_doses + [
        PlannedDose(new_starts[d.id], d.phase_index) for d in moved_doses if d.id != mover.id
    ]
    rules = _move_check(mover, others, inputs, now).rules(start)
    chair_id = _chair_for(inputs.resources, mover.chair_id, start, end) if mover.kind == "dose" else None
    return ProposedMove(mover, start, end, chair_id, rules)


def _move_check(
    mover: Appointment, other_doses: list[PlannedDose], inputs: PlanningInputs, now: datetime
) -> VisitCheck:
    """The rules of `mover` at any new start, with the other doses of its series at `other_doses`."""
    series = mover.series
    return VisitCheck(
        mover.kind,
        inputs.location,
        inputs.provider,
        inputs.resources,
        inputs.patient,
        now,
        protocol=visit_protocol(mover) if series is not None else None,
        other_doses=other_doses if series is not None else (),
        series_start_date=series.start_date if series is not None else None,
        phase_index=mover.phase_index,
        duration_minutes=int((mover.end_at - mover.start_at).total_seconds() // 60),
    )


def suggest_move_starts(
    appointment: Appointment, asked: datetime, scope: str, now: datetime
) -> list[datetime]:
    """Up to three starts nearest to `asked` where the move passes every rule, in local time.

    Each start is one the slot finder lists for the visit (its series' other doses where they are); with
    scope "following" a start is only suggested once the whole shifted rest of the series passes too.
    """
    tz = appointment.location.zone
    movers = _movers(appointment, scope)
    moved_ids = {m.id for m in movers}
    spec = visit_protocol(appointment)
    reach = timedelta(days=SUGGESTION_DAYS + 1)
    inputs = load_planning_inputs(
        appointment.location,
        appointment.provider,
        appointment.patient,
        spec.chair_kind if spec else None,
        asked - reach,
        asked + reach,
        exclude=moved_ids,
    )
    fixed = [PlannedDose(d.start_at, d.phase_index) for d in _series_doses(appointment, moved_ids)]
    check = _move_check(appointment, fixed, inputs, now)

    tries = [MAX_FOLLOWING_TRIES]

    def whole_move_passes(start: datetime) -> bool:
        if len(movers) == 1:
            return True
        # each try loads the rules data again; a series that fits nowhere near gets no suggestions
        tries[0] -= 1
        return tries[0] >= 0 and not any(p.rules for p in propose_reschedule(appointment, start, scope, now))

    starts = nearest_starts(
        check, inputs.location.opening_hours, appointment.location.timezone, asked, accept=whole_move_passes
    )
    return [start.astimezone(tz) for start in starts]


def preview_move(appointment: Appointment, new_start: datetime, scope: str, now: datetime) -> MovePreview:
    """Where a move would put each visit; when any rule is broken, the nearest starts that pass."""
    moves = propose_reschedule(appointment, new_start, scope, now)
    broken = any(move.rules for move in moves)
    return MovePreview(moves, suggest_move_starts(appointment, new_start, scope, now) if broken else [])


def _chair_for(resources: Resources, current: int | None, start: datetime, end: datetime) -> int | None:
    """Keep the visit's chair when it is free at the new time, else the first free chair of its kind."""
    if current is not None and current in resources.chairs and choose_chair(
        Resources({current: resources.chairs[current]}), start, end
    ):
        return current
    return choose_chair(resources, start, end)


def reschedule_appointment(
    appointment: Appointment, new_start: datetime, scope: str, actor: Actor, now: datetime
) -> list[Appointment]:
    """Move a visit (scope "this") or it and the later visits of its series (scope "following")."""
    authorize_record(actor, Action.VISIT_CHANGE, appointment, "appointment")
    lock_for_booking(appointment.provider_id, appointment.patient_id)
    proposals = propose_reschedule(appointment, new_start, scope, now)
    broken = [p for p in proposals if p.rules]
    if broken:
        raise MoveConflict(
            "The move breaks scheduling rules",
            suggestions=suggest_move_starts(appointment, new_start, scope, now),
            conflicts=[
                {
                    "appointment_id": p.appointment.id,
                    "start": p.start.astimezone(p.appointment.location.zone).isoformat(),
                    "rules": rule_dicts(p.rules),
                }
                for p in broken
            ],
        )
    old_ends = {proposal.appointment: proposal.appointment.end_at for proposal in proposals}
    old_starts = {proposal.appointment: proposal.appointment.start_at for proposal in proposals}
    # Written from the far end of the move, one at a time: a visit of a series moved a week later must not
    # land, even for a moment, on the chair time a later visit of the same move still holds (PostgreSQL
    # checks its exclusion constraint row by row).
    later = proposals[0].start > proposals[0].appointment.start_at
    for proposal in sorted(proposals, key=lambda p: p.appointment.start_at, reverse=later):
        moving = proposal.appointment
        record_event(
            actor,
            "appointment.reschedule",
            now,
            object_type="appointment",
            object_id=moving.id,
            details={"from": moving.start_at.isoformat(), "to": proposal.start.isoformat(), "scope": scope},
        )
        moving.start_at, moving.end_at = proposal.start, proposal.end
        if moving.kind == "dose":
            moving.chair_id = proposal.chair_id
        moving.planning_note = ""
        moving.touch(now)
        flush_bookings()
    moved = [p.appointment for p in proposals]
    follow_moved_visits(old_ends)
    replace_reminders(moved, now)
    notify_moved(old_starts, now)
    return moved


def cancel_appointment(
    appointment: Appointment, reason: str, scope: str, actor: Actor, now: datetime
) -> list[Appointment]:
    """Cancel a visit, or it and the later open visits of its series."""
    authorize_record(actor, Action.VISIT_CHANGE, appointment, "appointment")
    with domain_refusals():
        cancelled = _movers(appointment, scope)
        for visit in cancelled:
            visit.cancel(reason, now)
    for visit in cancelled:
        record_event(
            actor,
            "appointment.cancel",
            now,
            object_type="appointment",
            object_id=visit.id,
            details={"reason": reason, "scope": scope},
        )
    notify_cancellation(cancelled, now)
    return cancelled


def mark_no_show(appointment: Appointment, actor: Actor, now: datetime) -> Appointment:
    """Record that the patient did not come; only once the visit's time has begun."""
    authorize_record(actor, Action.VISIT_CHANGE, appointment, "appointment")
    with domain_refusals():
        appointment.mark_no_show(now)
    withdraw_reminders([appointment], "the patient did not come", now)
    record_event(actor, "appointment.no_show", now, object_type="appointment", object_id=appointment.id)
    return appointment


def list_appointments(filters: dict[str, Any], actor: Actor) -> list[Appointment]:
    """Appointments matching the filters, soonest first (at most 1000).

    A provider lists their own visits, or every visit of one patient they treat.
    """
    own = provider_scope(actor)
    if own is not None and filters.get("patient_id") is not None:
        authorize(actor, Action.VISIT_READ, filters["patient_id"])
    elif own is not None:
        if filters.get("provider_id") not in (None, own):
            raise PermissionDenied("Providers list only their own visits")
        filters = {**filters, "provider_id": own}
    query = (
        select(Appointment)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.location),
            selectinload(Appointment.transport),
        )
        .order_by(Appointment.start_at, Appointment.id)
        .limit(min(filters.get("limit") or MAX_LISTED, MAX_LISTED))
    )
    if filters.get("start"):
        query = query.where(Appointment.end_at > filters["start"])
    if filters.get("end"):
        query = query.where(Appointment.start_at < filters["end"])
    for name in ("patient_id", "provider_id", "location_id", "series_id", "chair_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(Appointment, name) == filters[name])
    if filters.get("status"):
        query = query.where(Appointment.status.in_(filters["status"]))
    if filters.get("kind"):
        query = query.where(Appointment.kind == filters["kind"])
    return list(db.session.scalars(query))
