"""Appointments: single visits, listing, moving, cancelling and no-shows."""

from flask import Response, current_app
from flask.views import MethodView

from clinic.api.context import api_actor, appointment_for
from clinic.api.problems import problem_response
from clinic.api.schemas.scheduling import (
    AppointmentQuerySchema,
    appointment_create_schema,
    appointment_dump_schema,
    appointments_dump_schema,
    cancel_schema,
    proposed_moves_schema,
    reminders_dump_schema,
    reschedule_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.services.appointments import (
    MoveConflict,
    book_appointment,
    cancel_appointment,
    list_appointments,
    mark_no_show,
    propose_reschedule,
    reschedule_appointment,
)
from clinic.services.reminders import reminders_of

blp = ApiBlueprint("appointments", __name__, url_prefix="/api/v1/appointments", description="Visits")

MOVE_REFUSED = (
    "The move breaks scheduling rules: `conflicts` lists each visit that would break one, with its rules; "
    "`suggestions` holds up to three starts (the location's offset) nearest to the asked one where the move "
    "passes every rule, from the same search as GET /api/v1/slots (empty when none is near)"
)


def _refused_move(refused: MoveConflict) -> Response:
    """The 409 of a refused move, with the suggested starts next to the broken rules."""
    response = problem_response(409, refused.detail, title=refused.title, conflicts=refused.conflicts)
    body = {**response.get_json(), "suggestions": [start.isoformat() for start in refused.suggestions]}
    response.set_data(current_app.json.dumps(body))
    return response


@blp.route("")
class AppointmentsResource(MethodView):
    @blp.access(Action.VISIT_READ)
    @blp.arguments(AppointmentQuerySchema, location="query")
    @blp.response(200, appointments_dump_schema)
    def get(self, filters):
        """List appointments, soonest first (start/end bound the time range); providers see their own"""
        return list_appointments(filters, api_actor())

    @blp.access(Action.VISIT_BOOK)
    @blp.arguments(appointment_create_schema)
    @blp.response(201, appointment_dump_schema)
    @blp.problem(409, "The visit breaks a scheduling rule, or its chair was just taken")
    def post(self, data):
        """Book one visit"""
        appointment = book_appointment(data, api_actor(), utcnow())
        return appointment


@blp.route("/<int:appointment_id>")
class AppointmentResource(MethodView):
    @blp.access(Action.VISIT_READ)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    def get(self, appointment_id):
        """Show an appointment"""
        return appointment_for(appointment_id)

    @blp.access(Action.VISIT_CHANGE)
    @blp.arguments(reschedule_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, MOVE_REFUSED)
    def patch(self, data, appointment_id):
        """Move a visit, or with scope "following" it and the later visits of its series"""
        try:
            moved = reschedule_appointment(
                appointment_for(appointment_id), data["start"], data["scope"], api_actor(), utcnow()
            )
        except MoveConflict as refused:
            db.session.rollback()
            return _refused_move(refused)
        return moved


@blp.route("/<int:appointment_id>/reschedule-preview")
class ReschedulePreviewResource(MethodView):
    @blp.access(Action.VISIT_CHANGE)
    @blp.arguments(reschedule_schema)
    @blp.response(200, proposed_moves_schema)
    @blp.problem(404, "Unknown appointment")
    def post(self, data, appointment_id):
        """Show where a move would put each visit and which rules it would break, without moving"""
        return propose_reschedule(appointment_for(appointment_id), data["start"], data["scope"], utcnow())


@blp.route("/<int:appointment_id>/cancel")
class CancelResource(MethodView):
    @blp.access(Action.VISIT_CHANGE)
    @blp.arguments(cancel_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit is no longer open")
    def post(self, data, appointment_id):
        """Cancel a visit, or with scope "following" the rest of its series"""
        cancelled = cancel_appointment(
            appointment_for(appointment_id), data["reason"], data["scope"], api_actor(), utcnow()
        )
        return cancelled


@blp.route("/<int:appointment_id>/no-show")
class NoShowResource(MethodView):
    @blp.access(Action.VISIT_CHANGE)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit has not started or is no longer open")
    def post(self, appointment_id):
        """Record that the patient did not come"""
        appointment = mark_no_show(appointment_for(appointment_id), api_actor(), utcnow())
        return appointment


@blp.route("/<int:appointment_id>/reminders")
class RemindersResource(MethodView):
    @blp.access(Action.REMINDERS_READ)
    @blp.response(200, reminders_dump_schema)
    @blp.problem(404, "Unknown appointment")
    def get(self, appointment_id):
        """The visit's reminders: due, sent, failed or cancelled, and why"""
        return reminders_of(appointment_for(appointment_id, Action.REMINDERS_READ))
