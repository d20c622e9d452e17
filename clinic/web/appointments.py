"""A visit's page: a summary, then only the actions its state and the signed-in role allow (check-in,
discharge, the dose, the ride home, moving), and cancelling or marking a no-show after a confirmation."""

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from clinic.clock import utcnow
from clinic.domain.localtime import local_date_of, utc_at
from clinic.domain.policy import Action, may
from clinic.domain.transport import TransportStatus
from clinic.domain.visits import VisitAction, available_actions, check_in_window
from clinic.extensions import db
from clinic.formatting import format_phone, region_of
from clinic.models.appointment import Appointment
from clinic.models.reminder import Reminder
from clinic.services.access import load_for
from clinic.services.appointments import (
    MoveConflict,
    cancel_appointment,
    mark_no_show,
    preview_move,
    reschedule_appointment,
)
from clinic.services.errors import ServiceError
from clinic.services.monitoring import session_record
from clinic.services.protocols import visit_protocol
from clinic.services.reminders import reminders_of
from clinic.services.session import (
    check_in,
    check_in_opens_before,
    discharge,
    record_dose,
    undo_check_in,
)
from clinic.services.transport import needs_ride, update_transport
from clinic.web.access import permission_required, web_actor
from clinic.web.clinical import measurement_context
from clinic.web.forms import (
    SCOPE_CHOICES,
    TRANSPORT_MODE_CHOICES,
    ActionForm,
    DoseForm,
    OverrideForm,
    RescheduleForm,
    TransportForm,
    UndoCheckInForm,
)
from clinic.web.patient_forms import CHANNEL_LABELS
from clinic.web.phone import to_e164
from clinic.web.today import KIND_LABELS

bp = Blueprint("web_appointments", __name__, url_prefix="/appointments")

# The permission each action of a visit needs: the page offers an action only to roles the policy grants it,
# and the route taking the action is guarded by the same entry.
NEEDS: dict[VisitAction, Action] = {
    VisitAction.CHECK_IN: Action.VISIT_CHECK_IN,
    VisitAction.UNDO_CHECK_IN: Action.VISIT_CHECK_IN,
    VisitAction.RECORD_DOSE: Action.DOSE_RECORD,
    VisitAction.DISCHARGE: Action.VISIT_DISCHARGE,
    VisitAction.EDIT_RIDE: Action.RIDE_MANAGE,
    VisitAction.RESCHEDULE: Action.VISIT_CHANGE,
    VisitAction.CANCEL: Action.VISIT_CHANGE,
    VisitAction.NO_SHOW: Action.VISIT_CHANGE,
}
CONFIRMED = "yes"


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class CancelVisitForm(FlaskForm):
    """The confirmation step of a cancellation: why, which visits, and the explicit "Yes" button, which
    sends ``confirm=yes`` (a cancel without it is refused, so a stray submit cancels nothing)."""

    reason = StringField(
        "Why is the visit cancelled?",
        filters=[_stripped],
        validators=[DataRequired("Say why the visit is cancelled"), Length(max=500)],
    )
    scope = SelectField("Cancel", choices=SCOPE_CHOICES, default="this")
    confirm = StringField(
        validators=[AnyOf([CONFIRMED], message="Not confirmed: press “Yes, cancel this visit” to cancel it")]
    )


class NoShowForm(FlaskForm):
    """The confirmation step of a no-show: only the explicit "Yes" button (``confirm=yes``)."""

    confirm = StringField(
        validators=[AnyOf([CONFIRMED], message="Not confirmed: press “Yes, mark as a no-show” to record it")]
    )


@dataclass(frozen=True)
class ReminderLine:
    """The reminders of one kind due at one time with one outcome, on however many channels."""

    kind: str
    channels: tuple[str, ...]
    due_at: datetime
    status: str
    status_reason: str
    attempts: int
    sent_at: datetime | None


