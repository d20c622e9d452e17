"""A series' page: its visits and rides, and what the front desk does to the whole plan: give it a default
ride, cancel the rest of it, or re-plan the doses not yet given after a missed one."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action, may
from clinic.extensions import db
from clinic.formatting import format_datetime
from clinic.models.series import Series
from clinic.services.access import load_for
from clinic.services.errors import ServiceError
from clinic.services.series import cancel_series, replan_series, series_with_visits
from clinic.services.transport import set_series_ride
from clinic.web.access import permission_required, web_actor
from clinic.web.phone import to_e164
from clinic.web.visit_forms import ReplanForm, SeriesCancelForm, SeriesRideForm

bp = Blueprint("web_series", __name__, url_prefix="/series")


def _load(series_id: int, action: Action = Action.SERIES_READ) -> Series:
    return load_for(web_actor(), action, Series, series_id, "series")


def _page(series: Series, status: int = 200, **forms):
    ride = series.default_ride or {}
    forms.setdefault(
        "ride_form",
        SeriesRideForm(
            formdata=None,
            mode=ride.get("mode", ""),
            contact_name=ride.get("contact_name"),
            contact_phone=ride.get("contact_phone"),
        ),
    )
    forms.setdefault("cancel_form", SeriesCancelForm(formdata=None))
    forms.setdefault("replan_form", ReplanForm(formdata=None))
    role = current_user.role
    return render_template(
        "series/show.html",
        series=series_with_visits(series),
        spec=series.spec(),
        now=utcnow(),
        can_change=may(role, Action.SERIES_CHANGE),
        can_ride=may(role, Action.RIDE_MANAGE),
        **forms,
    ), status


@bp.route("/<int:series_id>")
@permission_required(Action.SERIES_READ)
def show(series_id: int):
    return _page(_load(series_id))


def _refused(series_id: int, error: ServiceError, what: str, **forms):
    db.session.rollback()
    rules = [r["message"] for c in error.conflicts or [] for r in c.get("rules", [c])]
    flash(f"{what}: {error.detail}. " + " ".join(rules[:5]), "error")
    return _page(_load(series_id), error.status, **forms)


@bp.route("/<int:series_id>/ride", methods=["POST"])
@permission_required(Action.RIDE_MANAGE)
def ride(series_id: int):
    series = _load(series_id, Action.RIDE_MANAGE)
    form = SeriesRideForm()
    if not form.validate():
        return _page(series, 422, ride_form=form)
    phone = to_e164(form.contact_phone.data)
    if form.contact_phone.data and phone is None:
        form.contact_phone.errors = ["Not a valid phone number, e.g. (617) 555-0100 or +16175550100"]
        return _page(series, 422, ride_form=form)
    chosen = (
        {"mode": form.mode.data, "contact_name": form.contact_name.data or None, "contact_phone": phone}
        if form.mode.data
        else None
    )
    try:
        filled = set_series_ride(series, chosen, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        for name, messages in (error.errors or {}).items():
            field = name.removeprefix("default_ride.")
            if field in form:
                form[field].errors = list(messages)
        return _page(_load(series_id), error.status, ride_form=form)
    flash(
        f"Default ride saved; {len(filled)} visit(s) without a ride now have it."
        if chosen
        else "Default ride removed; rides already given to visits stay.",
        "success",
    )
    return redirect(url_for(".show", series_id=series_id))


@bp.route("/<int:series_id>/cancel", methods=["POST"])
@permission_required(Action.SERIES_CHANGE)
def cancel(series_id: int):
    series = _load(series_id, Action.SERIES_CHANGE)
    form = SeriesCancelForm()
    if not form.validate():
        return _page(series, 422, cancel_form=form)
    try:
        cancelled = cancel_series(series, form.reason.data.strip(), web_actor(), utcnow())
    except ServiceError as error:
        return _refused(series_id, error, "Not cancelled", cancel_form=form)
    flash(f"Series cancelled: {len(cancelled)} visit(s) that had not started are cancelled.", "success")
    return redirect(url_for(".show", series_id=series_id))


@bp.route("/<int:series_id>/replan", methods=["POST"])
@permission_required(Action.SERIES_CHANGE)
def replan(series_id: int):
    series = _load(series_id, Action.SERIES_CHANGE)
    form = ReplanForm()
    if not form.validate():
        return _page(series, 422, replan_form=form)
    changes = {"start_date": form.start_date.data, "start_time": form.start_time.data}
    try:
        created = replan_series(series, changes, web_actor(), utcnow())
    except ServiceError as error:
        for name, messages in (error.errors or {}).items():
            if name in form:
                form[name].errors = list(messages)
        return _refused(series_id, error, "Not re-planned", replan_form=form)
    first = min(created, key=lambda a: a.start_at) if created else None
    flash(
        f"Re-planned: {len(created)} visit(s) booked"
        + (f", the first on {format_datetime(first.start_at, first.location)}." if first else "."),
        "success",
    )
    return redirect(url_for(".show", series_id=series_id))
