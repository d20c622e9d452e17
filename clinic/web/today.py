"""Today: a location's chairs and rooms by hour for one day."""

from datetime import date, timedelta

from flask import Blueprint, render_template, request

from clinic.clock import utcnow
from clinic.domain.plausible import CALENDAR_DATES
from clinic.domain.policy import Action
from clinic.models.location import Location
from clinic.services.access import provider_scope
from clinic.services.errors import NotFound
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.services.schedule import day_schedule, local_today
from clinic.web.access import permission_required, web_actor

bp = Blueprint("web_today", __name__, url_prefix="/today")


@bp.route("/")
@permission_required(Action.VISIT_READ)
def index():
    locations = list_locations()
    if not locations:
        raise NotFound("No location has been set up yet.")
    location_id = request.args.get("location_id", type=int) or locations[0].id
    location = get_or_404(Location, location_id, "location")
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else None
    except ValueError:
        day = None
    if day is None or day not in CALENDAR_DATES:
        day = local_today(location, utcnow())
    schedule = day_schedule(location, day, provider_scope(web_actor()))
    return render_template(
        "today/index.html",
        schedule=schedule,
        locations=locations,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
