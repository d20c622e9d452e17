"""Book a series: choose patient, protocol, place and time; preview every visit; confirm."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.models.patient import Patient
from clinic.services.errors import ServiceError
from clinic.services.locations import list_locations
from clinic.services.patients import search_patients
from clinic.services.protocols import list_protocols
from clinic.services.providers import list_providers
from clinic.services.series import create_series, preview_series
from clinic.web.access import roles_required, web_actor
from clinic.web.forms import SeriesForm

bp = Blueprint("web_booking", __name__, url_prefix="/book")


def _series_form() -> SeriesForm:
    form = SeriesForm(protocol=request.args.get("protocol")) if request.method == "GET" else SeriesForm()
    form.protocol.choices = [SelectChoice(p.code, p.name) for p in list_protocols()]
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in list_locations()]
    form.provider_id.choices = [
        SelectChoice(p.id, f"{p.name} ({p.role})") for p in list_providers() if p.active
    ]
    return form


def _chosen_patient(form: SeriesForm) -> Patient | None:
    patient_id = form.patient_id.data or request.args.get("patient_id", type=int)
    return db.session.get(Patient, patient_id) if patient_id else None


@bp.route("/", methods=["GET", "POST"])
@roles_required("frontdesk", "provider")
def index():
    form = _series_form()
    if form.validate_on_submit():
        try:
            series = create_series(form.series_data(), web_actor(), utcnow())
        except ServiceError as error:
            db.session.rollback()
            flash(f"Nothing was booked: {error.detail}", "error")
            return _render(form, _preview_or_error(form), status=409 if error.status == 409 else 422)
        db.session.commit()
        first = series.appointments[0]
        flash(f"Booked {len(series.appointments)} visits for {series.patient.full_name}.", "success")
        return redirect(
            url_for("web_today.index", location_id=series.location_id, date=first.local_start.date())
        )
    return _render(form, None, status=400 if form.errors else 200)


def _render(form: SeriesForm, preview, status: int):
    return render_template(
        "booking/index.html", form=form, preview=preview, patient=_chosen_patient(form)
    ), status


def _preview_or_error(form: SeriesForm):
    try:
        return preview_series(form.series_data(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        return error


@bp.route("/preview", methods=["POST"])
@roles_required("frontdesk", "provider")
def preview():
    form = _series_form()
    if not form.validate():
        return render_template("booking/_preview.html", form=form, preview=None), 200
    return render_template("booking/_preview.html", form=form, preview=_preview_or_error(form))


@bp.route("/patients")
@roles_required("frontdesk", "provider")
def patient_choices():
    query = request.args.get("patient_query", "").strip()
    patients = search_patients(query, web_actor(), utcnow(), limit=10) if len(query) >= 2 else []
    db.session.commit()
    return render_template("booking/_patients.html", patients=patients, query=query)
