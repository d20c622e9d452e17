"""The dosing session: check-in (and its undo), the dose, and discharge."""

from flask.views import MethodView

from clinic.api.context import api_actor, appointment_for
from clinic.api.schemas.scheduling import appointment_dump_schema
from clinic.api.schemas.session import (
    check_in_schema,
    discharge_schema,
    dose_dump_schema,
    dose_load_schema,
    undo_check_in_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.session import check_in, discharge, record_dose, undo_check_in

blp = ApiBlueprint(
    "session",
    __name__,
    url_prefix="/api/v1/appointments",
    description="The dosing session: check-in, dose, discharge",
)



@blp.route("/<int:appointment_id>/check-in")
class CheckInResource(MethodView):
    @blp.access(Action.VISIT_CHECK_IN)
    @blp.arguments(check_in_schema)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(
        409,
        "outside_check_in_window: from 60 minutes before the start until the scheduled end; "
        "transport_missing: no ride home is arranged (give override_reason to go ahead)",
    )
    def post(self, command, appointment_id):
        """Check the patient in"""
        return check_in(appointment_for(appointment_id), command, api_actor(), utcnow())


@blp.route("/<int:appointment_id>/undo-check-in")
class UndoCheckInResource(MethodView):
    @blp.access(Action.VISIT_CHECK_IN)
    @blp.arguments(undo_check_in_schema)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit is not checked in, or its dose is recorded")
    def post(self, command, appointment_id):
        """Undo a check-in made by mistake (audited with the reason)"""
        return undo_check_in(appointment_for(appointment_id), command, api_actor(), utcnow())


@blp.route("/<int:appointment_id>/dose")
class DoseResource(MethodView):
    @blp.access(Action.DOSE_RECORD)
    @blp.arguments(dose_load_schema)
    @blp.response(201, dose_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(
        409,
        "not_checked_in: a dose is recorded for a checked-in dosing visit; prescriber_confirmation_needed: "
        "the blood pressure before the dose is above the protocol's limit and no prescriber confirmed",
    )
    @blp.problem(422, "A dose the protocol does not allow, a given_at in the future or before check-in")
    def post(self, command, appointment_id):
        """Record the dose of a checked-in dosing visit; a second call corrects it (correction_reason)"""
        return record_dose(appointment_for(appointment_id), command, api_actor(), utcnow())


@blp.route("/<int:appointment_id>/complete")
class CompleteResource(MethodView):
    @blp.access(Action.VISIT_DISCHARGE)
    @blp.arguments(discharge_schema)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(
        409,
        "Every broken rule in conflicts: dose_not_recorded, monitoring_incomplete, checks_missing, "
        "vitals_out_of_range, escort_not_verified (override_reason: staff pass the escort rule, "
        "a provider every rule)",
    )
    def post(self, command, appointment_id):
        """Discharge the patient at the end of the monitored recovery"""
        return discharge(appointment_for(appointment_id), command, api_actor(), utcnow())
