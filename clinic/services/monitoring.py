"""The monitoring plan: measurements (amended, never overwritten), alerts to the patient's provider,
REMS forms, and what is due, done or overdue for each series."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from clinic.domain import monitoring as rules
from clinic.domain.policy import Action
from clinic.domain.protocols import SessionRules
from clinic.domain.session import measurement_refusal
from clinic.domain.visits import TransitionRefused, VisitStatus
from clinic.extensions import db
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.models.rems_form import RemsForm
from clinic.models.series import Series
from clinic.services.access import actor_provider_id, authorize_record
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid, domain_refusals
from clinic.services.monitoring_plans import (
    ItemPage,
    SeriesPlan,
    active_series,
    overdue_page,
    plans_for,
    refresh_standing_plans,
    unbooked_follow_up_items,
)
from clinic.services.protocols import visit_protocol
from clinic.services.rems_forms import fill_rems_form
from clinic.services.session import check_in_opens_before

# --- measurements and alerts ---------------------------------------------------------------------


def _validated(data: dict[str, Any]):
    """The domain's checked result of the submitted values; Invalid names the bad field."""
    instrument = data["instrument"]
    try:
        if instrument == "phq9":
            return rules.score_phq9(data.get("items") or [])
        if instrument == "gad7":
            return rules.score_gad7(data.get("items") or [])
        if instrument == "bp":
            return rules.check_blood_pressure(
                data.get("systolic"), data.get("diastolic"), data.get("timepoint")
            )
        if instrument == "sedation":
            return rules.check_sedation(data.get("moaas"))
        return rules.check_dissociation(data.get("cadss_total"))
    except rules.MeasurementError as error:
        raise Invalid.field(error.field, error.message) from None


def _values(result, data: dict[str, Any]) -> dict[str, Any]:
    if isinstance(result, rules.Phq9Result | rules.Gad7Result):
        return {"items": list(data["items"]), "severity": result.severity}
    if isinstance(result, rules.BloodPressure):
        return {"systolic": result.systolic, "diastolic": result.diastolic}
    if isinstance(result, rules.Sedation):
        return {"moaas": result.moaas}
    return {"cadss_total": result.cadss_total}


def _baseline_phq9(series_id: int | None, patient_id: int) -> int | None:
    query = select(Measurement.total).where(
        Measurement.instrument == "phq9",
        Measurement.superseded_at.is_(None),
        Measurement.patient_id == patient_id,
    )
    if series_id is not None:
        query = query.where(Measurement.series_id == series_id)
    return db.session.scalar(query.order_by(Measurement.recorded_at, Measurement.id).limit(1))


def _require_started(appointment: Appointment, now: datetime) -> None:
    refusal = measurement_refusal(
        appointment.kind == "dose",
        VisitStatus(appointment.status),
        appointment.start_at,
        now,
        check_in_opens_before(visit_protocol(appointment)),
    )
    with domain_refusals():
        if refusal is not None:
            raise TransitionRefused(refusal.message, (refusal,))


def record_measurement(
    appointment: Appointment,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    amends: Measurement | None = None,
) -> tuple[Measurement, list[Alert]]:
    """Store a measurement taken at a visit and raise the alerts it calls for.

    A new measurement waits for the visit to start (a dosing visit's check-in, another visit's check-in
    opening); a correction (`amends`) completes the record of a visit already measured and is always taken.
    """
    authorize_record(actor, Action.MEASUREMENT_RECORD, appointment, "appointment")
    if amends is None:
        _require_started(appointment, now)
    return store_measurement(appointment, data, actor, now, amends)


