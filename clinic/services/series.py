"""Planning, booking, cancelling and re-planning whole dosing series."""

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from clinic.domain.localtime import local_date_of, utc_at
from clinic.domain.planning import SeriesPlan, SeriesRequest, plan_series
from clinic.domain.policy import Action
from clinic.domain.protocols import ProtocolSpec, protocol_to_dict, remaining_protocol
from clinic.domain.rems import is_rems_enrolled_for
from clinic.domain.visits import Modality, SeriesStatus, VisitKind, VisitStatus, modality_refusal
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.protocol import Protocol
from clinic.models.provider import Provider
from clinic.models.series import Series
from clinic.services.access import (
    authorize,
    authorize_record,
    authorize_reference,
    require_own_provider,
)
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid
from clinic.services.lookup import get_referenced
from clinic.services.planning_inputs import load_planning_inputs, lock_for_booking
from clinic.services.protocols import resolve_protocol
from clinic.services.reminders import notify_cancellation, plan_booking, plan_reminders, withdraw_reminders
from clinic.services.transport import check_default_ride, ensure_transports
from clinic.services.visits import PlannedVisit, conflict_entries, planned_visits

# Room around a series for moves to nearby days and for follow-ups.
PLANNING_MARGIN = timedelta(days=5)
EXCLUSION_VIOLATION = "23P01"


@dataclass(frozen=True)
class SeriesPreview:
    """What booking the series would create, visit by visit, and whether REMS enrolment allows it."""

    protocol: Protocol
    spec: ProtocolSpec
    location: Location
    provider: Provider
    patient: Patient
    start_date: date
    start_time: time
    visits: list[PlannedVisit]
    rems_ok: bool

    @property
    def ok(self) -> bool:
        return all(visit.status != "conflict" for visit in self.visits)


def _planning_window(spec: ProtocolSpec, location: Location, start_date: date, start_time: time):
    after = [f.days_after_last_dose for f in spec.follow_ups]
    after += [spec.integration.within_days] if spec.integration else []
    last_day = spec.dose_days()[-1][1] + max(after, default=0)
    before = timedelta(days=spec.preparation.max_days_before) if spec.preparation else timedelta(0)
    start = utc_at(start_date, start_time, location.zone) - PLANNING_MARGIN - before
    end = utc_at(start_date + timedelta(days=last_day), start_time, location.zone) + PLANNING_MARGIN * 2
    return start, end


def _plan(
    spec: ProtocolSpec,
    location: Location,
    provider: Provider,
    patient: Patient,
    start_date: date,
    start_time: time,
    now: datetime,
    doses_before: int = 0,
) -> tuple[SeriesPlan, dict[int, str]]:
    window = _planning_window(spec, location, start_date, start_time)
    inputs = load_planning_inputs(location, provider, patient, spec.chair_kind, *window)
    plan = plan_series(
        SeriesRequest(spec, start_date, start_time, doses_before),
        inputs.location,
        inputs.provider,
        inputs.resources,
        inputs.patient,
        now,
    )
    return plan, {chair_id: chair.name for chair_id, chair in inputs.chairs.items()}


def _virtual_sessions(spec: ProtocolSpec) -> bool:
    rules = (spec.preparation, spec.integration)
    return any(rule is not None and rule.modality == Modality.VIRTUAL for rule in rules)


def _check_join_url(spec: ProtocolSpec, join_url: str | None) -> None:
    """A protocol with virtual sessions needs the series' join link; one without has no use for one."""
    if _virtual_sessions(spec):
        refusal = modality_refusal(VisitKind.INTEGRATION, Modality.VIRTUAL, join_url)
        if refusal is not None:
            raise Invalid.field("join_url", refusal[1])
    elif (join_url or "").strip():
        raise Invalid.field("join_url", f"{spec.name} has no virtual sessions to join")


def _rems_ok(spec: ProtocolSpec, patient: Patient, first_dose_day: date) -> bool:
    if not spec.rems_required:
        return True
    return is_rems_enrolled_for(patient.rems_enrolled_on, first_dose_day)


