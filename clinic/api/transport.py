"""Rides home: record them and list the ones at risk (check-in and discharge: clinic.api.session)."""

from datetime import timedelta

from flask.views import MethodView

from clinic.api.context import api_actor, appointment_for
from clinic.api.schemas.transport import (
    AtRiskQuerySchema,
    at_risk_dump_schema,
    transport_dump_schema,
    transport_load_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.transport import rides_at_risk_for, update_transport

blp = ApiBlueprint("transport", __name__, url_prefix="/api/v1", description="Rides home")



@blp.route("/appointments/<int:appointment_id>/transport")
class TransportResource(MethodView):
    @blp.access(Action.RIDE_MANAGE)
    @blp.arguments(transport_load_schema)
    @blp.response(200, transport_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit needs no ride")
    def put(self, data, appointment_id):
        """Record the ride home of a dosing visit"""
        transport = update_transport(appointment_for(appointment_id), data, api_actor(), utcnow())
        return transport


@blp.route("/transport/at-risk")
class AtRiskResource(MethodView):
    @blp.access(Action.RIDE_READ)
    @blp.arguments(AtRiskQuerySchema, location="query")
    @blp.response(200, at_risk_dump_schema)
    def get(self, query):
        """Dosing visits in the next `hours` without a confirmed ride, soonest first"""
        return rides_at_risk_for(
            api_actor(), utcnow(), timedelta(hours=query["hours"]), query.get("location_id")
        )
