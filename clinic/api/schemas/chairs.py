import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import DatabaseId
from clinic.models.chair import CHAIR_KINDS


class ChairLoadSchema(ma.Schema):
    location_id = DatabaseId(required=True, strict=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = ma.fields.String(validate=validate.OneOf(CHAIR_KINDS), load_default="infusion_chair")


class ChairUpdateSchema(ma.Schema):
    location_id = DatabaseId(strict=True)
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    kind = ma.fields.String(validate=validate.OneOf(CHAIR_KINDS))
    active = ma.fields.Boolean()


class ChairDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    location_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    active = ma.fields.Boolean()


class ChairQuerySchema(ma.Schema):
    location_id = DatabaseId(strict=False)


chair_load_schema = ChairLoadSchema()
chair_update_schema = ChairUpdateSchema()
chair_dump_schema = ChairDumpSchema()
chairs_dump_schema = ChairDumpSchema(many=True)
