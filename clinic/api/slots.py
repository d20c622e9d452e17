"""Free times: when a visit could be booked, every rule of the booking already checked."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.scheduling import slot_query_schema, slots_dump_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.slots import free_slots

blp = ApiBlueprint("slots", __name__, url_prefix="/api/v1/slots", description="Free times")


@blp.route("")
class SlotsResource(MethodView):
    @blp.access(Action.VISIT_BOOK)
    @blp.arguments(slot_query_schema, location="query")
    @blp.response(200, slots_dump_schema)
    @blp.problem(422, "A field is invalid or names an unknown record (a dose needs its protocol)")
    def get(self, query):
        """Free times for a visit: every 15 minutes of the opening hours over `days` local days from `from`
        that pass every rule a booking checks (with `patient_id`, the patient's own visits and doses too).
        Starts and ends carry the location's offset; `chair_id` is the chair a dose would get (null for other
        kinds). At most 200 slots, earliest first."""
        return {"slots": free_slots(query, api_actor(), utcnow())}
