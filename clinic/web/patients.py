"""Patients: search, and a patient's page with visits and calendar feed."""

from datetime import timedelta

from flask import Blueprint, render_template, request

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.appointments import list_appointments
from clinic.services.feeds import active_feed
from clinic.services.patients import read_patient, search_patients
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import ActionForm, PatientSearchForm

bp = Blueprint("web_patients", __name__, url_prefix="/patients")


@bp.route("/")
@permission_required(Action.PATIENT_READ)
def index():
    form = PatientSearchForm(formdata=request.args)
    patients = []
    if form.validate():
        patients = search_patients(form.q.data, web_actor(), utcnow())
    return render_template("patients/index.html", form=form, patients=patients)


@bp.route("/<int:patient_id>")
@permission_required(Action.PATIENT_READ)
def show(patient_id: int):
    now = utcnow()
    patient = read_patient(patient_id, web_actor(), now)
    visits = list_appointments(
        {"patient_id": patient_id, "start": now - timedelta(days=30), "limit": 100}, web_actor()
    )
    feed = active_feed("patient", patient_id)
    return render_template(
        "patients/show.html", patient=patient, visits=visits, feed=feed, action_form=ActionForm()
    )
