"""Today: a location's day on a grid of 15-minute rows, a column per chair and per provider's other visits,
filtered by provider, by kind of visit, or to the signed-in provider's own visits."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.plausible import CALENDAR_DATES
from clinic.domain.policy import Action, Role
from clinic.domain.visits import KIND_LABELS as KIND_LABELS  # the pages' names of the kinds
from clinic.models.appointment import APPOINTMENT_KINDS
from clinic.models.location import Location
from clinic.services.calendar_views import Filters, day_grid, provider_choices
from clinic.services.errors import NotFound, ServiceError
from clinic.services.exports import export_day
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.services.schedule import local_today
from clinic.web.access import permission_required, web_actor
from clinic.web.downloads import csv_answer

bp = Blueprint("web_today", __name__, url_prefix="/today")

DATE_MESSAGE = "Enter the day as YYYY-MM-DD, for example 2027-03-08."
PROVIDER_MESSAGE = "Choose a provider from the list."
KIND_MESSAGE = "Choose a kind of visit from the list."


@dataclass
class CalendarQuery:
    """The filters of a Today or Week page as the request gave them, and what is wrong with them."""

    locations: list[Location]
    location: Location
    day: date
    filters: Filters
    is_provider: bool
    providers: list[tuple[int, str]]
    errors: dict[str, str] = field(default_factory=dict)

    def link_args(self, **changes) -> dict:
        """The query of a link that keeps the filters (another day, the week, the other view)."""
        args = {
            "location_id": self.location.id,
            "date": self.day.isoformat(),
            "provider_id": self.filters.provider_id,
            "kind": self.filters.kind,
            "mine": ("1" if self.filters.only_mine else "0") if self.is_provider else None,
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value not in (None, "")}


def read_query() -> CalendarQuery:
    """Parse the location, day, provider, kind and "only my visits" of the request; a day, provider or kind
    that cannot be read is an error named after its field (the page answers 400), never a silent default."""
    locations = list_locations()
    if not locations:
        raise NotFound("No location has been set up yet.")
    location_id = request.args.get("location_id", type=int) or locations[0].id
    location = get_or_404(Location, location_id, "location")
    errors: dict[str, str] = {}
    day = local_today(location, utcnow())
    if raw_day := request.args.get("date", "").strip():
        try:
            asked = date.fromisoformat(raw_day)
        except ValueError:
            errors["date"] = DATE_MESSAGE
        else:
            # A day outside the calendar (a year 0001 typed by mistake) shows today, as it always has.
            day = asked if asked in CALENDAR_DATES else day
    providers = provider_choices()
    provider_id = None
    if raw_provider := request.args.get("provider_id", "").strip():
        provider_id = int(raw_provider) if raw_provider.isdigit() and len(raw_provider) < 12 else None
        if provider_id is None or provider_id not in dict(providers):
            errors["provider_id"], provider_id = PROVIDER_MESSAGE, None
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in APPOINTMENT_KINDS:
        errors["kind"], kind = KIND_MESSAGE, None
    is_provider = current_user.role == Role.PROVIDER
    # A provider opens on their own day; the checkbox sends "1" before its hidden "0", so unticking it shows.
    mine = request.args.getlist("mine")
    only_mine = is_provider and (mine[0] == "1" if mine else True)
    filters = Filters(provider_id, kind, only_mine)
    return CalendarQuery(locations, location, day, filters, is_provider, providers, errors)


@bp.route("/")
@permission_required(Action.VISIT_READ)
def index():
    query = read_query()
    grid = None if query.errors else day_grid(web_actor(), query.location, query.day, query.filters)
    page = render_template(
        "today/index.html",
        query=query,
        grid=grid,
        kinds=KIND_LABELS,
        previous_day=query.day - timedelta(days=1),
        next_day=query.day + timedelta(days=1),
    )
    return page, 400 if query.errors else 200


@bp.route("/export.csv")
@permission_required(Action.VISIT_READ)
def export():
    """The day Today shows, with the same filters and the same names, as a CSV download; a filter that
    cannot be read answers 400 naming it."""
    query = read_query()
    if query.errors:
        detail = " ".join(f"{name}: {message}" for name, message in query.errors.items())
        raise ServiceError(detail, errors={name: [message] for name, message in query.errors.items()})
    return csv_answer(export_day(web_actor(), query.location, query.day, query.filters, utcnow()))