def store_measurement(
    appointment: Appointment,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    amends: Measurement | None = None,
) -> tuple[Measurement, list[Alert]]:
    """Validate, store and alert on a measurement whose access the caller has already settled: staff go
    through `record_measurement`; a patient's answers through their signed questionnaire link."""
    result = _validated(data)
    baseline = _baseline_phq9(appointment.series_id, appointment.patient_id)
    measurement = Measurement(
        patient_id=appointment.patient_id,
        appointment=appointment,
        series_id=appointment.series_id,
        instrument=data["instrument"],
        timepoint=data.get("timepoint") if data["instrument"] == "bp" else None,
        values=_values(result, data),
        total=getattr(result, "total", None),
        item9=getattr(result, "item9", None),
        recorded_at=now,
        recorded_by_id=actor.user.id if actor.user else None,
        recorded_by_label=actor.name,
        amends_id=amends.id if amends else None,
        correction_reason=data.get("correction_reason"),
    )
    db.session.add(measurement)
    db.session.flush()
    spec = visit_protocol(appointment)
    context = rules.AlertContext.of(
        spec.rules if spec is not None else SessionRules(),
        baseline_phq9_total=baseline if amends is None or baseline != amends.total else None,
    )
    alerts = [
        Alert(
            patient_id=appointment.patient_id,
            provider_id=appointment.provider_id,
            appointment=appointment,
            measurement=measurement,
            code=alert.code,
            severity=alert.severity,
            message=alert.message,
            created_at=now,
        )
        for alert in rules.alerts_for(result, context)
    ]
    db.session.add_all(alerts)
    record_event(
        actor,
        "measurement.record" if amends is None else "measurement.amend",
        now,
        object_type="patient",
        object_id=appointment.patient_id,
        details={
            "measurement_id": measurement.id,
            "instrument": measurement.instrument,
            "alerts": [a.code for a in alerts],
            **({"amends": amends.id} if amends else {}),
        },
    )
    return measurement, alerts


def amend_measurement(
    original: Measurement, data: dict[str, Any], actor: Actor, now: datetime
) -> tuple[Measurement, list[Alert]]:
    """Correct a measurement: the correction is a new row; the original is kept and marked superseded."""
    authorize_record(actor, Action.MEASUREMENT_RECORD, original, "measurement")
    if original.superseded_at is not None:
        raise Conflict("This measurement was already corrected; correct the newest version")
    if not (data.get("correction_reason") or "").strip():
        raise Invalid.field("correction_reason", "Say why the measurement is corrected")
    if data["instrument"] != original.instrument:
        raise Invalid.field("instrument", "A correction keeps the instrument of the original")
    original.superseded_at = now
    assert original.appointment is not None  # store_measurement, the only writer, files each at a visit
    return record_measurement(original.appointment, data, actor, now, amends=original)


def acknowledge_alert(alert: Alert, note: str | None, actor: Actor, now: datetime) -> Alert:
    """A provider has seen the alert and acted on it."""
    authorize_record(actor, Action.ALERT_ACKNOWLEDGE, alert, "alert")
    if alert.acknowledged_at is not None:
        raise Conflict("This alert was already acknowledged")
    alert.acknowledged_at, alert.acknowledged_by_label, alert.acknowledgement_note = now, actor.name, note
    record_event(
        actor,
        "alert.acknowledge",
        now,
        object_type="patient",
        object_id=alert.patient_id,
        details={"alert_id": alert.id, "code": alert.code},
    )
    return alert


def open_alerts(provider_id: int) -> list[Alert]:
    query = (
        select(Alert)
        .options(selectinload(Alert.patient))
        .where(Alert.provider_id == provider_id, Alert.acknowledged_at.is_(None))
        .order_by(Alert.severity.desc(), Alert.created_at)
    )
    return list(db.session.scalars(query))


def submit_rems_form(appointment: Appointment, confirmation: str, actor: Actor, now: datetime) -> RemsForm:
    """Mark the REMS patient monitoring form of a Spravato session as submitted: once discharged, and only
    when every field of the form is filled (409 `rems_form_incomplete` lists the `missing` ones)."""
    authorize_record(actor, Action.REMS_FORM_SUBMIT, appointment, "appointment")
    spec = visit_protocol(appointment)
    if spec is None or not spec.rems_required:
        raise Conflict("Only Spravato sessions have a REMS monitoring form")
    if appointment.status != VisitStatus.COMPLETED:
        raise Conflict("The form is submitted after the session is completed")
    if db.session.scalar(select(RemsForm.id).where(RemsForm.appointment_id == appointment.id)):
        raise Conflict("The REMS form of this session was already submitted")
    missing = fill_rems_form(appointment, now).missing
    if missing:
        raise Conflict(
            "The REMS form is not complete: " + ", ".join(missing),
            conflicts=[
                {
                    "code": "rems_form_incomplete",
                    "message": "Record every field of the form before it is submitted",
                    "missing": missing,
                }
            ],
        )
    form = RemsForm(
        appointment=appointment, submitted_at=now, submitted_by_label=actor.name, confirmation=confirmation
    )
    db.session.add(form)
    appointment.rems_form_submitted()
    record_event(actor, "rems_form.submit", now, object_type="appointment", object_id=appointment.id)
    return form


# --- the plan -----------------------------------------------------------------------------------


