import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import BirthDate, PhoneNumber, RemsEnrolmentDate
from clinic.api.schemas.transport import RideSchema
from clinic.models.patient import REMINDER_CHANNELS
from clinic.services.patients import CONTACT_NAME_MAX_LENGTH, NAME_MAX_LENGTH, NOTES_MAX_LENGTH


class PatientLoadSchema(ma.Schema):
    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX_LENGTH))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX_LENGTH))
    date_of_birth = BirthDate(required=True)
    email = ma.fields.Email(allow_none=True)
    phone = PhoneNumber(allow_none=True, metadata={"example": "+12125550123"})
    reminder_channels = ma.fields.List(ma.fields.String(validate=validate.OneOf(REMINDER_CHANNELS)))
    reminder_consent = ma.fields.Boolean()
    rems_enrolled_on = RemsEnrolmentDate(allow_none=True)
    emergency_contact_name = ma.fields.String(
        validate=validate.Length(max=CONTACT_NAME_MAX_LENGTH), allow_none=True
    )
    emergency_contact_phone = PhoneNumber(allow_none=True, metadata={"example": "+12125550188"})
    default_ride = ma.fields.Nested(
        RideSchema, allow_none=True, metadata={"description": "How the patient usually gets home"}
    )
    notes = ma.fields.String(validate=validate.Length(max=NOTES_MAX_LENGTH), allow_none=True)
    calendar_alarms = ma.fields.Boolean(
        metadata={"description": "Alarms in the calendar feed: at the fasting cut-off and before the pickup"}
    )

    @ma.post_load
    def _dedupe_channels(self, data: dict, **kwargs: object) -> dict:
        if "reminder_channels" in data:
            data["reminder_channels"] = list(dict.fromkeys(data["reminder_channels"]))
        return data


class PatientUpdateSchema(PatientLoadSchema):
    """The same fields as on creation, each optional."""


class RideDumpSchema(ma.Schema):
    mode = ma.fields.String()
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String()


class PatientDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    date_of_birth = ma.fields.Date()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    reminder_channels = ma.fields.List(ma.fields.String())
    reminder_consent = ma.fields.Boolean()
    rems_enrolled_on = ma.fields.Date(allow_none=True)
    emergency_contact_name = ma.fields.String(allow_none=True)
    emergency_contact_phone = ma.fields.String(allow_none=True)
    default_ride = ma.fields.Nested(RideDumpSchema, allow_none=True)
    notes = ma.fields.String()
    calendar_alarms = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class PatientQuerySchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(max=100))


patient_load_schema = PatientLoadSchema()
patient_update_schema = PatientUpdateSchema(partial=True)
patient_dump_schema = PatientDumpSchema()
patients_dump_schema = PatientDumpSchema(many=True)
