"""Provider pages: the home with what is coming and overdue, measurement forms, the patient timeline with
its trend chart, and the printable REMS monitoring form. Front-desk staff never see these."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.models.series import Series
from clinic.services.access import load_for
from clinic.services.errors import ServiceError
from clinic.services.followups import book_due_follow_up
from clinic.services.monitoring import (
    acknowledge_alert,
    patient_monitoring,
    provider_dashboard,
    record_measurement,
    submit_rems_form,
)
from clinic.services.rems_forms import rems_form as filled_rems_form
from clinic.services.rems_forms import rems_queue
from clinic.web.access import permission_required, web_actor
from clinic.web.charts import trend_svg
from clinic.web.forms import (
    GAD7_QUESTIONS,
    PHQ9_QUESTIONS,
    AcknowledgeForm,
    ActionForm,
    BloodPressureForm,
    FollowUpBookingForm,
    QuestionnaireForm,
    SedationForm,
)

bp = Blueprint("web_clinical", __name__)
FOLLOW_UP_DAYS = 14
REMS_SOON_DAYS = 7


@bp.route("/provider")
@permission_required(Action.MONITORING_READ)
def home():
    now = utcnow()
    dashboard = provider_dashboard(now, current_user.provider_id, FOLLOW_UP_DAYS)
    return render_template(
        "clinical/home.html",
        followups=dashboard.follow_ups,
        overdue=[pair for pair in dashboard.overdue if pair[1].code != "rems_monitoring_form"],
        rems_forms=[
            entry
            for entry in rems_queue(web_actor(), None, now, open_only=True)
            if entry.form.days_left <= REMS_SOON_DAYS
        ],
        alerts=dashboard.alerts,
        action_form=ActionForm(),
        ack_form=AcknowledgeForm(),
    )


@bp.route("/provider/series/<int:series_id>/book-follow-up", methods=["POST"])
@permission_required(Action.FOLLOW_UP_BOOK)
def book_follow_up(series_id: int):
    series = load_for(web_actor(), Action.FOLLOW_UP_BOOK, Series, series_id, "series")
    form = FollowUpBookingForm()
    if not form.validate():
        flash("That follow-up could not be read; open the home page again and retry.", "error")
        return redirect(url_for(".home"))
    try:
        visit = book_due_follow_up(series, form.due.data, web_actor(), utcnow())
        flash(
            f"Follow-up booked for {series.patient.full_name}: {visit.local_start:%a %d %b %H:%M}.",
            "success",
        )
    except ServiceError as error:
        db.session.rollback()
        flash(error.detail, "error")
    return redirect(url_for(".home"))


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
    return redirect(request.referrer or url_for(".home"))


@bp.route("/patients/<int:patient_id>/timeline")
@permission_required(Action.MONITORING_READ)
def timeline(patient_id: int):
    patient = load_for(web_actor(), Action.MONITORING_READ, Patient, patient_id, "patient")
    monitoring = patient_monitoring(patient, web_actor(), utcnow())
    current = [m for m in monitoring.measurements if m.superseded_at is None]
    chart = trend_svg(
        [(m.recorded_at, m.total) for m in current if m.instrument == "phq9"],
        [(m.recorded_at, m.total) for m in current if m.instrument == "gad7"],
    )
    return render_template(
        "clinical/timeline.html",
        patient=patient,
        monitoring=monitoring,
        chart=chart,
        ack_form=AcknowledgeForm(),
    )


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
    if instrument in ("phq9", "gad7"):
        answers = QuestionnaireForm().answers(9 if instrument == "phq9" else 7)
        if answers is None or not QuestionnaireForm().validate():
            return [], "Answer every question."
        return [{"instrument": instrument, "items": answers}], None
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
        zone=appointment.location.zone,
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
