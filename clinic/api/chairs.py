"""Chairs and Spravato rooms."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.chairs import (
    ChairQuerySchema,
    chair_dump_schema,
    chair_load_schema,
    chair_update_schema,
    chairs_dump_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.chair import Chair
from clinic.services.chairs import create_chair, list_chairs, update_chair
from clinic.services.lookup import get_or_404

blp = ApiBlueprint("chairs", __name__, url_prefix="/api/v1/chairs", description="Chairs and Spravato rooms")


@blp.route("")
class ChairsResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.arguments(ChairQuerySchema, location="query")
    @blp.response(200, chairs_dump_schema)
    def get(self, query):
        """List chairs, optionally of one location"""
        return list_chairs(query.get("location_id"))

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(chair_load_schema)
    @blp.response(201, chair_dump_schema)
    def post(self, data):
        """Add a chair or room to a location"""
        chair = create_chair(data, api_actor(), utcnow())
        return chair


@blp.route("/<int:chair_id>")
class ChairResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, chair_dump_schema)
    @blp.problem(404, "Unknown chair")
    def get(self, chair_id):
        """Show a chair"""
        return get_or_404(Chair, chair_id, "chair")

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(chair_update_schema)
    @blp.response(200, chair_dump_schema)
    @blp.problem(404, "Unknown chair")
    @blp.problem(409, "Visits still hold the chair: it cannot be deactivated or moved")
    def patch(self, changes, chair_id):
        """Rename, re-kind, move or retire a chair"""
        chair = get_or_404(Chair, chair_id, "chair")
        update_chair(chair, changes, api_actor(), utcnow())
        return chair
