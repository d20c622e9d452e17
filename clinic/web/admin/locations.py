"""The admin's location pages: the list, a location's details and weekly hours, its closure days and the
public holidays imported as closures."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from clinic.clock import utcnow
from clinic.domain.localtime import local_date_of
from clinic.domain.opening_hours import week_summary
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.formatting import format_day
from clinic.models.location import Location
from clinic.services.errors import ServiceError
from clinic.services.locations import (
    add_closure,
    create_location,
    import_public_holidays,
    list_locations,
    remove_closure,
    update_location,
)
from clinic.services.lookup import get_or_404
from clinic.web.access import permission_required, web_actor
from clinic.web.admin.location_forms import ClosureForm, HolidaysForm, LocationForm
from clinic.web.forms import TRANSPORT_MODE_CHOICES, ActionForm

bp = Blueprint("web_admin_locations", __name__, url_prefix="/admin/locations")

# What a new location's form starts with: open on weekdays, every way home accepted.
NEW_LOCATION = {
    **{f"hours_{day}": "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")},
    "allowed_transport_modes": [choice.value for choice in TRANSPORT_MODE_CHOICES],
    "timezone": "America/New_York",
    "locale": "en_US",
}


def refused(form, error: ServiceError, conflict_field: str | None = None) -> int:
    """Put a refusal of the use case next to the fields it names (a conflict next to `conflict_field`), or
    above the form; the status to answer. Nothing of the refused request is kept."""
    db.session.rollback()
    placed = False
    errors = dict(error.errors or {})
    if error.status == 409 and conflict_field is not None:
        errors[conflict_field] = [error.detail]
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        flash(error.detail, "error")
    return error.status if error.status in (404, 409, 422) else 422


@bp.route("/")
@permission_required(Action.CLINIC_CONFIGURE)
def index():
    now = utcnow()
    rows = []
    for location in list_locations():
        today = local_date_of(now, location.timezone)
        upcoming = [closure for closure in location.closures if closure.date >= today]
        rows.append({"location": location, "next_closure": upcoming[0] if upcoming else None})
    return render_template("admin/locations/index.html", rows=rows, week_summary=week_summary)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def new():
    form = LocationForm() if request.method == "POST" else LocationForm(formdata=None, **NEW_LOCATION)
    status = 200
    if form.validate_on_submit():
        try:
            location = create_location(form.location_data(), web_actor(), utcnow())
        except ServiceError as error:
            status = refused(form, error)
        else:
            flash(f"Location {location.name} created. Add its closure days below.", "success")
            return redirect(url_for(".edit", location_id=location.id))
    elif form.errors:
        status = 400
    return render_template("admin/locations/form.html", form=form, location=None), status


@bp.route("/<int:location_id>", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def edit(location_id: int):
    location = get_or_404(Location, location_id, "location")
    if request.method == "POST":
        form = LocationForm(current_locale=location.locale)
    else:
        form = LocationForm.for_location(location)
    status = 200
    if form.validate_on_submit():
        try:
            update_location(location, form.location_data(), web_actor(), utcnow())
        except ServiceError as error:
            status = refused(form, error)
        else:
            flash(f"Location {location.name} saved.", "success")
            return redirect(url_for(".edit", location_id=location.id))
    elif form.errors:
        status = 400
    return _edit_page(location, form=form, status=status)


@bp.route("/<int:location_id>/closures", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def add_closure_day(location_id: int):
    location = get_or_404(Location, location_id, "location")
    form = ClosureForm()
    if not form.validate():
        return _edit_page(location, closure_form=form, status=400)
    try:
        add_closure(location, form.date.data, (form.reason.data or "").strip(), web_actor(), utcnow())
    except ServiceError as error:
        return _edit_page(location, closure_form=form, status=refused(form, error))
    flash(f"Closed on {format_day(form.date.data, location)}.", "success")
    return redirect(url_for(".edit", location_id=location.id, _anchor="closures"))


@bp.route("/<int:location_id>/closures/<int:closure_id>/remove", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def remove_closure_day(location_id: int, closure_id: int):
    location = get_or_404(Location, location_id, "location")
    if not ActionForm().validate():
        flash("The form expired; try again.", "error")
        return _edit_page(location, status=400)
    closure = next((c for c in location.closures if c.id == closure_id), None)
    try:
        remove_closure(location, closure_id, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(error.detail, "error")
        return _edit_page(location, status=error.status)
    flash(f"Open again on {format_day(closure.date, location)}.", "success")
    return redirect(url_for(".edit", location_id=location.id, _anchor="closures"))


@bp.route("/<int:location_id>/holidays", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def import_holidays(location_id: int):
    location = get_or_404(Location, location_id, "location")
    form = HolidaysForm()
    if not form.validate():
        return _edit_page(location, holidays_form=form, status=400)
    try:
        created = import_public_holidays(
            location, form.country.data, form.subdivision.data, form.year_list, web_actor(), utcnow()
        )
    except ServiceError as error:
        return _edit_page(location, holidays_form=form, status=refused(form, error))
    years = ", ".join(str(year) for year in form.year_list)
    if created:
        flash(f"{len(created)} public holidays of {years} added as closure days.", "success")
    else:
        flash(f"Every public holiday of {years} was already a closure day.", "info")
    return redirect(url_for(".edit", location_id=location.id, _anchor="closures"))


def _edit_page(location: Location, *, form=None, closure_form=None, holidays_form=None, status: int = 200):
    today = local_date_of(utcnow(), location.timezone)
    closures = [closure for closure in location.closures if closure.date >= today]
    return render_template(
        "admin/locations/edit.html",
        location=location,
        form=form or LocationForm.for_location(location),
        closure_form=closure_form or ClosureForm(formdata=None),
        holidays_form=holidays_form
        or HolidaysForm(
            formdata=None, country=_country_of(location), years=f"{today.year}, {today.year + 1}"
        ),
        action_form=ActionForm(),
        closures=closures,
        past_closures=len(location.closures) - len(closures),
    ), status


def _country_of(location: Location) -> str:
    # The locale's territory is the likeliest country of the location's holidays (en_GB -> GB).
    return location.locale.partition("_")[2] or "US"
