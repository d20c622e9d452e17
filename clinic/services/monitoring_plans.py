"""Monitoring plans of series: computed from the series' visits, measurements and REMS forms, and the
standing plans kept per series so that the provider home's lists do not grow with the provider's history.

A series' standing plan (`clinic.domain.monitoring.standing_plan`) is stored as `plan_items` rows. Any write
to its facts (a visit of the series, a measurement of the patient, a REMS form, the patient's REMS enrolment,
the location's time zone, the series itself) marks the series stale in the same transaction (`_mark_stale`,
an ORM flush hook, so no writer can forget). A read computes the stale active series again before it lists
(`refresh_standing_plans`); time passing needs no write, because a stored item is read at `now`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any
from typing import cast as typed

from sqlalchemy import Table, bindparam, delete, event, func, insert, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from clinic.domain import monitoring as rules
from clinic.domain.visits import SeriesStatus
from clinic.extensions import db
from clinic.formatting import LocalWording
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.plan_item import StandingPlanItem
from clinic.models.rems_form import RemsForm
from clinic.models.series import Series
from clinic.services.followups import is_follow_up_booked

FOLLOW_UP_VISIT = "follow_up_visit"
# The tables written with Core statements (one executemany; the flush hook runs inside a flush).
_SERIES = typed(Table, Series.__table__)
_PLAN_ITEMS = typed(Table, StandingPlanItem.__table__)
REMS_FORM_ITEM = "rems_monitoring_form"


@dataclass(frozen=True)
class SeriesPlan:
    series: Series
    plan: rules.MonitoringPlan


def _series_facts(series: Series) -> rules.SeriesFacts:
    spec = series.spec()
    doses = [
        rules.DoseFacts(a.id, a.start_at, a.status, a.dose_number or 0, a.end_at)
        for a in series.appointments
        if a.kind == "dose"
    ]
    follow_ups = [
        rules.VisitFacts(a.id, a.start_at, a.status, a.end_at)
        for a in series.appointments
        if a.kind == "follow_up"
    ]
    return rules.SeriesFacts(
        protocol=spec,
        doses=doses,
        follow_ups=follow_ups,
        timezone=series.location.timezone,
        rems_enrolled_on=series.patient.rems_enrolled_on,
        wording=LocalWording(series.location),
    )


@dataclass(frozen=True)
class _Evidence:
    measurements: dict[int, list[rules.RecordedMeasurement]]
    forms: dict[int, list[rules.FormSubmission]]


def _evidence(series_list: list[Series]) -> _Evidence:
    """The measurements and REMS forms of several series, in two queries."""
    measurements: dict[int, list[rules.RecordedMeasurement]] = defaultdict(list)
    forms: dict[int, list[rules.FormSubmission]] = defaultdict(list)
    if not series_list:
        return _Evidence(measurements, forms)
    # Only the columns the plan reads: the stored answers are not needed to know that a measure was taken.
    rows = db.session.execute(
        select(
            Measurement.patient_id,
            Measurement.series_id,
            Measurement.instrument,
            Measurement.timepoint,
            Measurement.appointment_id,
            Measurement.recorded_at,
        ).where(
            Measurement.patient_id.in_({s.patient_id for s in series_list}),
            Measurement.superseded_at.is_(None),
        )
    )
    by_patient: dict[int, list] = defaultdict(list)
    for row in rows:
        by_patient[row.patient_id].append(row)
    for series in series_list:
        measurements[series.id] = [
            rules.RecordedMeasurement(m.instrument, m.timepoint, m.appointment_id, m.recorded_at)
            for m in by_patient[series.patient_id]
            if m.series_id in (series.id, None)
        ]
    appointment_series = {a.id: s.id for s in series_list for a in s.appointments}
    if appointment_series:
        submitted = db.session.execute(
            select(RemsForm.appointment_id, RemsForm.submitted_at).where(
                RemsForm.appointment_id.in_(appointment_series)
            )
        )
        for appointment_id, submitted_at in submitted:
            forms[appointment_series[appointment_id]].append(
                rules.FormSubmission(appointment_id, submitted_at)
            )
    return _Evidence(measurements, forms)


def plans_for(series_list: list[Series], now: datetime) -> list[SeriesPlan]:
    """Monitoring plans of several series at `now`, with three queries in all (measurements and forms in
    bulk); every item, done ones included, as the patient's timeline shows them."""
    evidence = _evidence(series_list)
    return [
        SeriesPlan(
            series,
            rules.monitoring_plan(
                _series_facts(series), evidence.measurements[series.id], evidence.forms[series.id], now
            ),
        )
        for series in series_list
    ]


