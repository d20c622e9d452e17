"""The floor board: every chair of a location with the visit in it now."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.floor import FloorQuerySchema, floor_board_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.location import Location
from clinic.services.floor import floor_board
from clinic.services.lookup import get_or_404

blp = ApiBlueprint(
    "floor", __name__, url_prefix="/api/v1/floor", description="The floor board: each chair's visit now"
)


@blp.route("")
class FloorResource(MethodView):
    @blp.access(Action.FLOOR_READ)
    @blp.arguments(FloorQuerySchema, location="query")
    @blp.response(200, floor_board_schema)
    @blp.problem(404, "Unknown location")
    def get(self, query):
        """Every active chair of the location with its visit now: arriving, checked in, monitoring, ready,
        or discharged in the last 15 minutes (times in the location's local time)"""
        location = get_or_404(Location, query["location_id"], "location")
        return floor_board(location, api_actor(), utcnow())
