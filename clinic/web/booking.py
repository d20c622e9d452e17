"""Booking: a whole series (choose patient, protocol, place and time; preview every visit; confirm) and a
single visit of any kind (a consultation, a follow-up, an integration session or a booster dose)."""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from clinic.clock import utcnow
from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action
from clinic.domain.visits import Modality
from clinic.extensions import db
from clinic.formatting import format_datetime
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.routing import MAX_ID
from clinic.services.access import load_for
from clinic.services.appointments import book_appointment
from clinic.services.chairs import list_chairs
from clinic.services.errors import NotFound, ServiceError
from clinic.services.locations import list_locations
from clinic.services.patients import search_patients
from clinic.services.protocols import list_protocols
from clinic.services.providers import list_providers
from clinic.services.series import create_series, preview_series
from clinic.services.slots import suggest_visit_starts
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import SeriesForm
from clinic.web.visit_forms import VisitForm

bp = Blueprint("web_booking", __name__, url_prefix="/book")


def _series_form() -> SeriesForm:
    form = SeriesForm(protocol=request.args.get("protocol")) if request.method == "GET" else SeriesForm()
    form.protocol.choices = [SelectChoice(p.code, p.name) for p in list_protocols()]
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in list_locations()]
    form.provider_id.choices = [
        SelectChoice(p.id, f"{p.name} ({p.role})") for p in list_providers() if p.active
    ]
    return form


def _chosen_patient(form: SeriesForm | VisitForm) -> Patient | None:
    """The patient the form is for, if the user may book for them (a provider: only patients they treat)."""
    patient_id = form.patient_id.data or request.args.get("patient_id", type=int)
    if not patient_id or not 1 <= patient_id <= MAX_ID:
        return None
    try:
        return load_for(web_actor(), Action.SERIES_BOOK, Patient, patient_id, "patient")
    except NotFound:
        return None


@bp.route("/", methods=["GET", "POST"])
@permission_required(Action.SERIES_BOOK)
def index():
    form = _series_form()
    if form.validate_on_submit():
        try:
            series = create_series(form.series_data(), web_actor(), utcnow())
        except ServiceError as error:
            db.session.rollback()
            flash(f"Nothing was booked: {error.detail}", "error")
            # a field of the form the use case refused shows its message where it is typed
            for name, messages in (error.errors or {}).items():
                if name in form:
                    form[name].errors = list(messages)
            return _render(form, _preview_or_error(form), status=409 if error.status == 409 else 422)
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
        return preview_series(form.series_data(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        return error


@bp.route("/preview", methods=["POST"])
@permission_required(Action.SERIES_BOOK)
def preview():
    form = _series_form()
    if not form.validate():
        return render_template("booking/_preview.html", form=form, preview=None), 200
    return render_template("booking/_preview.html", form=form, preview=_preview_or_error(form))


@bp.route("/patients")
@permission_required(Action.PATIENT_READ)
def patient_choices():
    query = request.args.get("patient_query", "").strip()
    patients = search_patients(query, web_actor(), utcnow(), limit=10) if len(query) >= 2 else []
    return render_template("booking/_patients.html", patients=patients, query=query)


def _visit_form() -> VisitForm:
    if request.method == "GET":
        form = VisitForm(formdata=None, kind=request.args.get("kind", "consult"))
    else:
        form = VisitForm()
    locations = list_locations()
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in locations]
    form.provider_id.choices = [
        SelectChoice(p.id, f"{p.name} ({p.role})") for p in list_providers() if p.active
    ]
    form.protocol.choices = [SelectChoice("", "From the chair's kind")] + [
        SelectChoice(p.code, p.name) for p in list_protocols()
    ]
    names = {loc.id: loc.name for loc in locations}
    form.chair_id.choices = [SelectChoice("", "Any free one")] + [
        SelectChoice(str(c.id), f"{c.name} · {names.get(c.location_id, '')}")
        for c in list_chairs()
        if c.active
    ]
    return form


def _visit_data(form: VisitForm) -> dict:
    location = db.session.get(Location, form.location_id.data)
    data = {
        "patient_id": form.patient_id.data,
        "kind": form.kind.data,
        "location_id": form.location_id.data,
        "provider_id": form.provider_id.data,
        "start": utc_at(form.start_date.data, form.start_time.data, location.zone),  # type: ignore[union-attr]
        "rems_override_reason": form.rems_override_reason.data or None,
        "modality": form.modality.data or Modality.IN_PERSON.value,
        "join_url": (form.join_url.data or "").strip() or None,
    }
    if form.kind.data == "dose":
        data["protocol"] = form.protocol.data or None
        data["chair_id"] = int(form.chair_id.data) if form.chair_id.data else None
    elif form.duration_minutes.data:
        data["duration_minutes"] = form.duration_minutes.data
    return data


def _take_suggested_start(form: VisitForm) -> bool:
    """A suggested time picked on a refused booking ("2027-03-08T10:15", local) replaces the typed one;
    False (with the error on the time field) when it is not a time."""
    picked = request.form.get("suggested_start")
    if picked:
        try:
            start = datetime.strptime(picked, "%Y-%m-%dT%H:%M")
        except ValueError:
            form.start_time.errors = ["Pick one of the suggested times"]
            return False
        form.start_date.data, form.start_time.data = start.date(), start.time()
    return True


def _suggestions(data: dict, error: ServiceError) -> list[datetime]:
    """Where the refused visit could go instead: only for a refusal by the rules (409), not for bad input."""
    if error.status != 409:
        return []
    try:
        return suggest_visit_starts(data, web_actor(), utcnow())
    except ServiceError:
        return []


@bp.route("/visit", methods=["GET", "POST"])
@permission_required(Action.VISIT_BOOK)
def visit():
    form = _visit_form()
    conflict, suggestions = None, []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate() and _take_suggested_start(form):
            data = _visit_data(form)
            try:
                booked = book_appointment(data, web_actor(), utcnow())
            except ServiceError as error:
                db.session.rollback()
                for name, messages in (error.errors or {}).items():
                    if name in form:
                        form[name].errors = list(messages)
                conflict, status = error, error.status
                suggestions = _suggestions(data, error)
            else:
                flash(
                    f"Booked: {form.kind.data.replace('_', ' ')} for {booked.patient.full_name} on "
                    f"{format_datetime(booked.start_at, booked.location)}.",
                    "success",
                )
                return redirect(url_for("web_appointments.show", appointment_id=booked.id))
    return render_template(
        "booking/visit.html",
        form=form,
        conflict=conflict,
        suggestions=suggestions,
        suggestions_at=db.session.get(Location, form.location_id.data) if suggestions else None,
        patient=_chosen_patient(form),
    ), status
