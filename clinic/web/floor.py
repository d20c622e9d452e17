"""The floor board: a location's chairs with the visit in each now, refreshing itself."""

from flask import Blueprint, render_template, request

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.location import Location
from clinic.services.errors import NotFound
from clinic.services.floor import floor_board
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.web.access import permission_required, web_actor

bp = Blueprint("web_floor", __name__, url_prefix="/floor")


def _board():
    locations = list_locations()
    if not locations:
        raise NotFound("No location has been set up yet.")
    location_id = request.args.get("location_id", type=int) or locations[0].id
    location = get_or_404(Location, location_id, "location")
    return locations, floor_board(location, web_actor(), utcnow())


@bp.route("/")
@permission_required(Action.FLOOR_READ)
def index():
    locations, board = _board()
    return render_template("floor/index.html", board=board, locations=locations)


@bp.route("/board")
@permission_required(Action.FLOOR_READ)
def board():
    _, board = _board()
    return render_template("floor/_board.html", board=board)
