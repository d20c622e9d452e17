"""Schemas of measurements, alerts and the monitoring plan."""

from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import DatabaseId
from clinic.domain.monitoring import BP_TIMEPOINTS, MEASUREMENT_INSTRUMENTS
from clinic.domain.rems_form import RemsFormStatus


class MeasurementLoadSchema(ma.Schema):
    instrument = ma.fields.String(required=True, validate=validate.OneOf(MEASUREMENT_INSTRUMENTS))
    timepoint = ma.fields.String(validate=validate.OneOf(BP_TIMEPOINTS), allow_none=True)
    items = ma.fields.List(
        ma.fields.Integer(strict=True), metadata={"description": "PHQ-9 (9) or GAD-7 (7) answers"}
    )
    systolic = ma.fields.Integer(strict=True)
    diastolic = ma.fields.Integer(strict=True)
    moaas = ma.fields.Integer(strict=True, metadata={"description": "MOAA/S sedation score 0-5 (5 = awake)"})
    cadss_total = ma.fields.Integer(strict=True, metadata={"description": "CADSS dissociation total 0-92"})


class CorrectionLoadSchema(MeasurementLoadSchema):
    correction_reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class AlertDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    patient_id = ma.fields.Integer()
    appointment_id = ma.fields.Integer(allow_none=True)
    measurement_id = ma.fields.Integer()
    code = ma.fields.String()
    severity = ma.fields.String()
    message = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    acknowledged_at = ma.fields.AwareDateTime(allow_none=True)
    acknowledged_by = ma.fields.String(attribute="acknowledged_by_label", allow_none=True)


class MeasurementDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    patient_id = ma.fields.Integer()
    appointment_id = ma.fields.Integer(allow_none=True)
    series_id = ma.fields.Integer(allow_none=True)
    instrument = ma.fields.String()
    timepoint = ma.fields.String(allow_none=True)
    values = ma.fields.Dict()
    total = ma.fields.Integer(allow_none=True)
    item9 = ma.fields.Integer(allow_none=True)
    recorded_at = ma.fields.AwareDateTime()
    recorded_by = ma.fields.String(attribute="recorded_by_label")
    amends_id = ma.fields.Integer(allow_none=True)
    superseded_at = ma.fields.AwareDateTime(allow_none=True)
    correction_reason = ma.fields.String(allow_none=True)


class RecordedSchema(ma.Schema):
    measurement = ma.fields.Nested(MeasurementDumpSchema)
    alerts = ma.fields.List(ma.fields.Nested(AlertDumpSchema))


class PlanItemSchema(ma.Schema):
    key = ma.fields.String()
    code = ma.fields.String()
    label = ma.fields.String()
    status = ma.fields.String()
    due_at = ma.fields.AwareDateTime()
    deadline = ma.fields.AwareDateTime()
    done_at = ma.fields.AwareDateTime(allow_none=True)
    appointment_id = ma.fields.Integer(allow_none=True)


class SeriesPlanSchema(ma.Schema):
    series_id = ma.fields.Function(lambda p: p.series.id)
    protocol = ma.fields.Function(lambda p: p.series.protocol.code)
    items = ma.fields.Function(lambda p: PlanItemSchema(many=True).dump(p.plan.items))
    notes = ma.fields.Function(lambda p: [{"code": n.code, "message": n.message} for n in p.plan.notes])


class TrendSchema(ma.Schema):
    baseline = ma.fields.Integer()
    latest = ma.fields.Integer()
    change = ma.fields.Integer()
    percent_change = ma.fields.Float(allow_none=True)
    response = ma.fields.Boolean()
    remission = ma.fields.Boolean()


class PatientMonitoringSchema(ma.Schema):
    patient_id = ma.fields.Integer()
    series = ma.fields.List(ma.fields.Nested(SeriesPlanSchema))
    measurements = ma.fields.List(ma.fields.Nested(MeasurementDumpSchema))
    phq9_trend = ma.fields.Nested(TrendSchema, allow_none=True)
    open_alerts = ma.fields.List(ma.fields.Nested(AlertDumpSchema))


class OverdueItemSchema(ma.Schema):
    series_id = ma.fields.Function(lambda pair: pair[0].id)
    patient_id = ma.fields.Function(lambda pair: pair[0].patient_id)
    patient_name = ma.fields.Function(lambda pair: pair[0].patient.full_name)
    item = ma.fields.Function(lambda pair: PlanItemSchema().dump(pair[1]))


class FollowUpsSchema(ma.Schema):
    upcoming = ma.fields.Function(
        lambda f: [
            {
                "appointment_id": a.id,
                "patient_id": a.patient_id,
                "patient_name": a.patient.full_name,
                "start": a.local_start.isoformat(),
                "series_id": a.series_id,
            }
            for a in f.upcoming
        ]
    )
    unbooked = ma.fields.Function(lambda f: OverdueItemSchema(many=True).dump(f.unbooked))


