"""Patients: search, registration (warning of a likely duplicate), editing, and the patient's page with
visits, series, rides, reminders and the calendar feed."""

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action, may
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.models.reminder import Reminder
from clinic.services.access import load_for
from clinic.services.errors import ServiceError
from clinic.services.feeds import active_feed
from clinic.services.patients import (
    LikelyDuplicate,
    create_patient,
    patient_overview,
    phone_region,
    read_patient,
    search_patients,
    send_ride_link,
    update_patient,
)
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import TRANSPORT_MODE_CHOICES, ActionForm, PatientSearchForm
from clinic.web.patient_forms import CHANNEL_LABELS, NewPatientForm, PatientForm, RideLinkForm
from clinic.web.phone import display_phone

bp = Blueprint("web_patients", __name__, url_prefix="/patients")

FORM_INVALID = "Nothing was saved: please correct the fields marked below."


@bp.route("/")
@permission_required(Action.PATIENT_READ)
def index():
    form = PatientSearchForm(formdata=request.args)
    patients = []
    if form.validate():
        patients = search_patients(form.q.data, web_actor(), utcnow())
    return render_template(
        "patients/index.html",
        form=form,
        patients=patients,
        phone=display_phone,
        can_register=may(current_user.role, Action.PATIENT_REGISTER),
    )


def _form_page(form: PatientForm, status: int, patient: Patient | None = None, duplicates=None):
    if status >= 400 and not duplicates:
        flash(FORM_INVALID, "error")
    return render_template(
        "patients/form.html", form=form, patient=patient, duplicates=duplicates or []
    ), status


def _checked(form: PatientForm, patient: Patient | None):
    """The form's record data, or the page saying why it cannot be saved (nothing is written)."""
    valid = form.validate()
    phones = form.phones(phone_region())  # every unreadable number is named, with the other errors
    if not valid or phones is None:
        return None, _form_page(form, 400 if "csrf_token" in form.errors else 422, patient)
    return form.patient_data(phones), None


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.PATIENT_REGISTER)
def new():
    form = NewPatientForm()
    if not form.is_submitted():
        return _form_page(form, 200)
    data, refused = _checked(form, None)
    if refused:
        return refused
    try:
        patient = create_patient(
            data, web_actor(), utcnow(), refuse_duplicates=not form.different_person.data
        )
    except LikelyDuplicate as duplicate:
        db.session.rollback()
        return _form_page(form, 409, duplicates=duplicate.matches)
    except ServiceError as error:
        db.session.rollback()
        form.show_service_errors(error.errors)
        return _form_page(form, error.status)
    flash(f"Registered {patient.full_name}.", "success")
    return redirect(url_for(".show", patient_id=patient.id))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@permission_required(Action.PATIENT_EDIT)
def edit(patient_id: int):
    patient = load_for(web_actor(), Action.PATIENT_EDIT, Patient, patient_id, "patient")
    form = PatientForm(data=PatientForm.initial(patient))
    if not form.is_submitted():
        return _form_page(form, 200, patient)
    data, refused = _checked(form, patient)
    if refused:
        return refused
    try:
        update_patient(patient, data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        form.show_service_errors(error.errors)
        return _form_page(form, error.status, patient)
    flash("Saved.", "success")
    return redirect(url_for(".show", patient_id=patient_id))


def _endpoint(name: str) -> bool:
    """Whether a page exists in this app (pages built later appear once their blueprint is registered)."""
    return name in current_app.view_functions


@dataclass(frozen=True)
class ReminderRow:
    """The same message to the same visit at the same time on several channels, as one line."""

    visit: Appointment
    kind: str
    due_at: datetime
    status: str
    reason: str
    channels: tuple[str, ...]


def _reminder_rows(reminders: list[Reminder]) -> list[ReminderRow]:
    rows: dict[tuple, list[Reminder]] = {}
    for r in reminders:
        rows.setdefault((r.appointment_id, r.kind, r.due_at, r.status, r.status_reason), []).append(r)
    return [
        ReminderRow(
            same[0].appointment,
            kind,
            due_at,
            status,
            reason,
            tuple(CHANNEL_LABELS.get(r.channel, r.channel) for r in same),
        )
        for (_, kind, due_at, status, reason), same in rows.items()
    ]


@bp.route("/<int:patient_id>")
@permission_required(Action.PATIENT_READ)
def show(patient_id: int):
    now, actor = utcnow(), web_actor()
    patient = read_patient(patient_id, actor, now)
    overview = patient_overview(patient, actor, now)
    role = current_user.role
    return render_template(
        "patients/show.html",
        patient=patient,
        overview=overview,
        place=overview.place,
        feed=active_feed("patient", patient_id),
        action_form=ActionForm(),
        reminder_rows=_reminder_rows(overview.reminders),
        ride_link_form=RideLinkForm(),
        phone=display_phone,
        mode_labels={choice.value: choice.label for choice in TRANSPORT_MODE_CHOICES},
        channel_labels=CHANNEL_LABELS,
        can={
            "edit": may(role, Action.PATIENT_EDIT),
            "book_series": may(role, Action.SERIES_BOOK),
            "book_visit": may(role, Action.VISIT_BOOK) and _endpoint("web_booking.visit"),
            "series_page": _endpoint("web_series.show"),
            "timeline": may(role, Action.MONITORING_READ),
            "rides": may(role, Action.RIDE_MANAGE),
            "feed": may(role, Action.PATIENT_FEED_MANAGE),
        },
    )


@bp.route("/<int:patient_id>/ride-link", methods=["POST"])
@permission_required(Action.RIDE_MANAGE)
def ride_link(patient_id: int):
    patient = load_for(web_actor(), Action.RIDE_MANAGE, Patient, patient_id, "patient")
    form = RideLinkForm()
    if not form.validate():
        flash("Choose how to send the ride link.", "error")
        return redirect(url_for(".show", patient_id=patient_id))
    try:
        reminder = send_ride_link(patient, form.channel.data, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(f"The ride link was not sent: {error.detail}.", "error")
        return redirect(url_for(".show", patient_id=patient_id))
    flash(f"The ride link goes out by {CHANNEL_LABELS[reminder.channel].lower()} shortly.", "success")
    return redirect(url_for(".show", patient_id=patient_id))
