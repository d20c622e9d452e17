import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import OpeningHours, PhoneNumber, TimeZoneName, VisitDate
from clinic.models.location import TRANSPORT_MODES


class LocationLoadSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    public_name = ma.fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "The neutral name patients see (never the treatment); empty: `name`"},
    )
    timezone = TimeZoneName(required=True, metadata={"example": "America/New_York"})
    locale = ma.fields.String(
        validate=validate.Length(min=2, max=16),
        metadata={"description": "How dates and numbers are written for the location", "example": "en_US"},
    )
    address = ma.fields.String(validate=validate.Length(max=500))
    phone = PhoneNumber(allow_none=True)
    opening_hours = OpeningHours(
        metadata={
            "type": "object",
            "example": {"mon": [["08:00", "18:00"]]},
            "additionalProperties": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    allowed_transport_modes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(TRANSPORT_MODES)), validate=validate.Length(min=1)
    )


class ClosureLoadSchema(ma.Schema):
    date = VisitDate(required=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class HolidaysLoadSchema(ma.Schema):
    country = ma.fields.String(
        required=True, validate=validate.Length(min=2, max=3), metadata={"example": "US"}
    )
    subdivision = ma.fields.String(
        allow_none=True, validate=validate.Length(max=10), metadata={"example": "MA"}
    )
    years = ma.fields.List(
        ma.fields.Integer(strict=True, validate=validate.Range(min=1900, max=2200)),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"example": [2027]},
    )


class ClosureDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    location_id = ma.fields.Integer()
    date = ma.fields.Date()
    reason = ma.fields.String()


class LocationUpdateSchema(LocationLoadSchema):
    """The same fields as on creation, each optional."""


class LocationDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    public_name = ma.fields.String()
    timezone = ma.fields.String()
    locale = ma.fields.String()
    address = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    opening_hours = OpeningHours(metadata={"type": "object"})
    allowed_transport_modes = ma.fields.List(ma.fields.String())
    closures = ma.fields.List(ma.fields.Nested(ClosureDumpSchema))


location_load_schema = LocationLoadSchema()
location_update_schema = LocationUpdateSchema(partial=True)
location_dump_schema = LocationDumpSchema()
closure_load_schema = ClosureLoadSchema()
holidays_load_schema = HolidaysLoadSchema()
closure_dump_schema = ClosureDumpSchema()
locations_dump_schema = LocationDumpSchema(many=True)
closures_dump_schema = ClosureDumpSchema(many=True)
