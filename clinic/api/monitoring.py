"""Monitoring: measurements, alerts, REMS forms and the plan. For the patient's providers only."""

from dataclasses import dataclass

from flask import g
from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.monitoring import (
    ProviderScopeQuerySchema,
    RemsFormQuerySchema,
    acknowledge_schema,
    alert_dump_schema,
    alerts_dump_schema,
    correction_load_schema,
    follow_ups_schema,
    measurement_load_schema,
    overdue_items_schema,
    patient_monitoring_schema,
    recorded_schema,
    rems_form_dump_schema,
    rems_form_load_schema,
    rems_form_schema,
    rems_forms_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.domain.rems_form import RemsFormStatus
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.patient import Patient
from clinic.services.access import load_for
from clinic.services.errors import PermissionDenied
from clinic.services.monitoring import (
    acknowledge_alert,
    amend_measurement,
    follow_ups,
    open_alerts,
    overdue_items,
    patient_monitoring,
    record_measurement,
    submit_rems_form,
)
from clinic.services.rems_forms import rems_form, rems_queue

blp = ApiBlueprint("monitoring", __name__, url_prefix="/api/v1", description="Monitoring plan and alerts")


@dataclass(frozen=True)
class Recorded:
    measurement: Measurement
    alerts: list


def _own_provider_id(requested: int | None) -> int:
    """Providers see their own patients: a provider may only ask about themself."""
    own = g.api_user.provider_id
    if own is None or (requested is not None and requested != own):
        raise PermissionDenied("Providers see only their own patients' follow-ups and monitoring")
    return own


@blp.route("/appointments/<int:appointment_id>/measurements")
class MeasurementsResource(MethodView):
    @blp.access(Action.MEASUREMENT_RECORD)
    @blp.arguments(measurement_load_schema)
    @blp.response(201, recorded_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(409, "The visit has not started or was cancelled")
    def post(self, data, appointment_id):
        """Record a PHQ-9, GAD-7, blood pressure, sedation or dissociation measurement at a visit"""
        appointment = load_for(
            api_actor(), Action.MEASUREMENT_RECORD, Appointment, appointment_id, "appointment"
        )
        measurement, alerts = record_measurement(appointment, data, api_actor(), utcnow())
        return Recorded(measurement, alerts)


@blp.route("/measurements/<int:measurement_id>/corrections")
class CorrectionsResource(MethodView):
    @blp.access(Action.MEASUREMENT_RECORD)
    @blp.arguments(correction_load_schema)
    @blp.response(201, recorded_schema)
    @blp.problem(404, "Unknown measurement")
    @blp.problem(409, "Already corrected")
    def post(self, data, measurement_id):
        """Correct a measurement: a new version; the original is kept"""
        original = load_for(
            api_actor(), Action.MEASUREMENT_RECORD, Measurement, measurement_id, "measurement"
        )
        measurement, alerts = amend_measurement(original, data, api_actor(), utcnow())
        return Recorded(measurement, alerts)


@blp.route("/patients/<int:patient_id>/monitoring")
class PatientMonitoringResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.response(200, patient_monitoring_schema)
    @blp.problem(404, "Unknown patient")
    def get(self, patient_id):
        """Plan items (due, done, overdue), measurements, PHQ-9 trend and open alerts of a patient"""
        patient = load_for(api_actor(), Action.MONITORING_READ, Patient, patient_id, "patient")
        monitoring = patient_monitoring(patient, api_actor(), utcnow())
        return monitoring


@blp.route("/followups")
class FollowUpsResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.arguments(ProviderScopeQuerySchema, location="query")
    @blp.response(200, follow_ups_schema)
    def get(self, query):
        """Follow-ups in the next `days` days, and those due but not booked"""
        return follow_ups(utcnow(), _own_provider_id(query.get("provider_id")), query["days"])


@blp.route("/monitoring/overdue")
class OverdueResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.arguments(ProviderScopeQuerySchema, location="query")
    @blp.response(200, overdue_items_schema)
    def get(self, query):
        """Overdue monitoring items of the provider's active series, oldest first"""
        return overdue_items(utcnow(), _own_provider_id(query.get("provider_id")))


@blp.route("/alerts")
class AlertsResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.response(200, alerts_dump_schema)
    def get(self):
        """The provider's open alerts, urgent first"""
        return open_alerts(_own_provider_id(None))


@blp.route("/alerts/<int:alert_id>/acknowledge")
class AcknowledgeResource(MethodView):
    @blp.access(Action.ALERT_ACKNOWLEDGE)
    @blp.arguments(acknowledge_schema)
    @blp.response(200, alert_dump_schema)
    @blp.problem(404, "Unknown alert")
    @blp.problem(409, "Already acknowledged")
    def post(self, data, alert_id):
        """Acknowledge an alert (audited)"""
        alert = acknowledge_alert(
            load_for(api_actor(), Action.ALERT_ACKNOWLEDGE, Alert, alert_id, "alert"),
            data.get("note"),
            api_actor(),
            utcnow(),
        )
        return alert


@blp.route("/appointments/<int:appointment_id>/rems-form")
class RemsFormResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.response(200, rems_form_schema)
    @blp.problem(404, "Unknown appointment, or not a Spravato session")
    def get(self, appointment_id):
        """The REMS patient monitoring form of a Spravato session, filled from the session"""
        appointment = load_for(
            api_actor(), Action.MONITORING_READ, Appointment, appointment_id, "appointment"
        )
        return rems_form(appointment, api_actor(), utcnow())

    @blp.access(Action.REMS_FORM_SUBMIT)
    @blp.arguments(rems_form_load_schema)
    @blp.response(201, rems_form_dump_schema)
    @blp.problem(404, "Unknown appointment")
    @blp.problem(
        409, "Not a completed Spravato session, already submitted, or rems_form_incomplete (with missing)"
    )
    def post(self, data, appointment_id):
        """Mark the REMS patient monitoring form of a session as submitted"""
        appointment = load_for(
            api_actor(), Action.REMS_FORM_SUBMIT, Appointment, appointment_id, "appointment"
        )
        form = submit_rems_form(appointment, data["confirmation"], api_actor(), utcnow())
        return form


@blp.route("/rems-forms")
class RemsFormsResource(MethodView):
    @blp.access(Action.MONITORING_READ)
    @blp.arguments(RemsFormQuerySchema, location="query")
    @blp.response(200, rems_forms_schema)
    def get(self, query):
        """The REMS forms of the provider's patients' Spravato sessions, the oldest due date first"""
        status = RemsFormStatus(query["status"]) if "status" in query else None
        return rems_queue(api_actor(), status, utcnow())
