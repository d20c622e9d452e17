"""Appointments: single visits, listing, moving, cancelling and no-shows."""

from flask.views import MethodView

from clinic.api.context import api_actor
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
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.services.access import provider_scope, require_patient_access
from clinic.services.appointments import (
    book_appointment,
    cancel_appointment,
    list_appointments,
    mark_no_show,
    propose_reschedule,
    reschedule_appointment,
)
from clinic.services.errors import PermissionDenied
from clinic.services.lookup import get_or_404
from clinic.services.reminders import reminders_of

blp = ApiBlueprint("appointments", __name__, url_prefix="/api/v1/appointments", description="Visits")
READERS = ("frontdesk", "provider")


def _appointment(appointment_id: int) -> Appointment:
    appointment = get_or_404(Appointment, appointment_id, "appointment")
    require_patient_access(api_actor(), appointment.patient_id, "appointment", appointment_id)
    return appointment


@blp.route("")
class AppointmentsResource(MethodView):
    @blp.access(*READERS)
    @blp.arguments(AppointmentQuerySchema, location="query")
    @blp.response(200, appointments_dump_schema)
    def get(self, filters):
        """List appointments, soonest first (start/end bound the time range); providers see their own"""
        own = provider_scope(api_actor())
        if own is not None:
            if filters.get("provider_id") not in (None, own):
                raise PermissionDenied("Providers list only their own visits")
            filters = {**filters, "provider_id": own}
        return list_appointments(filters)

    @blp.access("frontdesk")
    @blp.arguments(appointment_create_schema)
    @blp.response(201, appointment_dump_schema)
    @blp.problem(409, "The visit breaks a scheduling rule, or its chair was just taken")
    def post(self, data):
        """Book one visit"""
        appointment = book_appointment(data, api_actor(), utcnow())
        db.session.commit()
        return appointment


@blp.route("/<int:appointment_id>")
class AppointmentResource(MethodView):
    @blp.access(*READERS)
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    def get(self, appointment_id):
        """Show an appointment"""
        return _appointment(appointment_id)

    @blp.access("frontdesk")
    @blp.arguments(reschedule_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The move breaks scheduling rules")
    def patch(self, data, appointment_id):
        """Move a visit, or with scope "following" it and the later visits of its series"""
        moved = reschedule_appointment(
            _appointment(appointment_id), data["start"], data["scope"], api_actor(), utcnow()
        )
        db.session.commit()
        return moved


@blp.route("/<int:appointment_id>/reschedule-preview")
class ReschedulePreviewResource(MethodView):
    @blp.access("frontdesk")
    @blp.arguments(reschedule_schema)
    @blp.response(200, proposed_moves_schema)
    @blp.problem(404, "Unknown appointment")
    def post(self, data, appointment_id):
        """Show where a move would put each visit and which rules it would break, without moving"""
        return propose_reschedule(_appointment(appointment_id), data["start"], data["scope"], utcnow())


@blp.route("/<int:appointment_id>/cancel")
class CancelResource(MethodView):
    @blp.access("frontdesk")
    @blp.arguments(cancel_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit is no longer open")
    def post(self, data, appointment_id):
        """Cancel a visit, or with scope "following" the rest of its series"""
        cancelled = cancel_appointment(
            _appointment(appointment_id), data["reason"], data["scope"], api_actor(), utcnow()
        )
        db.session.commit()
        return cancelled


@blp.route("/<int:appointment_id>/no-show")
class NoShowResource(MethodView):
    @blp.access("frontdesk")
    @blp.response(200, appointment_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit has not started or is no longer open")
    def post(self, appointment_id):
        """Record that the patient did not come"""
        appointment = mark_no_show(_appointment(appointment_id), api_actor(), utcnow())
        db.session.commit()
        return appointment


@blp.route("/<int:appointment_id>/reminders")
class RemindersResource(MethodView):
    @blp.access(*READERS)
    @blp.response(200, reminders_dump_schema)
    @blp.problem(404, "Unknown appointment")
    def get(self, appointment_id):
        """The visit's reminders: due, sent, failed or cancelled, and why"""
        return reminders_of(_appointment(appointment_id))
