"""The admin's provider pages: the list, adding a provider, and a provider's page with their details, weekly
availability and time off."""

from datetime import time

from flask import Blueprint, flash, redirect, render_template, url_for
from wtforms import SelectChoice

from clinic.clock import utcnow
from clinic.domain.localtime import utc_at
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.formatting import format_time
from clinic.models.location import Location
from clinic.models.provider import Provider
from clinic.services.errors import ServiceError
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.services.providers import (
    add_availability,
    add_time_off,
    booked_counts,
    create_provider,
    list_providers,
    provider_place,
    remove_availability,
    remove_time_off,
    update_provider,
)
from clinic.web.access import permission_required, web_actor
from clinic.web.admin.people_forms import (
    WEEKDAY_NAMES,
    AvailabilityForm,
    ProviderEditForm,
    ProviderForm,
    TimeOffForm,
    show_service_error,
)
from clinic.web.forms import ActionForm

bp = Blueprint("web_admin_providers", __name__, url_prefix="/admin/providers")

# How many of the visits booked inside new time off the confirmation names (the count is always given).
LISTED_VISITS = 5
# A service's field names where the page's forms call them otherwise.
AVAILABILITY_FIELDS = {"start": "start_time", "end": "end_time"}
TIME_OFF_FIELDS = {"start": "time_off_start", "end": "time_off_end"}


def _day_ranges(days: list[int]) -> str:
    """Weekdays as short runs: [0, 1, 2, 4] is "Mon\N{EN DASH}Wed, Fri"."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = []
    for run in runs:
        first, last = WEEKDAY_NAMES[run[0]][:3], WEEKDAY_NAMES[run[-1]][:3]
        names.append(
            first if len(run) == 1 else f"{first}, {last}" if len(run) == 2 else f"{first}\N{EN DASH}{last}"
        )
    return ", ".join(names)


def weekly_summary(provider: Provider) -> list[tuple[str, str]]:
    """The provider's week in a few (when, where) lines, ("Mon\N{EN DASH}Fri 08:00\N{EN DASH}18:00",
    "Riverside"): the windows of one location and the same hours share a line."""
    days: dict[tuple[Location, time, time], list[int]] = {}
    for window in provider.availability:
        days.setdefault((window.location, window.start, window.end), []).append(window.weekday)
    return [
        (
            f"{_day_ranges(weekdays)} {format_time(start, location)}\N{EN DASH}{format_time(end, location)}",
            location.name,
        )
        for (location, start, end), weekdays in days.items()
    ]


def _load(provider_id: int) -> Provider:
    return get_or_404(Provider, provider_id, "provider")


def _home_location_id(provider: Provider, locations: list[Location]) -> int | None:
    """The location preselected for a new window and for time off: that of the provider's first window."""
    if provider.availability:
        return provider.availability[0].location_id
    return locations[0].id if locations else None


def _availability_form(provider: Provider, locations: list[Location], submitted: bool = False):
    form = AvailabilityForm() if submitted else AvailabilityForm(formdata=None)
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in locations]
    if not submitted:
        form.location_id.data = _home_location_id(provider, locations)
    return form


def _time_off_form(provider: Provider, locations: list[Location], submitted: bool = False):
    form = TimeOffForm() if submitted else TimeOffForm(formdata=None)
    form.time_off_location_id.choices = [
        SelectChoice(loc.id, f"{loc.name} ({loc.timezone})") for loc in locations
    ]
    if not submitted:
        form.time_off_location_id.data = _home_location_id(provider, locations)
    return form


def _page(provider: Provider, status: int = 200, **forms):
    locations = list_locations()
    forms.setdefault("form", ProviderEditForm(formdata=None, obj=provider))
    forms.setdefault("availability_form", _availability_form(provider, locations))
    forms.setdefault("time_off_form", _time_off_form(provider, locations))
    now = utcnow()
    return render_template(
        "admin/providers/edit.html",
        provider=provider,
        locations=locations,
        weekday_names=WEEKDAY_NAMES,
        place=provider_place(provider),
        time_off=[entry for entry in provider.time_off if entry.end > now],
        past_time_off=sum(1 for entry in provider.time_off if entry.end <= now),
        booked=booked_counts(provider),
        action_form=ActionForm(formdata=None),
        **forms,
    ), status