# --- standing plans: marked stale on write ---------------------------------------------------------


# Series inserted in the session's transaction: born stale, they need no marking however often their
# visits are flushed (a booking flushes the series, then its visits' rides).
_BORN_STALE = "clinic.series_born_stale"


def _stale_filter(session: Session) -> list:
    """Conditions naming the series whose plan facts this flush changed."""
    new_series: set[int] = session.info.setdefault(_BORN_STALE, set())
    new_series.update(s.id for s in session.new if isinstance(s, Series))
    series_ids: set[int] = set()
    patient_ids: set[int] = set()
    location_ids: set[int] = set()
    form_visits: set[int] = set()
    for record in chain(session.new, session.dirty, session.deleted):
        if record in session.dirty and not session.is_modified(record, include_collections=False):
            continue
        if isinstance(record, Appointment):
            if record.series_id is not None and record.series_id not in new_series:
                series_ids.add(record.series_id)
        elif isinstance(record, Series):
            if record.id not in new_series:
                series_ids.add(record.id)
        elif isinstance(record, Measurement):
            patient_ids.add(record.patient_id)
        elif isinstance(record, RemsForm):
            form_visits.add(record.appointment_id)
        elif isinstance(record, Patient) and record not in session.new:
            patient_ids.add(record.id)
        elif isinstance(record, Location) and record not in session.new:
            location_ids.add(record.id)
    conditions = []
    if series_ids:
        conditions.append(Series.id.in_(series_ids))
    if patient_ids:
        conditions.append(Series.patient_id.in_(patient_ids))
    if location_ids:
        conditions.append(Series.location_id.in_(location_ids))
    if form_visits:
        visits_series = select(Appointment.series_id).where(Appointment.id.in_(form_visits))
        conditions.append(Series.id.in_(visits_series.scalar_subquery()))
    return conditions


@event.listens_for(Session, "after_transaction_end")
def _forget_born_stale(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_BORN_STALE, None)


@event.listens_for(Session, "after_flush")
def _mark_stale(session: Session, _context: object) -> None:
    conditions = _stale_filter(session)
    if conditions:
        stale = update(_SERIES).where(or_(*conditions), Series.plan_stale.is_(False))
        session.connection().execute(stale.values(plan_stale=True))


# --- standing plans: computed again on read --------------------------------------------------------


def _stale_series(now: datetime, provider_id: int | None, patient_id: int | None) -> list[Series]:
    since = (now - rules.ACTIVE_LOOKBACK).date()
    query = (
        select(Series)
        .options(
            selectinload(Series.appointments), selectinload(Series.patient), selectinload(Series.location)
        )
        # A series whose start is older than the look-back is not active again before a write to it.
        .where(Series.plan_stale, Series.status == SeriesStatus.ACTIVE, Series.start_date >= since)
        .order_by(Series.id)
    )
    if provider_id is not None:
        query = query.where(Series.provider_id == provider_id)
    if patient_id is not None:
        query = query.where(Series.patient_id == patient_id)
    if db.session.get_bind().dialect.name == "postgresql":
        # Two reads computing one series wait for each other; the second finds it no longer stale.
        query = query.with_for_update(of=Series)
    return list(db.session.scalars(query))


def refresh_standing_plans(
    now: datetime, *, provider_id: int | None = None, patient_id: int | None = None
) -> int:
    """Compute again the standing plans of the stale active series (of a provider, a patient or all);
    returns how many were computed."""
    stale = _stale_series(now, provider_id, patient_id)
    if not stale:
        return 0
    evidence = _evidence(stale)
    rows: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for series in stale:
        plan = rules.standing_plan(
            _series_facts(series), evidence.measurements[series.id], evidence.forms[series.id]
        )
        rows.extend(
            {
                "series_id": series.id,
                "provider_id": series.provider_id,
                "patient_id": series.patient_id,
                "key": item.key,
                "code": item.code,
                "label": item.label,
                "due_at": item.due_at,
                "upcoming_until": item.upcoming_until,
                "deadline": item.deadline,
                "done_at": item.done_at,
                "appointment_id": item.appointment_id,
            }
            for item in plan.items
        )
        latest = max((a.start_at for a in series.appointments), default=None)
        marks.append({"id_": series.id, "until": rules.active_until(series.start_date, latest)})
    ids = [s.id for s in stale]
    db.session.info.get(_BORN_STALE, set()).difference_update(ids)  # computed now: a later write marks it
    db.session.execute(delete(StandingPlanItem).where(StandingPlanItem.series_id.in_(ids)))
    if rows:
        # Core, not the ORM's bulk insert: one executemany, where the ORM splits the rows by their NULLs.
        db.session.execute(insert(_PLAN_ITEMS), rows)
    db.session.execute(
        update(_SERIES)
        .where(Series.id == bindparam("id_"))
        .values(plan_stale=False, plan_active_until=bindparam("until")),
        marks,
    )
    return len(stale)


