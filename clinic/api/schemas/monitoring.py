"""Schemas of measurements, alerts and the monitoring plan."""

import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import DatabaseId
from clinic.domain.monitoring import BP_TIMEPOINTS, MEASUREMENT_INSTRUMENTS


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