class ProviderScopeQuerySchema(ma.Schema):
    provider_id = DatabaseId(strict=False)
    days = ma.fields.Integer(load_default=14, validate=validate.Range(min=1, max=90))


class AcknowledgeSchema(ma.Schema):
    note = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class RemsFormLoadSchema(ma.Schema):
    confirmation = ma.fields.String(load_default="", validate=validate.Length(max=100))


class RemsFormDumpSchema(ma.Schema):
    appointment_id = ma.fields.Integer()
    submitted_at = ma.fields.AwareDateTime()
    submitted_by = ma.fields.String(attribute="submitted_by_label")
    confirmation = ma.fields.String()


measurement_load_schema = MeasurementLoadSchema()
correction_load_schema = CorrectionLoadSchema()
recorded_schema = RecordedSchema()
alerts_dump_schema = AlertDumpSchema(many=True)
alert_dump_schema = AlertDumpSchema()
patient_monitoring_schema = PatientMonitoringSchema()
overdue_items_schema = OverdueItemSchema(many=True)
follow_ups_schema = FollowUpsSchema()
acknowledge_schema = AcknowledgeSchema()
rems_form_load_schema = RemsFormLoadSchema()
rems_form_dump_schema = RemsFormDumpSchema()


class RemsFormQuerySchema(ma.Schema):
    status = ma.fields.String(
        validate=validate.OneOf(tuple(RemsFormStatus)),
        metadata={"description": "due, overdue or submitted (every form when left out)"},
    )


class _PersonSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class _PatientSchema(_PersonSchema):
    date_of_birth = ma.fields.Date()
    rems_enrolled_on = ma.fields.Date(allow_none=True)


class _SettingSchema(_PersonSchema):
    address = ma.fields.String()


class _BloodPressureSchema(ma.Schema):
    timepoint = ma.fields.String()
    systolic = ma.fields.Integer()
    diastolic = ma.fields.Integer()
    recorded_at = ma.fields.String(metadata={"description": "ISO 8601 instant, the setting's local offset"})


class _ObservationSchema(ma.Schema):
    assessed = ma.fields.Boolean()
    observed = ma.fields.Boolean(allow_none=True)
    resolved = ma.fields.Boolean(allow_none=True, metadata={"description": "null when nothing was observed"})


_LOCAL_INSTANTS = ("checked_in_at", "monitoring_started_at", "discharged_at", "submitted_at")


class RemsFormSchema(ma.Schema):
    """The REMS patient monitoring form of a session, filled from what the session recorded."""

    appointment_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "due, overdue or submitted"})
    session_date = ma.fields.Date(metadata={"description": "The local date of the dose"})
    due_by = ma.fields.Date(metadata={"description": "The session date plus 7 days"})
    days_left = ma.fields.Integer(metadata={"description": "Days until due_by (negative when overdue)"})
    patient = ma.fields.Nested(_PatientSchema)
    setting = ma.fields.Nested(_SettingSchema)
    prescriber = ma.fields.Nested(_PersonSchema)
    dose_mg = ma.fields.Decimal(as_string=True, allow_none=True)
    devices = ma.fields.Integer(allow_none=True)
    lot_number = ma.fields.String(allow_none=True)
    checked_in_at = ma.fields.String(allow_none=True)
    monitoring_started_at = ma.fields.String(allow_none=True, metadata={"description": "The dose"})
    discharged_at = ma.fields.String(allow_none=True)
    monitoring_minutes = ma.fields.Integer(allow_none=True)
    blood_pressure = ma.fields.List(ma.fields.Nested(_BloodPressureSchema))
    sedation = ma.fields.Nested(_ObservationSchema)
    dissociation = ma.fields.Nested(_ObservationSchema)
    serious_adverse_event = ma.fields.Boolean()
    serious_adverse_event_description = ma.fields.String(allow_none=True)
    discharge_overrides = ma.fields.List(
        ma.fields.String(), metadata={"description": "Discharge rules a provider overrode"}
    )
    discharge_override_reason = ma.fields.String(allow_none=True)
    missing = ma.fields.List(ma.fields.String(), metadata={"description": "Fields still empty"})
    submitted_at = ma.fields.String(allow_none=True)
    submitted_by = ma.fields.String(allow_none=True)
    confirmation = ma.fields.String(allow_none=True)

    @ma.pre_dump
    def _local_times(self, entry, **kwargs):
        """Instants in the setting's local time, like every instant of a visit."""
        form = entry.form
        zone = ZoneInfo(form.timezone)
        values = {**vars(form), "appointment_id": entry.appointment_id}
        for name in _LOCAL_INSTANTS:
            if values[name] is not None:
                values[name] = values[name].astimezone(zone).isoformat()
        values["blood_pressure"] = [
            {**vars(b), "recorded_at": b.recorded_at.astimezone(zone).isoformat()}
            for b in form.blood_pressure
        ]
        return values


rems_form_schema = RemsFormSchema()
rems_forms_schema = RemsFormSchema(many=True)