def preview_series(data: dict[str, Any], actor: Actor, now: datetime) -> SeriesPreview:
    """Plan a series without booking it: each visit ok, moved (and why) or in conflict (and which rules)."""
    patient = get_referenced(Patient, data["patient_id"], "patient_id")
    authorize_reference(actor, Action.SERIES_BOOK, patient.id)
    require_own_provider(actor, Action.SERIES_BOOK, data["provider_id"])
    location = get_referenced(Location, data["location_id"], "location_id")
    provider = get_referenced(Provider, data["provider_id"], "provider_id")
    if not provider.active:
        raise Invalid.field("provider_id", "This provider is no longer active")
    protocol, spec = resolve_protocol(data["protocol"], data.get("parameters"))
    plan, chair_names = _plan(spec, location, provider, patient, data["start_date"], data["start_time"], now)
    visits = planned_visits(plan.occurrences, location.zone, chair_names)
    first_dose_day = local_date_of(plan.occurrences[0].start, location.zone)
    return SeriesPreview(
        protocol,
        spec,
        location,
        provider,
        patient,
        data["start_date"],
        data["start_time"],
        visits,
        _rems_ok(spec, patient, first_dose_day),
    )


def create_series(data: dict[str, Any], actor: Actor, now: datetime) -> Series:
    """Book a whole series, all or nothing: every visit of the plan, or a Conflict listing every problem."""
    authorize(actor, Action.SERIES_BOOK)
    lock_for_booking(data["provider_id"], data["patient_id"])
    preview = preview_series(data, actor, now)
    _check_join_url(preview.spec, data.get("join_url"))
    if not preview.ok:
        raise Conflict(
            "Some visits of the series cannot be booked", conflicts=conflict_entries(preview.visits)
        )
    override = (data.get("rems_override_reason") or "").strip() or None
    if not preview.rems_ok and override is None:
        raise Conflict(
            "The patient is not enrolled in the Spravato REMS before the first dose",
            conflicts=[
                {
                    "code": "rems_not_enrolled",
                    "message": "Record the REMS enrolment date, or give rems_override_reason",
                }
            ],
        )
    default_ride = data.get("default_ride") or None
    check_default_ride(default_ride, preview.location.allowed_transport_modes)
    series = Series(
        patient=preview.patient,
        protocol=preview.protocol,
        parameters=dict(data.get("parameters") or {}),
        protocol_snapshot=protocol_to_dict(preview.spec),
        location=preview.location,
        provider=preview.provider,
        start_date=preview.start_date,
        start_time=preview.start_time,
        status=SeriesStatus.ACTIVE,
        rems_override_reason=override if not preview.rems_ok else None,
        default_ride=default_ride,
        created_at=now,
        created_by_id=actor.user.id if actor.user else None,
    )
    db.session.add(series)
    join_url = (data.get("join_url") or "").strip() or None
    appointments = [_appointment_for(series, visit, preview.spec, now, join_url) for visit in preview.visits]
    db.session.add_all(appointments)
    flush_bookings()
    ensure_transports(appointments, series.default_ride or series.patient.default_ride, now)
    plan_booking(appointments, now, new_series=True)
    record_event(
        actor,
        "series.create",
        now,
        object_type="series",
        object_id=series.id,
        details={
            "patient_id": series.patient_id,
            "protocol": preview.spec.code,
            "appointments": [a.id for a in appointments],
            **({"rems_override_reason": override} if series.rems_override_reason else {}),
        },
    )
    return series


def _appointment_for(
    series: Series, visit: PlannedVisit, spec: ProtocolSpec, now: datetime, join_url: str | None
) -> Appointment:
    virtual = visit.modality == Modality.VIRTUAL
    return Appointment(
        uid=f"{uuid.uuid4()}@clinic",
        sequence=0,
        series=series,
        kind=visit.kind,
        dose_number=visit.dose_number,
        phase_index=visit.phase_index,
        patient=series.patient,
        provider=series.provider,
        location=series.location,
        chair_id=visit.chair_id,
        protocol_code=spec.code,
        start_at=visit.start,
        end_at=visit.end,
        status=VisitStatus.SCHEDULED,
        modality=visit.modality,
        join_url=join_url if virtual else None,
        planning_note=_note(visit.reasons),
        created_at=now,
        updated_at=now,
    )


PLANNING_NOTE_LENGTH = 500


def _note(reasons: tuple[str, ...]) -> str:
    """Why the planner moved a visit, cut to fit its column (many reasons are cut short)."""
    note = "; ".join(reasons)
    return note if len(note) <= PLANNING_NOTE_LENGTH else note[: PLANNING_NOTE_LENGTH - 1] + "…"


