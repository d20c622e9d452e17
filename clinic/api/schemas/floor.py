import marshmallow as ma

from clinic.api.schemas.fields import DatabaseId
from clinic.domain.floor import FloorPhase


class FloorQuerySchema(ma.Schema):
    location_id = DatabaseId(required=True, strict=False)


class NextCheckSchema(ma.Schema):
    name = ma.fields.String()
    due_at = ma.fields.AwareDateTime()
    overdue = ma.fields.Boolean()


class FloorCheckSchema(ma.Schema):
    name = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    done_at = ma.fields.AwareDateTime(allow_none=True)
    overdue = ma.fields.Boolean()


class FloorRideSchema(ma.Schema):
    status = ma.fields.String()
    pickup_at = ma.fields.AwareDateTime()


class FloorVisitSchema(ma.Schema):
    appointment_id = ma.fields.Integer()
    patient_name = ma.fields.String(allow_none=True)
    phase = ma.fields.Enum(FloorPhase, by_value=True)
    start = ma.fields.AwareDateTime()
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)
    dose_given_at = ma.fields.AwareDateTime(allow_none=True)
    completed_at = ma.fields.AwareDateTime(allow_none=True)
    monitoring_until = ma.fields.AwareDateTime(allow_none=True)
    next_check = ma.fields.Nested(NextCheckSchema, allow_none=True)
    checks = ma.fields.List(ma.fields.Nested(FloorCheckSchema))
    ride = ma.fields.Nested(FloorRideSchema, allow_none=True)


class FloorChairSchema(ma.Schema):
    chair_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    visit = ma.fields.Nested(FloorVisitSchema, allow_none=True)


class FloorBoardSchema(ma.Schema):
    location_id = ma.fields.Integer(attribute="location.id")
    now = ma.fields.AwareDateTime()
    chairs = ma.fields.List(ma.fields.Nested(FloorChairSchema))


floor_board_schema = FloorBoardSchema()
