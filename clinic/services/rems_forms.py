"""The REMS patient monitoring form of a Spravato session, filled from what the session recorded, and the
provider's queue of forms to send (due, overdue, submitted)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from clinic.domain.policy import Action
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.rems_form import (
    DEFAULT_BP_TIMEPOINTS,
    FormFacts,
    RemsFormData,
    RemsFormStatus,
    SessionReading,
    build_rems_form,
)
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.rems_form import RemsForm
from clinic.models.series import Series
from clinic.services.access import (
    actor_provider_id,
    authorize,
    authorize_record,
    provider_scope,
    treated_patients,
)
from clinic.services.actor import Actor
from clinic.services.errors import NotFound
from clinic.services.protocols import dose_protocol, visit_protocol


@dataclass(frozen=True)
class SessionForm:
    """The form of one session, with the visit it belongs to."""

    appointment_id: int
    form: RemsFormData


def is_rems_session(appointment: Appointment) -> bool:
    """Whether the visit is a dose of a protocol under the REMS (Spravato)."""
    return _under_rems(visit_protocol(appointment))


def _under_rems(spec: ProtocolSpec | None) -> bool:
    return spec is not None and spec.rems_required


def _readings(measurements: Iterable[Measurement]) -> tuple[SessionReading, ...]:
    return tuple(
        SessionReading(
            m.instrument,
            m.recorded_at,
            timepoint=m.timepoint,
            systolic=m.values.get("systolic"),
            diastolic=m.values.get("diastolic"),
            moaas=m.values.get("moaas"),
            cadss_total=m.values.get("cadss_total"),
        )
        for m in measurements
        if m.instrument in ("bp", "sedation", "dissociation")
    )


def _facts(appointment: Appointment, measurements: Iterable[Measurement], form: RemsForm | None) -> FormFacts:
    spec = visit_protocol(appointment)
    bp_timepoints = (
        tuple(c.timepoint for c in spec.rules.checks if c.instrument == "bp" and c.timepoint)
        if spec is not None
        else DEFAULT_BP_TIMEPOINTS
    )
    dose = appointment.current_dose
    patient, location, provider = appointment.patient, appointment.location, appointment.provider
    return FormFacts(
        timezone=location.timezone,
        scheduled_start=appointment.start_at,
        patient={
            "id": patient.id,
            "name": patient.full_name,
            "date_of_birth": patient.date_of_birth,
            "rems_enrolled_on": patient.rems_enrolled_on,
        },
        setting={"id": location.id, "name": location.name, "address": location.address},
        prescriber={"id": provider.id, "name": provider.name},
        checked_in_at=appointment.checked_in_at,
        dose_mg=dose.dose_mg if dose else None,
        devices=dose.devices if dose else None,
        lot_number=dose.lot_number if dose else None,
        dose_given_at=appointment.dose_given_at,
        discharged_at=appointment.completed_at if appointment.status == VisitStatus.COMPLETED else None,
        readings=_readings(measurements),
        bp_timepoints=bp_timepoints,
        counts_devices=spec is not None and spec.rules.mg_per_device is not None,
        discharge_overrides=tuple(appointment.discharge_overrides or ()),
        discharge_override_reason=appointment.discharge_override_reason,
        submitted_at=form.submitted_at if form else None,
        submitted_by=form.submitted_by_label if form else None,
        confirmation=(form.confirmation or None) if form else None,
    )


# Ids per IN list: a database refuses a statement with more than 65,535 parameters.
_IDS_PER_QUERY = 10_000


def _current_measurements(appointment_ids: list[int]) -> dict[int, list[Measurement]]:
    found: dict[int, list[Measurement]] = defaultdict(list)
    for first in range(0, len(appointment_ids), _IDS_PER_QUERY):
        rows = db.session.scalars(
            select(Measurement)
            .where(
                Measurement.appointment_id.in_(appointment_ids[first : first + _IDS_PER_QUERY]),
                Measurement.superseded_at.is_(None),
            )
            .order_by(Measurement.recorded_at, Measurement.id)
        )
        for m in rows:
            if m.appointment_id is not None:  # always: the query selects by visit
                found[m.appointment_id].append(m)
    return found


def fill_rems_form(appointment: Appointment, now: datetime) -> RemsFormData:
    """The session's form as it stands (no access check: callers authorize first)."""
    if not is_rems_session(appointment):
        raise NotFound(f"Appointment {appointment.id} is not a Spravato session: it has no REMS form")
    measurements = _current_measurements([appointment.id])[appointment.id]
    form = db.session.scalar(select(RemsForm).where(RemsForm.appointment_id == appointment.id))
    return build_rems_form(_facts(appointment, measurements, form), now)


def rems_form(appointment: Appointment, actor: Actor, now: datetime) -> SessionForm:
    """The REMS monitoring form of a Spravato session, filled from the session, for one of its providers."""
    authorize_record(actor, Action.MONITORING_READ, appointment, "appointment")
    return SessionForm(appointment.id, fill_rems_form(appointment, now))


