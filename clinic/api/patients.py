"""Patients: front desk registers and edits them; providers read them. Every read is audited."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.patients import (
    PatientQuerySchema,
    patient_dump_schema,
    patient_load_schema,
    patient_update_schema,
    patients_dump_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.patients import create_patient, read_patient, search_patients, update_patient

blp = ApiBlueprint("patients", __name__, url_prefix="/api/v1/patients", description="Patients")


@blp.route("")
class PatientsResource(MethodView):
    @blp.access(Action.PATIENT_READ)
    @blp.arguments(PatientQuerySchema, location="query")
    @blp.response(200, patients_dump_schema)
    def get(self, query):
        """Find patients by name, e-mail or phone (at most 100, by last name)"""
        patients = search_patients(query.get("q"), api_actor(), utcnow())
        return patients

    @blp.access(Action.PATIENT_REGISTER)
    @blp.arguments(patient_load_schema)
    @blp.response(201, patient_dump_schema)
    def post(self, data):
        """Register a patient"""
        patient = create_patient(data, api_actor(), utcnow())
        return patient


@blp.route("/<int:patient_id>")
class PatientResource(MethodView):
    @blp.access(Action.PATIENT_READ)
    @blp.response(200, patient_dump_schema)
    @blp.problem(404, "Unknown patient")
    def get(self, patient_id):
        """Show a patient's record"""
        patient = read_patient(patient_id, api_actor(), utcnow())
        return patient

    @blp.access(Action.PATIENT_EDIT)
    @blp.arguments(patient_update_schema)
    @blp.response(200, patient_dump_schema)
    @blp.problem(404, "Unknown patient")
    def patch(self, changes, patient_id):
        """Change a patient's record"""
        actor, now = api_actor(), utcnow()
        patient = update_patient(read_patient(patient_id, actor, now), changes, actor, now)
        return patient
