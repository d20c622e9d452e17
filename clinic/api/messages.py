"""Texts patients sent the clinic: the front desk's open list, and marking one as handled."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.messages import MessageQuerySchema, message_dump_schema, message_list_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.messages import MessageStatus
from clinic.domain.policy import Action
from clinic.services.messages import load_message, mark_handled, messages_for

blp = ApiBlueprint("messages", __name__, url_prefix="/api/v1", description="Texts from patients")


@blp.route("/messages")
class MessagesResource(MethodView):
    @blp.access(Action.MESSAGES_READ)
    @blp.arguments(MessageQuerySchema, location="query")
    @blp.response(200, message_list_schema)
    def get(self, query):
        """Texts with a status (open: waiting, oldest first); providers see only their patients' texts"""
        return {"messages": messages_for(api_actor(), MessageStatus(query["status"]))}


@blp.route("/messages/<int:message_id>/handled")
class MessageHandledResource(MethodView):
    @blp.access(Action.MESSAGES_HANDLE)
    @blp.response(200, message_dump_schema)
    @blp.problem(404, "Unknown message")
    @blp.problem(409, "Already handled")
    def post(self, message_id):
        """Mark a text as handled: it leaves the open list"""
        actor = api_actor()
        return mark_handled(load_message(actor, Action.MESSAGES_HANDLE, message_id), actor, utcnow())