def overdue_items(now: datetime, provider_id: int | None) -> list[tuple[Series, rules.PlanItem]]:
    """Every overdue monitoring item of the provider's active series, oldest deadline first."""
    return overdue_page(now, provider_id).items


@dataclass(frozen=True)
class FollowUps:
    upcoming: list[Appointment]
    unbooked: list[tuple[Series, rules.PlanItem]]
    # How many follow-up visits are booked in the period (more than `upcoming` when it was limited).
    upcoming_total: int = 0


def follow_ups(
    now: datetime, provider_id: int | None, days: int, limit: int | None = None, *, refresh: bool = True
) -> FollowUps:
    """Follow-up visits in the next `days` days (the first `limit` of them, and how many in all), and
    follow-ups that are due but not booked (`refresh` as for `overdue_page`)."""
    query = (
        select(Appointment, func.count().over())
        .options(joinedload(Appointment.patient), joinedload(Appointment.location))
        .where(
            Appointment.kind == "follow_up",
            Appointment.is_open,
            Appointment.start_at >= now,
            Appointment.start_at < now + timedelta(days=days),
        )
        .order_by(Appointment.start_at, Appointment.id)
        .limit(limit)
    )
    if provider_id is not None:
        query = query.where(Appointment.provider_id == provider_id)
    rows = db.session.execute(query).all()
    return FollowUps(
        [visit for visit, _ in rows],
        unbooked_follow_up_items(now, provider_id, refresh=refresh),
        rows[0][1] if rows else 0,
    )


def patient_measurements(patient: Patient) -> list[Measurement]:
    return list(
        db.session.scalars(
            select(Measurement)
            .where(Measurement.patient_id == patient.id)
            .order_by(Measurement.recorded_at, Measurement.id)
        )
    )


def phq9_trend(measurements: list[Measurement]) -> rules.TrendSummary | None:
    # A PHQ-9 always has its total; the test only tells the type checker so.
    totals = [
        (m.recorded_at, m.total)
        for m in measurements
        if m.instrument == "phq9" and m.superseded_at is None and m.total is not None
    ]
    return rules.response_status(totals) if totals else None


@dataclass(frozen=True)
class PatientMonitoring:
    patient_id: int
    series: list[SeriesPlan]
    measurements: list[Measurement]
    phq9_trend: rules.TrendSummary | None
    open_alerts: list[Alert]


def patient_monitoring(patient: Patient, actor: Actor, now: datetime) -> PatientMonitoring:
    """A patient's plans, measurements, PHQ-9 trend and open alerts, for one of their providers."""
    authorize_record(actor, Action.MONITORING_READ, patient, "patient")
    measurements = patient_measurements(patient)
    # The policy lets only a provider linked to a provider row read monitoring (TREATED), so this is theirs.
    alerts = [a for a in open_alerts(actor_provider_id(actor)) if a.patient_id == patient.id]
    plans = plans_for(active_series(now, patient_id=patient.id), now)
    return PatientMonitoring(patient.id, plans, measurements, phq9_trend(measurements), alerts)


def session_record(appointment: Appointment, actor: Actor) -> tuple[list[Measurement], RemsForm | None]:
    """What a session's REMS monitoring form needs: its current measurements and whether it was submitted."""
    authorize_record(actor, Action.MONITORING_READ, appointment, "appointment")
    measurements = list(
        db.session.scalars(
            select(Measurement)
            .where(Measurement.appointment_id == appointment.id, Measurement.superseded_at.is_(None))
            .order_by(Measurement.recorded_at)
        )
    )
    submitted = db.session.scalar(select(RemsForm).where(RemsForm.appointment_id == appointment.id))
    return measurements, submitted


@dataclass(frozen=True)
class ProviderDashboard:
    follow_ups: FollowUps
    # The first page of overdue items; the REMS forms have their own list on the home.
    overdue: ItemPage
    alerts: list[Alert]


def provider_dashboard(now: datetime, provider_id: int, follow_up_days: int, shown: int) -> ProviderDashboard:
    """Everything the provider home shows, read from the standing plans: the first `shown` overdue items and
    upcoming follow-ups, with how many there are in all."""
    refresh_standing_plans(now, provider_id=provider_id)
    return ProviderDashboard(
        follow_ups(now, provider_id, follow_up_days, limit=shown, refresh=False),
        overdue_page(now, provider_id, limit=shown, with_rems_forms=False, refresh=False),
        open_alerts(provider_id),
    )
