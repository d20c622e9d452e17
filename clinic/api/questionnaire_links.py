"""The patient's questionnaire link of a visit, sent (or sent again) by staff."""

import marshmallow as ma
from flask.views import MethodView

from clinic.api.context import api_actor, appointment_for
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.questionnaires import send_questionnaire_link

blp = ApiBlueprint(
    "questionnaire_links", __name__, url_prefix="/api/v1", description="Questionnaires answered by link"
)


class QuestionnaireLinkSchema(ma.Schema):
    url = ma.fields.String(
        metadata={"description": "the patient's page /q/<token>: works once, until the visit ends"}
    )
    channels = ma.fields.List(
        ma.fields.String(), metadata={"description": "the channels the link goes out on (none: pass it on)"}
    )


@blp.route("/appointments/<int:appointment_id>/questionnaire-link")
class QuestionnaireLinkResource(MethodView):
    @blp.access(Action.QUESTIONNAIRE_LINK_SEND)
    @blp.response(201, QuestionnaireLinkSchema())
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit is over or no longer open")
    def post(self, appointment_id):
        """Send the patient their questionnaire link now, on every channel they agreed to; answers the link"""
        appointment = appointment_for(appointment_id, Action.QUESTIONNAIRE_LINK_SEND)
        url, rows = send_questionnaire_link(appointment, api_actor(), utcnow())
        return {"url": url, "channels": [row.channel for row in rows]}
