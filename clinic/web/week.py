"""Week: a location's visits from Monday to Sunday, a row per chair or per provider, with the same filters
as Today."""

from datetime import timedelta

from flask import Blueprint, render_template, request

from clinic.domain.policy import Action
from clinic.services.calendar_views import week_view
from clinic.web.access import permission_required, web_actor
from clinic.web.today import KIND_LABELS, read_query

bp = Blueprint("web_week", __name__, url_prefix="/week")

VIEWS = {"chair": "By chair", "provider": "By provider"}
VIEW_MESSAGE = "Show the week by chair or by provider."


@bp.route("/")
@permission_required(Action.VISIT_READ)
def index():
    query = read_query()
    by = request.args.get("by", "").strip() or "chair"
    if by not in VIEWS:
        query.errors["by"], by = VIEW_MESSAGE, "chair"
    view = None if query.errors else week_view(web_actor(), query.location, query.day, by, query.filters)
    monday = query.day - timedelta(days=query.day.weekday())
    page = render_template(
        "week/index.html",
        query=query,
        view=view,
        by=by,
        views=VIEWS,
        kinds=KIND_LABELS,
        monday=monday,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
    )
    return page, 400 if query.errors else 200
