"""The provider's home and its lists: what is coming and overdue, the REMS forms to send, a page at a time.
Front-desk staff never see these."""

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.domain.rems_form import RemsFormStatus
from clinic.extensions import db
from clinic.formatting import format_datetime
from clinic.models.series import Series
from clinic.services.access import load_for
from clinic.services.errors import ServiceError
from clinic.services.exports import export_rems_forms
from clinic.services.followups import book_due_follow_up
from clinic.services.monitoring import provider_dashboard
from clinic.services.monitoring_plans import overdue_page
from clinic.services.rems_forms import open_forms_page
from clinic.web.access import permission_required, web_actor
from clinic.web.downloads import csv_answer
from clinic.web.forms import AcknowledgeForm, ActionForm, FollowUpBookingForm

bp = Blueprint("web_provider", __name__)
FOLLOW_UP_DAYS = 14
# The home shows the most urgent rows of each list; the list pages show the rest a page at a time.
HOME_ROWS = 20
LIST_ROWS = 50
PAGE_MESSAGE = "Give a page number from 1."


@bp.route("/provider")
@permission_required(Action.MONITORING_READ)
def home():
    now = utcnow()
    dashboard = provider_dashboard(now, current_user.provider_id, FOLLOW_UP_DAYS, HOME_ROWS)
    return render_template(
        "clinical/home.html",
        followups=dashboard.follow_ups,
        overdue=dashboard.overdue,
        rems_forms=open_forms_page(web_actor(), now, limit=HOME_ROWS),
        alerts=dashboard.alerts,
        action_form=ActionForm(),
        ack_form=AcknowledgeForm(),
    )


def _page_number() -> int:
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ServiceError(f"page: {PAGE_MESSAGE}", errors={"page": [PAGE_MESSAGE]})
    return int(raw)


@dataclass(frozen=True)
class Pages:
    """Where a list page stands: its number, the last page, and the numbers of the rows it shows."""

    number: int
    total: int
    size: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1


@bp.route("/provider/overdue")
@permission_required(Action.MONITORING_READ)
def overdue_list():
    """Every overdue monitoring item of the provider's active series, a page at a time."""
    number = _page_number()
    found = overdue_page(
        utcnow(),
        current_user.provider_id,
        limit=LIST_ROWS,
        offset=(number - 1) * LIST_ROWS,
        with_rems_forms=False,
    )
    return render_template(
        "clinical/overdue.html", overdue=found, pages=Pages(number, found.total, LIST_ROWS)
    )


@bp.route("/provider/rems-forms")
@permission_required(Action.MONITORING_READ)
def rems_forms_list():
    """Every REMS monitoring form still to send, the oldest session first, a page at a time."""
    number = _page_number()
    found = open_forms_page(web_actor(), utcnow(), limit=LIST_ROWS, offset=(number - 1) * LIST_ROWS)
    return render_template(
        "clinical/rems_forms.html", rems_forms=found, pages=Pages(number, found.total, LIST_ROWS)
    )


REMS_STATUS_MESSAGE = "Choose a status from the list: due, overdue or submitted."


@bp.route("/provider/rems-forms.csv")
@permission_required(Action.MONITORING_READ)
def rems_forms_export():
    """The provider's REMS form log (every status, or only `status`) as a CSV download."""
    raw = request.args.get("status", "").strip()
    if raw and raw not in RemsFormStatus.__members__.values():
        raise ServiceError(f"status: {REMS_STATUS_MESSAGE}", errors={"status": [REMS_STATUS_MESSAGE]})
    status = RemsFormStatus(raw) if raw else None
    return csv_answer(export_rems_forms(web_actor(), status, utcnow()))


@bp.route("/provider/series/<int:series_id>/book-follow-up", methods=["POST"])
@permission_required(Action.FOLLOW_UP_BOOK)
def book_follow_up(series_id: int):
    series = load_for(web_actor(), Action.FOLLOW_UP_BOOK, Series, series_id, "series")
    form = FollowUpBookingForm()
    if not form.validate():
        flash("That follow-up could not be read; open the home page again and retry.", "error")
        return redirect(url_for(".home"))
    try:
        visit = book_due_follow_up(series, form.due.data, web_actor(), utcnow())
        flash(
            f"Follow-up booked for {series.patient.full_name}: "
            f"{format_datetime(visit.start_at, visit.location)}.",
            "success",
        )
    except ServiceError as error:
        db.session.rollback()
        flash(error.detail, "error")
    return redirect(url_for(".home"))
