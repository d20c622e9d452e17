"""Locations and their closure days."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.locations import (
    closure_dump_schema,
    closure_load_schema,
    closures_dump_schema,
    holidays_load_schema,
    location_dump_schema,
    location_load_schema,
    location_update_schema,
    locations_dump_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.location import Location
from clinic.services.locations import (
    add_closure,
    create_location,
    import_public_holidays,
    list_locations,
    remove_closure,
    update_location,
)
from clinic.services.lookup import get_or_404

blp = ApiBlueprint("locations", __name__, url_prefix="/api/v1/locations", description="Clinic locations")


@blp.route("")
class LocationsResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, locations_dump_schema)
    def get(self):
        """List locations"""
        return list_locations()

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(location_load_schema)
    @blp.response(201, location_dump_schema)
    def post(self, data):
        """Create a location"""
        location = create_location(data, api_actor(), utcnow())
        return location


@blp.route("/<int:location_id>")
class LocationResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, location_dump_schema)
    @blp.problem(404, "Unknown location")
    def get(self, location_id):
        """Show a location"""
        return get_or_404(Location, location_id, "location")

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(location_update_schema)
    @blp.response(200, location_dump_schema)
    @blp.problem(404, "Unknown location")
    def patch(self, changes, location_id):
        """Change a location"""
        location = get_or_404(Location, location_id, "location")
        update_location(location, changes, api_actor(), utcnow())
        return location


@blp.route("/<int:location_id>/closures")
class ClosuresResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, closures_dump_schema)
    @blp.problem(404, "Unknown location")
    def get(self, location_id):
        """List a location's closure days"""
        return get_or_404(Location, location_id, "location").closures

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(closure_load_schema)
    @blp.response(201, closure_dump_schema)
    @blp.problem(404, "Unknown location")
    def post(self, data, location_id):
        """Close a location for a day"""
        location = get_or_404(Location, location_id, "location")
        closure = add_closure(location, data["date"], data["reason"], api_actor(), utcnow())
        return closure


@blp.route("/<int:location_id>/holidays")
class HolidaysResource(MethodView):
    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(holidays_load_schema)
    @blp.response(201, closures_dump_schema)
    @blp.problem(404, "Unknown location")
    def post(self, data, location_id):
        """Close a location on a country's public holidays

        Each holiday of the years that is not a closure day yet becomes one, with the holiday's name as its
        reason; the answer lists the closures created (none when every holiday was already closed).
        """
        location = get_or_404(Location, location_id, "location")
        return import_public_holidays(
            location, data["country"], data.get("subdivision"), data["years"], api_actor(), utcnow()
        )


@blp.route("/<int:location_id>/closures/<int:closure_id>")
class ClosureResource(MethodView):
    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.response(204)
    @blp.problem(404, "Unknown location or closure")
    def delete(self, location_id, closure_id):
        """Reopen a closure day"""
        location = get_or_404(Location, location_id, "location")
        remove_closure(location, closure_id, api_actor(), utcnow())
