"""Patient search for front desk and providers."""

from flask import Blueprint, render_template, request

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.services.patients import search_patients
from clinic.web.access import roles_required, web_actor
from clinic.web.forms import PatientSearchForm

bp = Blueprint("web_patients", __name__, url_prefix="/patients")


@bp.route("/")
@roles_required("frontdesk", "provider")
def index():
    form = PatientSearchForm(formdata=request.args)
    patients = []
    if form.validate():
        patients = search_patients(form.q.data, web_actor(), utcnow())
        db.session.commit()
    return render_template("patients/index.html", form=form, patients=patients)