@bp.route("/")
@permission_required(Action.CLINIC_CONFIGURE)
def index():
    providers = list_providers()
    return render_template(
        "admin/providers/index.html",
        providers=providers,
        summaries={provider.id: weekly_summary(provider) for provider in providers},
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def new():
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = create_provider(form.provider_data(), web_actor(), utcnow())
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
            return render_template("admin/providers/new.html", form=form), error.status
        flash(f"Added {provider.name}. Now give their weekly availability.", "success")
        return redirect(url_for(".edit", provider_id=provider.id))
    return render_template("admin/providers/new.html", form=form), 400 if form.errors else 200


@bp.route("/<int:provider_id>", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def edit(provider_id: int):
    provider = _load(provider_id)
    form = ProviderEditForm()
    if not form.is_submitted():
        return _page(provider)
    if not form.validate():
        return _page(provider, 400, form=form)
    try:
        update_provider(provider, form.provider_data(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error)
        return _page(_load(provider_id), error.status, form=form)
    flash("Saved.", "success")
    return redirect(url_for(".edit", provider_id=provider_id))


@bp.route("/<int:provider_id>/availability", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def add_window(provider_id: int):
    provider = _load(provider_id)
    form = _availability_form(provider, list_locations(), submitted=True)
    if not form.validate():
        return _page(provider, 400, availability_form=form)
    try:
        row = add_availability(provider, form.window(), web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error, AVAILABILITY_FIELDS)
        return _page(_load(provider_id), error.status, availability_form=form)
    flash(
        f"Added {WEEKDAY_NAMES[row.weekday]} {format_time(row.start, row.location)} to "
        f"{format_time(row.end, row.location)} at {row.location.name}.",
        "success",
    )
    return redirect(url_for(".edit", provider_id=provider_id, _anchor="availability"))


@bp.route("/<int:provider_id>/availability/<int:availability_id>/remove", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def remove_window(provider_id: int, availability_id: int):
    provider = _load(provider_id)
    if not ActionForm().validate():
        return _page(provider, 400)
    remove_availability(provider, availability_id, web_actor(), utcnow())
    flash("Removed the weekly window. Visits already booked in it stay booked.", "success")
    return redirect(url_for(".edit", provider_id=provider_id, _anchor="availability"))


@bp.route("/<int:provider_id>/time-off", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def add_time_off_page(provider_id: int):
    provider = _load(provider_id)
    form = _time_off_form(provider, list_locations(), submitted=True)
    if not form.validate():
        return _page(provider, 400, time_off_form=form)
    zone = get_or_404(Location, form.time_off_location_id.data, "location").zone
    start, end = (
        utc_at(local.date(), local.time(), zone)
        for local in (form.time_off_start.data, form.time_off_end.data)
    )
    try:
        added = add_time_off(provider, start, end, form.reason.data or "", web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error, TIME_OFF_FIELDS)
        return _page(_load(provider_id), error.status, time_off_form=form)
    flash("Time off added: nothing more can be booked with the provider in it.", "success")
    if added.booked:
        listed = "; ".join(visit.describe() for visit in added.booked[:LISTED_VISITS])
        more = len(added.booked) - LISTED_VISITS
        count = len(added.booked)
        flash(
            f"{count} booked {'visit falls' if count == 1 else 'visits fall'} inside it and "
            f"{'stays' if count == 1 else 'stay'} booked until the front desk moves "
            f"{'it' if count == 1 else 'them'}: {listed}{f'; and {more} more' if more > 0 else ''}.",
            "warning",
        )
    return redirect(url_for(".edit", provider_id=provider_id, _anchor="time-off"))


@bp.route("/<int:provider_id>/time-off/<int:time_off_id>/remove", methods=["POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def remove_time_off_page(provider_id: int, time_off_id: int):
    provider = _load(provider_id)
    if not ActionForm().validate():
        return _page(provider, 400)
    remove_time_off(provider, time_off_id, web_actor(), utcnow())
    flash("Time off removed: the time can be booked again.", "success")
    return redirect(url_for(".edit", provider_id=provider_id, _anchor="time-off"))
