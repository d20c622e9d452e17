"""Schemas of rides home."""

import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import DatabaseId, PhoneNumber, VisitInstant
from clinic.domain.transport import MODES, STATUSES


class RideSchema(ma.Schema):
    """A series' default ride, copied to each dose it books."""

    mode = ma.fields.String(required=True, validate=validate.OneOf(MODES))
    contact_name = ma.fields.String(validate=validate.Length(min=1, max=200), allow_none=True)
    contact_phone = PhoneNumber(required=True)


class TransportLoadSchema(ma.Schema):
    mode = ma.fields.String(validate=validate.OneOf(MODES), allow_none=True, load_default=None)
    contact_name = ma.fields.String(validate=validate.Length(max=200), allow_none=True, load_default=None)
    contact_phone = PhoneNumber(allow_none=True, load_default=None)
    pickup_at = VisitInstant(allow_none=True, load_default=None)
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))


class TransportDumpSchema(ma.Schema):
    status = ma.fields.String()
    mode = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    pickup_at = ma.fields.Function(lambda t: t.pickup_at.astimezone(t.appointment.location.zone).isoformat())
    last_call_outcome = ma.fields.String(allow_none=True)
    updated_by = ma.fields.String(attribute="updated_by_label")
    updated_at = ma.fields.AwareDateTime()


class AtRiskQuerySchema(ma.Schema):
    hours = ma.fields.Integer(load_default=48, validate=validate.Range(min=1, max=168))
    location_id = DatabaseId(strict=False)


class AtRiskDumpSchema(ma.Schema):
    appointment_id = ma.fields.Integer(attribute="id")
    start = ma.fields.AwareDateTime(attribute="local_start")
    location_id = ma.fields.Integer()
    patient_id = ma.fields.Integer()
    patient_name = ma.fields.Function(lambda a: a.patient.full_name)
    patient_phone = ma.fields.Function(lambda a: a.patient.phone)
    transport = ma.fields.Nested(TransportDumpSchema)


transport_load_schema = TransportLoadSchema()
transport_dump_schema = TransportDumpSchema()
at_risk_dump_schema = AtRiskDumpSchema(many=True)
