"""Rides: the front desk's at-risk call list, and the patient's own page behind the emailed link."""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.domain.transport import CallOutcome
from clinic.extensions import db
from clinic.formatting import format_phone
from clinic.models.appointment import Appointment
from clinic.services.errors import Conflict, ServiceError
from clinic.services.lookup import get_or_404
from clinic.services.ride_links import open_ride_link
from clinic.services.transport import (
    AT_RISK_WINDOW,
    CALL_OUTCOMES,
    confirm_ride_by_patient,
    record_call_outcome,
    rides_at_risk_for,
)
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import TRANSPORT_MODE_CHOICES, ActionForm, PatientRideForm
from clinic.web.phone import to_e164

bp = Blueprint("web_rides", __name__)

OUTCOME_LABELS = {
    CallOutcome.CONFIRMED: "Ride confirmed",
    CallOutcome.NO_ANSWER: "No answer",
    CallOutcome.LEFT_MESSAGE: "Left message",
    CallOutcome.WILL_CALL_BACK: "Will call back",
}


@bp.route("/rides/at-risk")
@permission_required(Action.RIDE_MANAGE)  # the call list: a page for the people who arrange rides
def at_risk():
    hours = request.args.get("hours", type=int) or int(AT_RISK_WINDOW.total_seconds() // 3600)
    visits = rides_at_risk_for(web_actor(), utcnow(), timedelta(hours=min(max(hours, 1), 168)))
    return render_template(
        "rides/at_risk.html", visits=visits, hours=hours, outcomes=OUTCOME_LABELS, action_form=ActionForm()
    )


@bp.route("/rides/<int:appointment_id>/call", methods=["POST"])
@permission_required(Action.RIDE_MANAGE)
def call_outcome(appointment_id: int):
    appointment = get_or_404(Appointment, appointment_id, "appointment")
    outcome = request.form.get("outcome", "")
    if ActionForm().validate() and outcome in CALL_OUTCOMES:
        try:
            record_call_outcome(appointment, outcome, web_actor(), utcnow())
            flash(f"{appointment.patient.full_name}: {OUTCOME_LABELS[outcome].lower()}.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(f"{appointment.patient.full_name}: {error.detail}", "error")
    return redirect(url_for(".at_risk"))


@bp.route("/ride/<token>", methods=["GET", "POST"])
def patient_ride(token: str):
    """No sign-in: the signed link is the patient's key to this one visit's ride. It confirms once; after
    that it shows what was given, and a change goes through a phone call to the clinic."""
    now = utcnow()
    link = open_ride_link(token, now)
    appointment = link.appointment
    if link.spent:
        return _ride_on_file(appointment, 409 if request.method == "POST" else 200)
    transport = appointment.transport
    form = PatientRideForm(
        mode=transport.mode or "driver",
        contact_name=transport.contact_name,
        contact_phone=transport.contact_phone,
    )
    allowed = set(appointment.location.allowed_transport_modes)
    form.mode.choices = [choice for choice in form.mode.choices if choice.value in allowed]
    if form.validate_on_submit():
        phone = to_e164(form.contact_phone.data)
        if phone is None:
            form.contact_phone.errors = ["Enter a phone number we can call, e.g. +1 617 555 0100"]
        else:
            data = {"mode": form.mode.data, "contact_name": form.contact_name.data, "contact_phone": phone}
            try:
                confirm_ride_by_patient(
                    appointment, data, request.remote_addr or "", now, link_issued_at=link.issued_at
                )
                return _ride_on_file(appointment, 200, just_confirmed=True)
            except Conflict:
                db.session.rollback()
                return _ride_on_file(appointment, 409)
            except ServiceError as error:
                db.session.rollback()
                flash(error.detail, "error")
    return render_template(
        "rides/patient.html",
        appointment=appointment,
        form=form,
        clinic_phone=format_phone(appointment.location.phone, appointment.location),
    )


def _ride_on_file(appointment: Appointment, status: int, just_confirmed: bool = False):
    return render_template(
        "rides/patient_done.html",
        appointment=appointment,
        just_confirmed=just_confirmed,
        mode_labels={choice.value: choice.label for choice in TRANSPORT_MODE_CHOICES},
        clinic_phone=format_phone(appointment.location.phone, appointment.location),
    ), status