def reminder_lines(reminders: list[Reminder]) -> list[ReminderLine]:
    """One line per reminder sent the same way on several channels (e-mail and text), in due order."""
    groups: dict[tuple, list[Reminder]] = {}
    for r in sorted(reminders, key=lambda r: (r.due_at, r.id)):
        groups.setdefault((r.kind, r.due_at, r.status, r.status_reason), []).append(r)
    return [
        ReminderLine(
            kind,
            tuple(CHANNEL_LABELS.get(r.channel, r.channel) for r in same),
            due_at,
            status,
            reason,
            max(r.attempts for r in same),
            min((r.sent_at for r in same if r.sent_at), default=None),
        )
        for (kind, due_at, status, reason), same in groups.items()
    ]


def _load(appointment_id: int) -> Appointment:
    return load_for(web_actor(), Action.VISIT_READ, Appointment, appointment_id, "appointment")


def visit_actions(appointment: Appointment, role: str, now: datetime) -> frozenset[VisitAction]:
    """What the signed-in role may do with the visit now: the moves its state allows (the domain's rule),
    kept to those the access policy grants the role."""
    allowed = available_actions(
        appointment.status,
        appointment.start_at,
        appointment.end_at,
        now,
        is_dose=appointment.kind == "dose",
        has_ride=appointment.transport is not None and needs_ride(appointment),
        dose_recorded=appointment.current_dose is not None,
        opens_before=check_in_opens_before(visit_protocol(appointment)),
    )
    return frozenset(action for action in allowed if may(role, NEEDS[action]))


def _check_in_opens(appointment: Appointment, actions: frozenset, now: datetime) -> datetime | None:
    """When check-in opens for a visit later today, so the desk knows why there is no button yet."""
    if VisitAction.CHECK_IN in actions or not appointment.is_open:
        return None
    if not may(current_user.role, NEEDS[VisitAction.CHECK_IN]):
        return None
    opens, _ = check_in_window(
        appointment.start_at, appointment.end_at, check_in_opens_before(visit_protocol(appointment))
    )
    zone = appointment.location.zone
    return opens if now < opens and local_date_of(now, zone) == local_date_of(opens, zone) else None


def _protocol_name(appointment: Appointment) -> str | None:
    """The name of the protocol the visit belongs to (a follow-up: its series' protocol)."""
    spec = visit_protocol(appointment)
    if spec is None and appointment.series is not None:
        spec = appointment.series.spec()
    if spec is not None:
        return spec.name
    return appointment.protocol_code


def _new_start(appointment: Appointment, form: RescheduleForm):
    local = form.new_start.data
    return utc_at(local.date(), local.time(), appointment.location.zone)


def _clinical(appointment: Appointment) -> dict | None:
    """Measurement forms and this visit's measurements, for the patient's own providers only."""
    if not may(current_user.role, Action.MONITORING_READ):
        return None
    measurements, rems_submitted = session_record(appointment, web_actor())
    return {"measurements": measurements, "rems_submitted": rems_submitted, **measurement_context()}


def _transport_form(appointment: Appointment) -> TransportForm:
    transport = appointment.transport
    if transport is None:
        return TransportForm(status=TransportStatus.MISSING)
    return TransportForm(
        status=transport.status,
        mode=transport.mode or "",
        contact_name=transport.contact_name,
        contact_phone=format_phone(transport.contact_phone, appointment.location),
    )


def _labels() -> dict:
    return {
        "kinds": KIND_LABELS,
        "modes": {choice.value: choice.label for choice in TRANSPORT_MODE_CHOICES},
    }


def _summary(appointment: Appointment) -> dict:
    """What the summary at the top of the visit's pages shows."""
    return {"appointment": appointment, "protocol_name": _protocol_name(appointment), "labels": _labels()}