def flush_bookings() -> None:
    """Write pending bookings; a chair taken by a concurrent booking becomes a Conflict, never a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise Conflict(
                "The chair was booked by someone else a moment ago; preview again to pick another time",
                conflicts=[{"code": "no_chair", "message": "The chair was just booked by another visit"}],
            ) from None
        raise


def series_appointments(series: Series) -> list[Appointment]:
    return list(
        db.session.scalars(
            select(Appointment).where(Appointment.series_id == series.id).order_by(Appointment.start_at)
        )
    )


def series_with_visits(series: Series) -> Series:
    """The series with its visits and their rides loaded in two queries (not one per visit)."""
    db.session.scalars(
        select(Series)
        .where(Series.id == series.id)
        .options(selectinload(Series.appointments).selectinload(Appointment.transport))
        .execution_options(populate_existing=True)
    ).one()
    return series


def cancel_series(series: Series, reason: str, actor: Actor, now: datetime) -> list[Appointment]:
    """Cancel every open visit of the series that has not started yet."""
    authorize_record(actor, Action.SERIES_CHANGE, series, "series")
    cancelled = [a for a in series_appointments(series) if a.is_open and a.start_at > now]
    for appointment in cancelled:
        appointment.cancel(reason, now)
    series.status = SeriesStatus.CANCELLED
    notify_cancellation(cancelled, now)
    record_event(
        actor,
        "series.cancel",
        now,
        object_type="series",
        object_id=series.id,
        details={"appointments": [a.id for a in cancelled], "reason": reason},
    )
    return cancelled


def replan_series(series: Series, changes: dict[str, Any], actor: Actor, now: datetime) -> list[Appointment]:
    """Re-plan the doses not yet given (after a missed dose): cancel the open future visits, plan the rest.

    Doses count as given once checked in or completed. The rest restart on `start_date` (default: the day
    after today, and no sooner than the minimum gap after the last dose given) at `start_time` (default: the
    series' time).
    """
    authorize_record(actor, Action.SERIES_CHANGE, series, "series")
    if series.status != SeriesStatus.ACTIVE:
        raise Conflict("Only an active series can be re-planned")
    lock_for_booking(series.provider_id, series.patient_id)
    spec = series.spec()
    appointments = series_appointments(series)
    given = [a for a in appointments if a.kind == VisitKind.DOSE and a.dose_given]
    if len(given) >= spec.total_doses:
        raise Conflict("Every dose of this series has been given; there is nothing left to plan")
    rest = remaining_protocol(spec, len(given))
    if any(a.kind == VisitKind.PREPARATION and a.dose_given for a in appointments):
        rest = replace(rest, preparation=None)  # the patient has been prepared already
    # the link the series' virtual sessions used, unless a new one is given
    used = (a.join_url for a in reversed(appointments) if a.join_url)
    join_url = changes.get("join_url") or next(used, None)
    if _virtual_sessions(rest):
        _check_join_url(rest, join_url)
    start_time = changes.get("start_time") or series.start_time
    start_date = changes.get("start_date") or _earliest_restart(spec, series, given, now)
    if utc_at(start_date, start_time, series.location.zone) <= now:
        raise Invalid.field("start_date", "The re-planned series must start in the future")
    dropped = [a for a in appointments if a.is_open and a.start_at > now]
    for appointment in dropped:
        appointment.cancel("re-planned", now)
    db.session.flush()
    plan, chair_names = _plan(
        rest, series.location, series.provider, series.patient, start_date, start_time, now, len(given)
    )
    visits = planned_visits(plan.occurrences, series.location.zone, chair_names)
    if not plan.ok:
        raise Conflict("Some re-planned visits cannot be booked", conflicts=conflict_entries(visits))
    created = [_appointment_for(series, visit, rest, now, join_url) for visit in visits]
    phases_dropped = len(spec.phases) - len(rest.phases)
    for appointment in created:
        if appointment.dose_number is not None:
            assert appointment.phase_index is not None  # a dose is planned in a phase
            appointment.dose_number += len(given)
            appointment.phase_index += phases_dropped
    db.session.add_all(created)
    flush_bookings()
    withdraw_reminders(dropped, "series re-planned", now)
    ensure_transports(created, series.default_ride or series.patient.default_ride, now)
    plan_reminders(created, now)
    record_event(
        actor,
        "series.replan",
        now,
        object_type="series",
        object_id=series.id,
        details={
            "cancelled_visits": [a.id for a in dropped],
            "created": [a.id for a in created],
            "doses_given": len(given),
        },
    )
    return created


def _earliest_restart(spec: ProtocolSpec, series: Series, given: list[Appointment], now: datetime) -> date:
    tz = series.location.zone
    earliest = local_date_of(now, tz) + timedelta(days=1)
    if given:
        gap = spec.phases[0].min_gap_days
        position = len(given)
        for phase in spec.phases:
            if position < phase.doses:
                gap = phase.min_gap_days
                break
            position -= phase.doses
        earliest = max(earliest, local_date_of(given[-1].start_at, tz) + timedelta(days=gap))
    return earliest