def _series_by_id(ids: set[int]) -> dict[int, Series]:
    found: dict[int, Series] = {}
    ordered = sorted(ids)
    for first in range(0, len(ordered), _IDS_PER_QUERY):
        chunk = ordered[first : first + _IDS_PER_QUERY]
        found.update((s.id, s) for s in db.session.scalars(select(Series).where(Series.id.in_(chunk))))
    return found


def _sessions(ids: list[int]) -> list[Appointment]:
    """The visits with these ids and what their forms show, in bulk (their series are the caller's, already
    in the session)."""
    sessions: list[Appointment] = []
    for first in range(0, len(ids), _IDS_PER_QUERY):
        sessions.extend(
            db.session.scalars(
                select(Appointment)
                .options(
                    selectinload(Appointment.patient),
                    selectinload(Appointment.location),
                    selectinload(Appointment.provider),
                    selectinload(Appointment.doses),
                    selectinload(Appointment.series),
                )
                .where(Appointment.id.in_(ids[first : first + _IDS_PER_QUERY]))
            )
        )
    return sessions


def rems_queue(actor: Actor, status: RemsFormStatus | None, now: datetime) -> list[SessionForm]:
    """The forms of the provider's patients' discharged Spravato sessions with this status (every status
    when None), the oldest due date first.

    A session's form is open from its discharge until it is submitted (`rems_form_open`), so the due and
    overdue forms are read from the open ones alone, not from the provider's patients' history."""
    authorize(actor, Action.MONITORING_READ)
    if status is None or status is RemsFormStatus.SUBMITTED:
        # First the few columns that say which discharged doses are REMS sessions (a provider's patients
        # also have IV ketamine doses, which have no form), then the whole visits of those sessions only.
        query = select(Appointment.id, Appointment.series_id, Appointment.protocol_code).where(
            Appointment.kind == "dose", Appointment.status == VisitStatus.COMPLETED
        )
        if status is RemsFormStatus.SUBMITTED:
            query = query.where(exists().where(RemsForm.appointment_id == Appointment.id))
    else:
        query = select(Appointment.id, Appointment.series_id, Appointment.protocol_code).where(
            Appointment.rems_form_open
        )
    if provider_scope(actor, Action.MONITORING_READ) is not None:
        query = query.where(Appointment.patient_id.in_(treated_patients(actor_provider_id(actor))))
    candidates = db.session.execute(query).all()
    series = _series_by_id({row.series_id for row in candidates if row.series_id is not None})
    ids = [
        row.id
        for row in candidates
        if _under_rems(
            dose_protocol(series[row.series_id] if row.series_id is not None else None, row.protocol_code)
        )
    ]
    filled = _filled(ids, now)
    chosen = [entry for entry in filled if status is None or entry.form.status is status]
    return sorted(chosen, key=lambda entry: (entry.form.due_by, entry.appointment_id))


def _filled(ids: list[int], now: datetime) -> list[SessionForm]:
    """The forms of these sessions, filled from what they recorded, in a fixed number of queries."""
    sessions = _sessions(ids)
    measurements = _current_measurements(ids)
    forms = {}
    for first in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[first : first + _IDS_PER_QUERY]
        forms.update(
            {
                f.appointment_id: f
                for f in db.session.scalars(select(RemsForm).where(RemsForm.appointment_id.in_(chunk)))
            }
        )
    return [
        SessionForm(a.id, build_rems_form(_facts(a, measurements[a.id], forms.get(a.id)), now))
        for a in sessions
    ]


@dataclass(frozen=True)
class FormPage:
    """One page of forms, and how many there are in all."""

    entries: list[SessionForm]
    total: int


def open_forms_page(actor: Actor, now: datetime, *, limit: int, offset: int = 0) -> FormPage:
    """The forms of the provider's patients not submitted yet, the oldest session (so the oldest due date)
    first: `limit` of them from `offset`, filled, and how many are open in all. Only the page is filled,
    however many forms are open."""
    authorize(actor, Action.MONITORING_READ)
    # The page and the number in all from one statement: the set of treated patients is worked out once.
    query = select(Appointment.id, func.count().over()).where(Appointment.rems_form_open)
    if provider_scope(actor, Action.MONITORING_READ) is not None:
        query = query.where(Appointment.patient_id.in_(treated_patients(actor_provider_id(actor))))
    rows = db.session.execute(
        query.order_by(Appointment.start_at, Appointment.id).offset(offset).limit(limit)
    ).all()
    total = rows[0][1] if rows else 0
    if not rows and offset:  # past the last page: the count still says how many there are
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    filled = _filled([row[0] for row in rows], now)
    return FormPage(sorted(filled, key=lambda entry: (entry.form.due_by, entry.appointment_id)), total)
