"""Treatment protocols."""

from flask.views import MethodView

from clinic.api.schemas.scheduling import protocols_dump_schema
from clinic.api.smorest import ApiBlueprint
from clinic.domain.policy import Action
from clinic.services.protocols import list_protocols

blp = ApiBlueprint("protocols", __name__, url_prefix="/api/v1/protocols", description="Treatment protocols")


@blp.route("")
class ProtocolsResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, protocols_dump_schema)
    def get(self):
        """List the protocols a series can follow"""
        return list_protocols()
