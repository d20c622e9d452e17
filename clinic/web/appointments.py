"""An appointment's page: details, and moving, cancelling or marking a no-show."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action, may
from clinic.domain.transport import TransportStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.services.access import load_for
from clinic.services.appointments import (
    cancel_appointment,
    mark_no_show,
    preview_move,
    reschedule_appointment,
)
from clinic.services.errors import ServiceError
from clinic.services.monitoring import session_record
from clinic.services.protocols import visit_protocol
from clinic.services.reminders import reminders_of
from clinic.services.session import check_in, discharge, record_dose, undo_check_in
from clinic.services.transport import update_transport
from clinic.web.access import permission_required, web_actor
from clinic.web.clinical import measurement_context
from clinic.web.forms import (
    ActionForm,
    CancelForm,
    DoseForm,
    OverrideForm,
    RescheduleForm,
    TransportForm,
    UndoCheckInForm,
)
from clinic.web.phone import to_e164

bp = Blueprint("web_appointments", __name__, url_prefix="/appointments")


def _load(appointment_id: int) -> Appointment:
    return load_for(web_actor(), Action.VISIT_READ, Appointment, appointment_id, "appointment")


def _new_start(appointment: Appointment, form: RescheduleForm):
    local = form.new_start.data
    return utc_at(local.date(), local.time(), appointment.location.zone)


def _clinical(appointment: Appointment) -> dict | None:
    """Measurement forms and this visit's measurements, for the patient's own providers only."""
    if not may(current_user.role, Action.MONITORING_READ):
        return None
    measurements, rems_submitted = session_record(appointment, web_actor())
    return {"measurements": measurements, "rems_submitted": rems_submitted, **measurement_context()}


def _page(appointment: Appointment, status: int = 200, **forms):
    forms.setdefault(
        "reschedule_form", RescheduleForm(new_start=appointment.local_start.replace(tzinfo=None))
    )
    forms.setdefault("cancel_form", CancelForm())
    transport = appointment.transport
    forms.setdefault(
        "transport_form",
        TransportForm(
            status=transport.status if transport else TransportStatus.MISSING,
            mode=(transport.mode or "") if transport else "",
            contact_name=transport.contact_name if transport else None,
            contact_phone=transport.contact_phone if transport else None,
        ),
    )
    forms.setdefault("override_form", OverrideForm())
    forms.setdefault("undo_form", UndoCheckInForm())
    forms.setdefault("dose_form", DoseForm())
    role = current_user.role
    return render_template(
        "appointments/show.html",
        appointment=appointment,
        action_form=ActionForm(),
        can_change=may(role, Action.VISIT_CHANGE),
        can={
            "check_in": may(role, Action.VISIT_CHECK_IN),
            "discharge": may(role, Action.VISIT_DISCHARGE),
            "dose": may(role, Action.DOSE_RECORD),
        },
        dose_options=_dose_options(appointment),
        reminders=reminders_of(appointment),
        clinical=_clinical(appointment),
        **forms,
    ), status


def _dose_options(appointment: Appointment) -> tuple[int, ...]:
    spec = visit_protocol(appointment) if appointment.kind == "dose" else None
    return spec.rules.dose_mg_options if spec is not None else ()


@bp.route("/<int:appointment_id>")
@permission_required(Action.VISIT_READ)
def show(appointment_id: int):
    return _page(_load(appointment_id))


@bp.route("/<int:appointment_id>/reschedule-preview", methods=["POST"])
@permission_required(Action.VISIT_CHANGE)
def reschedule_preview(appointment_id: int):
    appointment = _load(appointment_id)
    form = RescheduleForm()
    if not form.validate():
        # A date and time that parsed but was refused is out of the booking window: say which days are open.
        refused = form.new_start.errors if form.new_start.data is not None else []
        error = refused[0] if refused else "Give the new date and time."
        return render_template("appointments/_moves.html", preview=None, error=error)
    try:
        preview = preview_move(appointment, _new_start(appointment, form), form.scope.data, utcnow())
    except ServiceError as error:
        db.session.rollback()
        return render_template("appointments/_moves.html", preview=None, error=error.detail)
    return render_template(
        "appointments/_moves.html", preview=preview, error=None, tz=appointment.location.zone
    )


@bp.route("/<int:appointment_id>/reschedule", methods=["POST"])
@permission_required(Action.VISIT_CHANGE)
def reschedule(appointment_id: int):
    appointment = _load(appointment_id)
    form = RescheduleForm()
    if not form.validate():
        return _page(appointment, 400, reschedule_form=form)
    try:
        moved = reschedule_appointment(
            appointment, _new_start(appointment, form), form.scope.data, web_actor(), utcnow()
        )
    except ServiceError as error:
        db.session.rollback()
        flash(f"Not moved: {error.detail}. " + _rule_summary(error), "error")
        return _page(_load(appointment_id), 409, reschedule_form=form)
    flash(f"Moved {len(moved)} visit(s).", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


def _rule_summary(error: ServiceError) -> str:
    messages = [rule["message"] for c in error.conflicts or [] for rule in c.get("rules", [c])]
    return " ".join(messages[:5])


@bp.route("/<int:appointment_id>/cancel", methods=["POST"])
@permission_required(Action.VISIT_CHANGE)
def cancel(appointment_id: int):
    appointment = _load(appointment_id)
    form = CancelForm()
    if not form.validate():
        return _page(appointment, 400, cancel_form=form)
    try:
        cancelled = cancel_appointment(appointment, form.reason.data, form.scope.data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(error.detail, "error")
        return _page(_load(appointment_id), error.status)
    flash(f"Cancelled {len(cancelled)} visit(s).", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>/no-show", methods=["POST"])
@permission_required(Action.VISIT_CHANGE)
def no_show(appointment_id: int):
    appointment = _load(appointment_id)
    if not ActionForm().validate():
        return _page(appointment, 400)
    try:
        mark_no_show(appointment, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(error.detail, "error")
        return _page(_load(appointment_id), error.status)
    flash("Marked as a no-show.", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>/transport", methods=["POST"])
@permission_required(Action.RIDE_MANAGE)
def transport(appointment_id: int):
    appointment = _load(appointment_id)
    form = TransportForm()
    if not form.validate():
        return _page(appointment, 400, transport_form=form)
    phone = to_e164(form.contact_phone.data)
    if form.contact_phone.data and phone is None:
        form.contact_phone.errors = [
            "Not a valid phone number; use the international format, e.g. +16175550100"
        ]
        return _page(appointment, 422, transport_form=form)
    data = {
        "status": form.status.data,
        "mode": form.mode.data or None,
        "contact_name": form.contact_name.data or None,
        "contact_phone": phone,
    }
    try:
        update_transport(appointment, data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        for name, messages in (error.errors or {}).items():
            if name in form:
                form[name].errors = list(messages)
        flash(error.detail, "error")
        return _page(_load(appointment_id), error.status, transport_form=form)
    flash("Ride saved.", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


def _gate(appointment_id: int, action, command, done_message: str, refused_action: str):
    """Check-in and discharge: a refusal is explained and the override form offered."""
    appointment = _load(appointment_id)
    if not ActionForm().validate():
        return _page(appointment, 400)
    try:
        action(appointment, command, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"{refused_action}: {error.detail}.", "error")
        return _page(_load(appointment_id), error.status, refused=refused_action)
    flash(done_message, "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>/check-in", methods=["POST"])
@permission_required(Action.VISIT_CHECK_IN)
def check_in_visit(appointment_id: int):
    command = OverrideForm().check_in_command()
    return _gate(appointment_id, check_in, command, "Checked in.", "Not checked in")


@bp.route("/<int:appointment_id>/complete", methods=["POST"])
@permission_required(Action.VISIT_DISCHARGE)
def complete_visit(appointment_id: int):
    command = OverrideForm().discharge_command()
    return _gate(appointment_id, discharge, command, "Discharged.", "Not discharged")


@bp.route("/<int:appointment_id>/undo-check-in", methods=["POST"])
@permission_required(Action.VISIT_CHECK_IN)
def undo_check_in_visit(appointment_id: int):
    appointment = _load(appointment_id)
    form = UndoCheckInForm()
    if not form.validate():
        return _page(appointment, 422, undo_form=form)
    try:
        undo_check_in(appointment, form.command(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"Check-in not undone: {error.detail}. " + _rule_summary(error), "error")
        return _page(_load(appointment_id), error.status, undo_form=form)
    flash("Check-in undone: the visit is scheduled again.", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>/dose", methods=["POST"])
@permission_required(Action.DOSE_RECORD)
def dose(appointment_id: int):
    appointment = load_for(web_actor(), Action.DOSE_RECORD, Appointment, appointment_id, "appointment")
    form = DoseForm()
    if not form.validate():
        return _page(appointment, 422, dose_form=form)
    try:
        record_dose(appointment, form.command(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        for name, messages in (error.errors or {}).items():
            if name in form:
                form[name].errors = list(messages)
        flash(f"Dose not recorded: {error.detail}. " + _rule_summary(error), "error")
        return _page(_load(appointment_id), error.status, dose_form=form)
    flash("Dose recorded.", "success")
    return redirect(url_for(".show", appointment_id=appointment_id))
