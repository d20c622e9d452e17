"""Treatment protocols: the built-in ones and the clinic's own copies of them."""

from flask.views import MethodView
from sqlalchemy import select

from clinic.api.context import api_actor
from clinic.api.schemas.protocols import (
    protocol_change_schema,
    protocol_create_schema,
    protocol_detail_schema,
)
from clinic.api.schemas.scheduling import protocols_dump_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.protocol import Protocol
from clinic.services.errors import NotFound
from clinic.services.protocols import create_protocol, list_protocols, update_protocol

blp = ApiBlueprint("protocols", __name__, url_prefix="/api/v1/protocols", description="Treatment protocols")


def _by_code(code: str) -> Protocol:
    protocol = db.session.scalar(select(Protocol).where(Protocol.code == code))
    if protocol is None:
        raise NotFound(f"No protocol with code {code!r}")
    return protocol


@blp.route("")
class ProtocolsResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, protocols_dump_schema)
    def get(self):
        """List the protocols a series can follow"""
        return list_protocols()

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(protocol_create_schema)
    @blp.response(201, protocol_detail_schema)
    @blp.problem(422, "A code already used, an unknown protocol to copy, or a definition the rules refuse")
    def post(self, data):
        """Add a clinic protocol: a copy of `based_on` with `definition` changed, validated as a whole"""
        return create_protocol(
            data["code"], data["name"], data.get("based_on"), data["definition"], api_actor(), utcnow()
        )


@blp.route("/<string:code>")
class ProtocolResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, protocol_detail_schema)
    @blp.problem(404, "Unknown protocol")
    def get(self, code):
        """One protocol with its whole definition"""
        return _by_code(code)

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(protocol_change_schema)
    @blp.response(200, protocol_detail_schema)
    @blp.problem(404, "Unknown protocol")
    @blp.problem(409, "A built-in protocol: copy it instead")
    @blp.problem(422, "A definition the rules refuse")
    def patch(self, changes, code):
        """Change a clinic protocol; series already booked keep the protocol they were booked with"""
        return update_protocol(_by_code(code), changes, api_actor(), utcnow())