def active_series(
    now: datetime, provider_id: int | None = None, patient_id: int | None = None
) -> list[Series]:
    """Series that can still have something due: `now` is before their `active_until` (domain rule)."""
    refresh_standing_plans(now, provider_id=provider_id, patient_id=patient_id)
    query = (
        select(Series)
        .options(
            selectinload(Series.appointments), selectinload(Series.patient), selectinload(Series.location)
        )
        .where(Series.status == SeriesStatus.ACTIVE, Series.active_at(now))
        .order_by(Series.start_date, Series.id)
    )
    if provider_id is not None:
        query = query.where(Series.provider_id == provider_id)
    if patient_id is not None:
        query = query.where(Series.patient_id == patient_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ItemPage:
    """One page of plan items of active series, with their series, and how many there are in all."""

    items: list[tuple[Series, rules.PlanItem]]
    total: int


def _items_of_active_series(
    now: datetime, provider_id: int | None, conditions: Iterable, refresh: bool
) -> tuple:
    if refresh:
        refresh_standing_plans(now, provider_id=provider_id)
    where = [Series.status == SeriesStatus.ACTIVE, Series.active_at(now), *conditions]
    if provider_id is not None:
        where.append(StandingPlanItem.provider_id == provider_id)
    return tuple(where)


def _page(
    where: tuple, now: datetime, limit: int | None, offset: int, *options: ORMOption
) -> list[tuple[Series, rules.PlanItem]]:
    query = (
        select(StandingPlanItem, Series)
        .join(Series, Series.id == StandingPlanItem.series_id)
        .options(joinedload(Series.patient), joinedload(Series.location), *options)
        .where(*where)
        .order_by(StandingPlanItem.deadline, StandingPlanItem.id)
        .offset(offset)
        .limit(limit)
    )
    return [(series, row.item_at(now)) for row, series in db.session.execute(query)]


def _count(where: tuple) -> int:
    query = (
        select(func.count())
        .select_from(StandingPlanItem)
        .join(Series, Series.id == StandingPlanItem.series_id)
        .where(*where)
    )
    return db.session.scalar(query) or 0


def overdue_page(
    now: datetime,
    provider_id: int | None,
    *,
    limit: int | None = None,
    offset: int = 0,
    with_rems_forms: bool = True,
    refresh: bool = True,
) -> ItemPage:
    """Overdue monitoring items of the provider's (every provider's, when None) active series, oldest
    deadline first: `limit` of them from `offset`, and the number in all. `refresh` False: the caller has
    just computed the stale plans (`refresh_standing_plans`)."""
    conditions = [StandingPlanItem.overdue_at(now)]
    if not with_rems_forms:
        conditions.append(StandingPlanItem.code != REMS_FORM_ITEM)
    where = _items_of_active_series(now, provider_id, conditions, refresh)
    items = _page(where, now, limit, offset)
    whole = limit is None or (offset == 0 and len(items) < limit)
    return ItemPage(items, len(items) if whole else _count(where))


def unbooked_follow_up_items(
    now: datetime, provider_id: int | None, *, refresh: bool = True
) -> list[tuple[Series, rules.PlanItem]]:
    """Follow-up visits that are due or overdue and that no visit of the series counts for yet."""
    waiting = [StandingPlanItem.code == FOLLOW_UP_VISIT, StandingPlanItem.waiting_at(now)]
    where = _items_of_active_series(now, provider_id, waiting, refresh)
    # The rule of a booked follow-up reads the series' visits: only these few series load them.
    found = _page(where, now, None, 0, selectinload(Series.appointments))
    return [(series, item) for series, item in found if not is_follow_up_booked(series, item.due_at)]