def _page(appointment: Appointment, status: int = 200, *, opened: str | None = None, **forms):
    """The visit's page; `opened` names the folded section to show open (the one whose form was refused)."""
    now = utcnow()
    actions = visit_actions(appointment, current_user.role, now)
    forms.setdefault(
        "reschedule_form", RescheduleForm(new_start=appointment.local_start.replace(tzinfo=None))
    )
    forms.setdefault("transport_form", _transport_form(appointment))
    forms.setdefault("override_form", OverrideForm())
    forms.setdefault("undo_form", UndoCheckInForm())
    forms.setdefault("dose_form", DoseForm())
    forms.setdefault("refused", None)
    forms.setdefault("move_preview", None)
    return render_template(
        "appointments/show.html",
        **_summary(appointment),
        action_form=ActionForm(),
        actions=actions,
        VisitAction=VisitAction,
        opened=opened,
        check_in_opens=_check_in_opens(appointment, actions, now),
        dose_options=_dose_options(appointment),
        reminders=(
            reminder_lines(reminders_of(appointment))
            if may(current_user.role, Action.REMINDERS_READ)
            else None
        ),
        clinical=_clinical(appointment),
        **forms,
    ), status


def _dose_options(appointment: Appointment) -> tuple[int, ...]:
    spec = visit_protocol(appointment) if appointment.kind == "dose" else None
    return spec.rules.dose_mg_options if spec is not None else ()


def _back(appointment_id: int):
    return redirect(url_for(".show", appointment_id=appointment_id))


@bp.route("/<int:appointment_id>")
@permission_required(Action.VISIT_READ)
def show(appointment_id: int):
    return _page(_load(appointment_id))


@bp.route("/<int:appointment_id>/reschedule-preview", methods=["POST"])
@permission_required(NEEDS[VisitAction.RESCHEDULE])
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
        "appointments/_moves.html", preview=preview, error=None, place=appointment.location
    )


@bp.route("/<int:appointment_id>/reschedule", methods=["POST"])
@permission_required(NEEDS[VisitAction.RESCHEDULE])
def reschedule(appointment_id: int):
    appointment = _load(appointment_id)
    form = RescheduleForm()
    if not form.validate():
        return _page(appointment, 400, opened="reschedule", reschedule_form=form)
    new_start = _new_start(appointment, form)
    try:
        moved = reschedule_appointment(appointment, new_start, form.scope.data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"Not moved: {error.detail}. " + _rule_summary(error), "error")
        appointment = _load(appointment_id)
        # The same preview the button shows (with the free times nearby), for a browser without scripts.
        preview = (
            preview_move(appointment, new_start, form.scope.data, utcnow())
            if isinstance(error, MoveConflict)
            else None
        )
        return _page(
            appointment, error.status, opened="reschedule", reschedule_form=form, move_preview=preview
        )
    flash(f"Moved {len(moved)} visit(s).", "success")
    return _back(appointment_id)


def _rule_summary(error: ServiceError) -> str:
    messages = [rule["message"] for c in error.conflicts or [] for rule in c.get("rules", [c])]
    return " ".join(messages[:5])


def _confirm_page(appointment: Appointment, step: str, form: FlaskForm, status: int = 200):
    return render_template("appointments/confirm.html", **_summary(appointment), step=step, form=form), status


def _offered(appointment: Appointment, action: VisitAction) -> bool:
    return action in visit_actions(appointment, current_user.role, utcnow())


@bp.route("/<int:appointment_id>/cancel", methods=["GET"])
@permission_required(NEEDS[VisitAction.CANCEL])
def confirm_cancel(appointment_id: int):
    """The confirmation step: the visit, why it is cancelled, and "Yes, cancel this visit"."""
    appointment = _load(appointment_id)
    if not _offered(appointment, VisitAction.CANCEL):
        flash(f"A visit that is {appointment.status.label} cannot be cancelled.", "error")
        return _back(appointment_id)
    return _confirm_page(appointment, "cancel", CancelVisitForm())


