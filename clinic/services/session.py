"""The dosing session's use cases: check-in (and its undo), the dose, and discharge.

Each loads nothing itself (the edge passes the visit it loaded for the actor), authorizes through the policy,
asks the Appointment aggregate to make the move (the aggregate applies the rules of clinic.domain.visits and
clinic.domain.session with `now`) and audits what happened.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnExpressionArgument, Select, select

from clinic.domain.policy import Action, may
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.session import (
    CLINICAL_RULES,
    ESCORT_RULE,
    Reading,
    SessionFacts,
    discharge_broken,
    pre_dose_bp_refusal,
)
from clinic.domain.transport import check_in_refusal, discharge_refusal
from clinic.domain.visits import DEFAULT_CHECK_IN_OPENS, Broken, require_reason
from clinic.extensions import db
from clinic.models.appointment import Appointment, Dose
from clinic.models.measurement import Measurement
from clinic.services.access import authorize_record
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.commands import CheckIn, Discharge, RecordDose, UndoCheckIn
from clinic.services.errors import Conflict, domain_refusals
from clinic.services.protocols import visit_protocol
from clinic.services.rems_forms import is_rems_session
from clinic.services.transport import needs_ride


def check_in_opens_before(spec: ProtocolSpec | None) -> timedelta:
    """How long before its start a visit may be checked in (the protocol's rule, else 60 minutes)."""
    if spec is None:
        return DEFAULT_CHECK_IN_OPENS
    return timedelta(minutes=spec.rules.check_in_opens_minutes)


def _ride_status(appointment: Appointment) -> str | None:
    return appointment.transport.status if appointment.transport is not None else None


def check_in(appointment: Appointment, command: CheckIn, actor: Actor, now: datetime) -> Appointment:
    """Let the patient in: from 60 minutes before the start (the protocol's setting) until the scheduled
    end, and while no ride home is arranged only with an override reason."""
    authorize_record(actor, Action.VISIT_CHECK_IN, appointment, "appointment")
    refusal = check_in_refusal(needs_ride(appointment), _ride_status(appointment))
    with domain_refusals():
        overridden = appointment.check_in(
            now,
            opens_before=check_in_opens_before(visit_protocol(appointment)),
            ride_refusal=refusal,
            override_reason=command.override_reason,
        )
    record_event(
        actor,
        "appointment.check_in",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"override_reason": command.override_reason} if overridden else None,
    )
    return appointment


def undo_check_in(appointment: Appointment, command: UndoCheckIn, actor: Actor, now: datetime) -> Appointment:
    """Undo a check-in made by mistake (before the dose is recorded): the visit is scheduled again."""
    authorize_record(actor, Action.VISIT_CHECK_IN, appointment, "appointment")
    with domain_refusals():
        reason = require_reason(command.reason)
        was = appointment.undo_check_in(now)
    record_event(
        actor,
        "appointment.undo_check_in",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"reason": reason, "checked_in_at": was.isoformat() if was else None},
    )
    return appointment


def record_dose(appointment: Appointment, command: RecordDose, actor: Actor, now: datetime) -> Dose:
    """Record the dose of a checked-in dosing visit (checked against its protocol); a second call corrects
    it with a reason, and the earlier record is kept."""
    authorize_record(actor, Action.DOSE_RECORD, appointment, "appointment")
    spec = visit_protocol(appointment)
    if spec is None:
        raise Conflict(
            "A dose is recorded for a checked-in dosing visit",
            conflicts=[{"code": "not_checked_in", "message": "This visit has no dose"}],
        )
    with domain_refusals():
        dose = appointment.record_dose(
            spec.rules,
            command,
            now,
            recorded_by_id=actor.user.id if actor.user else None,
            recorded_by_label=actor.name,
            confirmation_needed=pre_dose_bp_refusal(spec.rules, session_readings(appointment)),
        )
    db.session.flush()
    record_event(
        actor,
        "dose.record" if dose.amends_id is None else "dose.correct",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={
            "dose_id": dose.id,
            "dose_mg": str(dose.dose_mg),
            "devices": dose.devices,
            "lot_number": dose.lot_number,
            "given_at": dose.given_at.isoformat(),
            **({"amends": dose.amends_id, "reason": dose.correction_reason} if dose.amends_id else {}),
            **(
                {"prescriber_confirmation": dose.prescriber_confirmation}
                if dose.prescriber_confirmation
                else {}
            ),
        },
    )
    return dose


