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
from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.services.chairs import create_chair, list_chairs, update_chair
from clinic.services.lookup import get_or_404

blp = ApiBlueprint("chairs", __name__, url_prefix="/api/v1/chairs", description="Chairs and Spravato rooms")
STAFF = ("admin", "frontdesk", "provider")


@blp.route("")
class ChairsResource(MethodView):
    @blp.access(*STAFF)
    @blp.arguments(ChairQuerySchema, location="query")
    @blp.response(200, chairs_dump_schema)
    def get(self, query):
        """List chairs, optionally of one location"""
        return list_chairs(query.get("location_id"))

    @blp.access("admin")
    @blp.arguments(chair_load_schema)
    @blp.response(201, chair_dump_schema)
    def post(self, data):
        """Add a chair or room to a location"""
        chair = create_chair(data, api_actor(), utcnow())
        db.session.commit()
        return chair


@blp.route("/<int:chair_id>")
class ChairResource(MethodView):
    @blp.access(*STAFF)
    @blp.response(200, chair_dump_schema)
    @blp.problem(404, "Unknown chair")
    def get(self, chair_id):
        """Show a chair"""
        return get_or_404(Chair, chair_id, "chair")

    @blp.access("admin")
    @blp.arguments(chair_update_schema)
    @blp.response(200, chair_dump_schema)
    @blp.problem(404, "Unknown chair")
    def patch(self, changes, chair_id):
        """Rename, re-kind or retire a chair"""
        chair = get_or_404(Chair, chair_id, "chair")
        update_chair(chair, changes, api_actor(), utcnow())
        db.session.commit()
        return chair