@bp.route("/<int:appointment_id>/cancel", methods=["POST"])
@permission_required(NEEDS[VisitAction.CANCEL])
def cancel(appointment_id: int):
    appointment = _load(appointment_id)
    form = CancelVisitForm()
    if not form.validate():
        return _confirm_page(appointment, "cancel", form, 400)
    try:
        cancelled = cancel_appointment(appointment, form.reason.data, form.scope.data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"Not cancelled: {error.detail}.", "error")
        return _page(_load(appointment_id), error.status)
    flash(f"Cancelled {len(cancelled)} visit(s).", "success")
    return _back(appointment_id)


@bp.route("/<int:appointment_id>/no-show", methods=["GET"])
@permission_required(NEEDS[VisitAction.NO_SHOW])
def confirm_no_show(appointment_id: int):
    """The confirmation step: the visit, what a no-show does, and "Yes, mark as a no-show"."""
    appointment = _load(appointment_id)
    if not _offered(appointment, VisitAction.NO_SHOW):
        flash("Only a visit that has not begun, once its start time has passed, is a no-show.", "error")
        return _back(appointment_id)
    return _confirm_page(appointment, "no_show", NoShowForm())


@bp.route("/<int:appointment_id>/no-show", methods=["POST"])
@permission_required(NEEDS[VisitAction.NO_SHOW])
def no_show(appointment_id: int):
    appointment = _load(appointment_id)
    form = NoShowForm()
    if not form.validate():
        return _confirm_page(appointment, "no_show", form, 400)
    try:
        mark_no_show(appointment, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"Not marked as a no-show: {error.detail}.", "error")
        return _page(_load(appointment_id), error.status)
    flash("Marked as a no-show.", "success")
    return _back(appointment_id)


@bp.route("/<int:appointment_id>/transport", methods=["POST"])
@permission_required(NEEDS[VisitAction.EDIT_RIDE])
def transport(appointment_id: int):
    appointment = _load(appointment_id)
    form = TransportForm()
    if not form.validate():
        return _page(appointment, 400, opened="ride", transport_form=form)
    # A number is typed the way the location's country writes it; one abroad needs its country code.
    phone = to_e164(form.contact_phone.data, region_of(appointment.location.locale))
    if form.contact_phone.data and phone is None:
        form.contact_phone.errors = [
            "Not a valid phone number: give it with its area code, and a number abroad with its country code"
        ]
        return _page(appointment, 422, opened="ride", transport_form=form)
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
        flash(f"Ride not saved: {error.detail}.", "error")
        return _page(_load(appointment_id), error.status, opened="ride", transport_form=form)
    flash("Ride saved.", "success")
    return _back(appointment_id)


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
    return _back(appointment_id)


@bp.route("/<int:appointment_id>/check-in", methods=["POST"])
@permission_required(NEEDS[VisitAction.CHECK_IN])
def check_in_visit(appointment_id: int):
    command = OverrideForm().check_in_command()
    return _gate(appointment_id, check_in, command, "Checked in.", "Not checked in")


@bp.route("/<int:appointment_id>/complete", methods=["POST"])
@permission_required(NEEDS[VisitAction.DISCHARGE])
def complete_visit(appointment_id: int):
    command = OverrideForm().discharge_command()
    return _gate(appointment_id, discharge, command, "Discharged.", "Not discharged")


@bp.route("/<int:appointment_id>/undo-check-in", methods=["POST"])
@permission_required(NEEDS[VisitAction.UNDO_CHECK_IN])
def undo_check_in_visit(appointment_id: int):
    appointment = _load(appointment_id)
    form = UndoCheckInForm()
    if not form.validate():
        return _page(appointment, 422, opened="undo", undo_form=form)
    try:
        undo_check_in(appointment, form.command(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"Check-in not undone: {error.detail}. " + _rule_summary(error), "error")
        return _page(_load(appointment_id), error.status, opened="undo", undo_form=form)
    flash("Check-in undone: the visit is scheduled again.", "success")
    return _back(appointment_id)


@bp.route("/<int:appointment_id>/dose", methods=["POST"])
@permission_required(NEEDS[VisitAction.RECORD_DOSE])
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
    return _back(appointment_id)
