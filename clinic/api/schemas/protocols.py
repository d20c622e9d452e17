"""Schemas of the clinic's own protocols: create (a copy of another with changes) and change."""

import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.scheduling import ProtocolDumpSchema

_DEFINITION = {
    "description": "Fields of the protocol's definition to set (as GET /api/v1/protocols/<code> answers "
    "them under `definition`): phases, timings, follow_ups, session (check-in opening, doses, checks, "
    "vital-sign limits) and more; validated as a whole"
}


class ProtocolCreateSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="lowercase letters, digits and dashes"),
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    based_on = ma.fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "The protocol to copy"}
    )
    definition = ma.fields.Dict(keys=ma.fields.String(), load_default=dict, metadata=_DEFINITION)


class ProtocolChangeSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    active = ma.fields.Boolean(metadata={"description": "false: no longer offered for booking"})
    definition = ma.fields.Dict(keys=ma.fields.String(), metadata=_DEFINITION)


class ProtocolDetailSchema(ProtocolDumpSchema):
    active = ma.fields.Boolean()
    definition = ma.fields.Dict()


protocol_create_schema = ProtocolCreateSchema()
protocol_change_schema = ProtocolChangeSchema()
protocol_detail_schema = ProtocolDetailSchema()
