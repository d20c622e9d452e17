"""Clinical pages: measurement forms, the patient timeline with its trend chart, alerts and the printable REMS
monitoring form. Front-desk staff never see these; the provider's home and its lists are in `provider`."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from clinic.clock import utcnow
from clinic.domain.monitoring import GAD7_MAX, ITEM_MAX, PHQ9_MAX
from clinic.domain.policy import Action
from clinic.domain.session import measurement_refusal
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.formatting import Where
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.services.access import load_for
from clinic.services.appointments import list_appointments
from clinic.services.errors import ServiceError
from clinic.services.locations import home_place
from clinic.services.monitoring import (
    PatientMonitoring,
    acknowledge_alert,
    patient_monitoring,
    record_measurement,
    submit_rems_form,
)
from clinic.services.protocols import visit_protocol
from clinic.services.rems_forms import rems_form as filled_rems_form
from clinic.services.session import check_in_opens_before
from clinic.web.access import permission_required, web_actor
from clinic.web.charts import trend_data
from clinic.web.forms import (
    GAD7_QUESTIONS,
    PHQ9_QUESTIONS,
    AcknowledgeForm,
    ActionForm,
    BloodPressureForm,
    QuestionnaireForm,
    SedationForm,
)

bp = Blueprint("web_clinical", __name__)


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@permission_required(Action.ALERT_ACKNOWLEDGE)
def acknowledge(alert_id: int):
    alert = load_for(web_actor(), Action.ALERT_ACKNOWLEDGE, Alert, alert_id, "alert")
    form = AcknowledgeForm()
    if form.validate():
        try:
            acknowledge_alert(alert, form.note.data or None, web_actor(), utcnow())
            flash("Alert acknowledged.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(error.detail, "error")
    return redirect(request.referrer or url_for("web_provider.home"))


# The questionnaires entered on these pages: their questions in order, and the highest total.
QUESTIONNAIRES = {"phq9": PHQ9_QUESTIONS, "gad7": GAD7_QUESTIONS}
QUESTIONNAIRE_MAX = {"phq9": PHQ9_MAX, "gad7": GAD7_MAX}
INSTRUMENT_LABELS = {"phq9": "PHQ-9", "gad7": "GAD-7"}
ANSWER_VALUES = frozenset(str(value) for value in range(ITEM_MAX + 1))
# A visit of yesterday or tomorrow in UTC may still be today where it takes place.
OPEN_VISIT_WINDOW = timedelta(days=1)


@dataclass
class QuestionnaireEntry:
    """A questionnaire as posted: answers by question number, the questions without a valid answer, and the
    visit it was given at (None when none of the offered visits was chosen)."""

    instrument: str
    answers: dict[int, int] = field(default_factory=dict)
    unanswered: list[int] = field(default_factory=list)
    visit_id: int | None = None
    visit_missing: bool = False
    refusal: str | None = None


def posted_questionnaire(instrument: str) -> QuestionnaireEntry:
    """Read item1..itemN of a posted PHQ-9 or GAD-7: each answer must be one of 0..3."""
    entry = QuestionnaireEntry(instrument)
    for number in range(1, len(QUESTIONNAIRES[instrument]) + 1):
        value = request.form.get(f"item{number}", "")
        if value in ANSWER_VALUES:
            entry.answers[number] = int(value)
        else:
            entry.unanswered.append(number)
    return entry


def _place_of(monitoring: PatientMonitoring) -> Where:
    # The chart's axis is read where the patient is measured: the location of the latest visit with a
    # measurement, else that of their series, else the clinic's first location.
    for measurement in reversed(monitoring.measurements):
        if measurement.appointment is not None:
            return measurement.appointment.location
    for plan in monitoring.series:
        return plan.series.location
    return home_place()


def _open_visits(patient: Patient, now: datetime) -> list[Appointment]:
    """The patient's visits of today (where each takes place) at which a questionnaire may be recorded now,
    latest first; recording still goes through the use case, which decides."""
    nearby = list_appointments(
        {"patient_id": patient.id, "start": now - OPEN_VISIT_WINDOW, "end": now + OPEN_VISIT_WINDOW},
        web_actor(),
    )
    visits = [
        visit
        for visit in nearby
        if visit.local_start.date() == now.astimezone(visit.location.zone).date()
        and visit.status not in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW)
        and measurement_refusal(
            visit.kind == "dose",
            VisitStatus(visit.status),
            visit.start_at,
            now,
            check_in_opens_before(visit_protocol(visit)),
        )
        is None
    ]
    return sorted(visits, key=lambda visit: (visit.start_at, visit.id), reverse=True)


def _newest_first(measurements: list[Measurement]) -> list[Measurement]:
    return sorted(measurements, key=lambda m: (m.recorded_at, m.id), reverse=True)


def _timeline_page(patient: Patient, entry: QuestionnaireEntry | None = None, status: int = 200):
    now = utcnow()
    monitoring = patient_monitoring(patient, web_actor(), now)
    place = _place_of(monitoring)
    scores = [
        m for m in monitoring.measurements if m.superseded_at is None and m.instrument in QUESTIONNAIRES
    ]
    chart = trend_data(
        [(m.recorded_at, m.total) for m in scores if m.instrument == "phq9"],
        [(m.recorded_at, m.total) for m in scores if m.instrument == "gad7"],
        place,
    )
    plans = [
        (plan.series, sorted(plan.plan.items, key=lambda item: (item.deadline, item.key), reverse=True), plan)
        for plan in monitoring.series
    ]
    return render_template(
        "clinical/timeline.html",
        patient=patient,
        monitoring=monitoring,
        place=place,
        chart=chart if scores else None,
        scores=_newest_first(scores),
        entries=_newest_first(monitoring.measurements),
        plans=plans,
        visits=_open_visits(patient, now),
        entry=entry,
        questionnaires=QUESTIONNAIRES,
        questionnaire_max=QUESTIONNAIRE_MAX,
        instrument_labels=INSTRUMENT_LABELS,
        questionnaire_form=QuestionnaireForm(),
        ack_form=AcknowledgeForm(),
    ), status


@bp.route("/patients/<int:patient_id>/timeline")
@permission_required(Action.MONITORING_READ)
def timeline(patient_id: int):
    patient = load_for(web_actor(), Action.MONITORING_READ, Patient, patient_id, "patient")
    return _timeline_page(patient)


@bp.route("/patients/<int:patient_id>/questionnaires/<any(phq9, gad7):instrument>", methods=["POST"])
@permission_required(Action.MEASUREMENT_RECORD)
def record_questionnaire(patient_id: int, instrument: str):
    """A PHQ-9 or GAD-7 entered on the timeline, at one of the patient's visits open now. A question left
    unanswered or a visit not offered answers 400 naming it, and nothing is written."""
    patient = load_for(web_actor(), Action.MONITORING_READ, Patient, patient_id, "patient")
    entry = posted_questionnaire(instrument)
    offered = {visit.id: visit for visit in _open_visits(patient, utcnow())}
    raw_visit = request.form.get("appointment_id", "")
    entry.visit_id = int(raw_visit) if raw_visit.isascii() and raw_visit.isdigit() else None
    entry.visit_missing = entry.visit_id not in offered
    if entry.unanswered or entry.visit_missing:
        return _timeline_page(patient, entry, 400)
    data = {"instrument": instrument, "items": [entry.answers[n] for n in sorted(entry.answers)]}
    try:
        measurement, alerts = record_measurement(offered[entry.visit_id], data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        entry.refusal = error.detail
        return _timeline_page(patient, entry, error.status)
    flash(
        f"{INSTRUMENT_LABELS[instrument]} recorded: total {measurement.total}."
        + "".join(f" Alert: {a.message}" for a in alerts),
        "error" if alerts else "success",
    )
    return redirect(url_for(".timeline", patient_id=patient.id))


def record_from_form(appointment: Appointment, instrument: str) -> None:
    """Record what a measurement form posted for the visit (a questionnaire, a blood pressure, or sedation
    with dissociation) and flash the outcome with any alert raised; nothing is recorded when a value is
    missing or out of range."""
    readings, problem = _posted_measurements(instrument)
    if problem:
        flash(problem, "error")
        return
    try:
        alerts = []
        for data in readings:
            alerts += record_measurement(appointment, data, web_actor(), utcnow())[1]
    except ServiceError as error:
        db.session.rollback()
        flash(f"Not recorded: {error.detail}", "error")
        return
    flash("Recorded." + "".join(f" Alert: {a.message}" for a in alerts), "error" if alerts else "success")


def _posted_measurements(instrument: str) -> tuple[list[dict], str | None]:
    if instrument in QUESTIONNAIRES:
        entry = posted_questionnaire(instrument)
        if entry.unanswered:
            numbers = ", ".join(str(n) for n in entry.unanswered)
            return [], f"Not recorded: answer question {numbers} with one of the four answers."
        if not QuestionnaireForm().validate():
            return [], "The form expired; open the page again."
        return [{"instrument": instrument, "items": [entry.answers[n] for n in sorted(entry.answers)]}], None
    if instrument == "bp":
        form = BloodPressureForm()
        if not form.validate():
            return [], "Give both blood pressure values within range."
        return [
            {
                "instrument": "bp",
                "timepoint": form.timepoint.data,
                "systolic": form.systolic.data,
                "diastolic": form.diastolic.data,
            }
        ], None
    if instrument == "sedation":
        sedation = SedationForm()
        if not sedation.validate():
            return [], "Give the MOAA/S score (0-5) and the CADSS total (0-92)."
        return [
            {"instrument": "sedation", "moaas": sedation.moaas.data},
            {"instrument": "dissociation", "cadss_total": sedation.cadss_total.data},
        ], None
    return [], "Unknown measurement."


@bp.route("/appointments/<int:appointment_id>/measurements/<instrument>", methods=["POST"])
@permission_required(Action.MEASUREMENT_RECORD)
def record(appointment_id: int, instrument: str):
    appointment = load_for(web_actor(), Action.MEASUREMENT_RECORD, Appointment, appointment_id, "appointment")
    record_from_form(appointment, instrument)
    return redirect(url_for("web_appointments.show", appointment_id=appointment_id) + "#measurements")


@bp.route("/appointments/<int:appointment_id>/rems-form", methods=["GET", "POST"])
@permission_required(Action.MONITORING_READ)
def rems_form(appointment_id: int):
    appointment = load_for(web_actor(), Action.MONITORING_READ, Appointment, appointment_id, "appointment")
    if request.method == "POST" and ActionForm().validate():
        try:
            submit_rems_form(appointment, request.form.get("confirmation", "")[:100], web_actor(), utcnow())
            flash("REMS monitoring form marked as submitted.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(error.detail, "error")
        return redirect(url_for(".rems_form", appointment_id=appointment_id))
    filled = filled_rems_form(appointment, web_actor(), utcnow())
    return render_template(
        "clinical/rems_form.html",
        a=appointment,
        form=filled.form,
        place=appointment.location,
        action_form=ActionForm(),
    )


def measurement_context() -> dict:
    """What the appointment page needs to show the measurement forms to providers."""
    return {
        "phq9_questions": PHQ9_QUESTIONS,
        "gad7_questions": GAD7_QUESTIONS,
        "bp_form": BloodPressureForm(),
        "sedation_form": SedationForm(),
        "questionnaire_form": QuestionnaireForm(),
    }
