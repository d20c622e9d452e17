"""Schemas of the texts patients send the clinic."""

import marshmallow as ma
from flask import g
from marshmallow import validate

from clinic.domain.messages import MessageStatus
from clinic.services.locations import home_place


def _local(instant):
    """An instant in the clinic's home zone (a text belongs to no one location); None stays None."""
    if instant is None:
        return None
    if "message_zone" not in g:  # read once per answer, not once per message
        g.message_zone = home_place().zone
    return instant.astimezone(g.message_zone).isoformat()


class MessageQuerySchema(ma.Schema):
    status = ma.fields.String(
        load_default=MessageStatus.OPEN.value,
        validate=validate.OneOf([status.value for status in MessageStatus]),
        metadata={"description": "open (waiting, oldest first) or handled (newest first)"},
    )


class MessageDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    patient_id = ma.fields.Integer(allow_none=True)
    patient_name = ma.fields.Function(lambda m: m.patient.full_name if m.patient else None, allow_none=True)
    from_number = ma.fields.String(metadata={"description": "The sender's number as the provider gave it"})
    body = ma.fields.String()
    keyword = ma.fields.String(
        allow_none=True, metadata={"description": "The keyword an automatic reply answered"}
    )
    received_at = ma.fields.Function(lambda m: _local(m.received_at))
    handled_at = ma.fields.Function(lambda m: _local(m.handled_at), allow_none=True)
    handled_by = ma.fields.String(attribute="handled_by_label", allow_none=True)


class MessageListSchema(ma.Schema):
    messages = ma.fields.List(ma.fields.Nested(MessageDumpSchema))


message_dump_schema = MessageDumpSchema()
message_list_schema = MessageListSchema()