def readings_by_visit(appointments: Sequence[Appointment]) -> dict[int, list[Reading]]:
    """The visits' current (not superseded) measurements, as the session rules read them, in one query.

    Only the columns the rules read, not whole rows: a board reads hundreds of measurements. The visits are
    loaded rows, so the request's audit has noted their patients, whose measurements these are.
    """
    readings: dict[int, list[Reading]] = defaultdict(list)
    rows = db.session.execute(current_readings([a.id for a in appointments]))
    for appointment_id, instrument, timepoint, recorded_at, values in rows:
        readings[appointment_id or 0].append(session_reading(instrument, timepoint, recorded_at, values))
    return readings


def current_readings(appointment_ids: Sequence[int], *more: ColumnExpressionArgument) -> Select:
    """The statement for the visits' current measurements in recording order: the visit, instrument,
    timepoint, time and values the session rules read (`session_reading`), then the `more` columns."""
    return (
        select(
            Measurement.appointment_id,
            Measurement.instrument,
            Measurement.timepoint,
            Measurement.recorded_at,
            Measurement.values,
            *more,
        )
        .where(Measurement.appointment_id.in_(appointment_ids), Measurement.superseded_at.is_(None))
        .order_by(Measurement.recorded_at, Measurement.id)
    )


def session_reading(instrument: str, timepoint: str | None, recorded_at: datetime, values: dict) -> Reading:
    """A current measurement's columns as the session rules read them (see `readings_by_visit`)."""
    return Reading(
        instrument,
        timepoint,
        recorded_at,
        systolic=values.get("systolic"),
        diastolic=values.get("diastolic"),
        moaas=values.get("moaas"),
    )


def session_readings(appointment: Appointment) -> list[Reading]:
    """One visit's current in-visit measurements (see `readings_by_visit`)."""
    return readings_by_visit([appointment])[appointment.id]


def session_facts(appointment: Appointment) -> SessionFacts:
    """What the discharge rules read about the visit: check-in, dose, measurements and ride."""
    return SessionFacts(
        checked_in_at=appointment.checked_in_at,
        dose_at=appointment.dose_given_at,
        readings=tuple(session_readings(appointment)),
        needs_ride=needs_ride(appointment),
        ride_status=_ride_status(appointment),
    )


def discharge_rules_broken(appointment: Appointment, now: datetime) -> list[Broken]:
    """Every discharge rule the visit breaks at `now` (a dosing visit has the session's rules; any visit
    that needs a ride home has the escort rule)."""
    spec = visit_protocol(appointment)
    if appointment.kind == "dose" and spec is not None:
        return discharge_broken(spec, session_facts(appointment), now)
    escort = discharge_refusal(needs_ride(appointment), _ride_status(appointment))
    return [Broken(ESCORT_RULE, escort)] if escort else []


def discharge(appointment: Appointment, command: Discharge, actor: Actor, now: datetime) -> Appointment:
    """Discharge the patient once every rule holds; a 409 lists every rule still broken.

    With a reason, staff who discharge may override the escort rule (as at the desk today), and only a
    provider may override the clinical rules (dose, monitoring, checks, vital signs); both are audited.
    """
    authorize_record(actor, Action.VISIT_DISCHARGE, appointment, "appointment")
    broken = discharge_rules_broken(appointment, now)
    may_override = {ESCORT_RULE}
    if actor.trusted or may(actor.role, Action.VISIT_DISCHARGE_OVERRIDE):
        authorize_record(actor, Action.VISIT_DISCHARGE_OVERRIDE, appointment, "appointment")
        may_override |= CLINICAL_RULES
    with domain_refusals():
        overridden = appointment.discharge(
            now,
            broken,
            override_reason=command.override_reason,
            may_override=frozenset(may_override),
            rems_session=is_rems_session(appointment),
        )
    record_event(
        actor,
        "appointment.complete",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"override_reason": command.override_reason, "overridden": overridden}
        if overridden
        else None,
    )
    return appointment
