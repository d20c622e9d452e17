"""Schemas of protocols, series and appointments."""

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from clinic.api.schemas.fields import ClockTime, DatabaseId, Instant, VisitDate, VisitInstant
from clinic.api.schemas.transport import RideSchema, TransportDumpSchema
from clinic.domain.slots import DEFAULT_DAYS as SLOT_DEFAULT_DAYS
from clinic.domain.slots import MAX_DAYS as SLOT_MAX_DAYS
from clinic.domain.therapy import rule_to_dict
from clinic.domain.visits import JOIN_URL_LENGTH, Modality, VisitStatus
from clinic.models.appointment import APPOINTMENT_KINDS

SCOPES = ("this", "following")


class RuleSchema(ma.Schema):
    code = ma.fields.String()
    message = ma.fields.String()


class PhaseDumpSchema(ma.Schema):
    doses = ma.fields.Integer()
    per_week = ma.fields.Integer()
    min_gap_days = ma.fields.Integer()
    day_offsets = ma.fields.List(ma.fields.Integer())
    every_weeks = ma.fields.Integer()


class ParameterDumpSchema(ma.Schema):
    name = ma.fields.String()
    default = ma.fields.Integer()
    minimum = ma.fields.Integer()
    maximum = ma.fields.Integer()
    description = ma.fields.String()


class FollowUpDumpSchema(ma.Schema):
    days_after_last_dose = ma.fields.Integer()
    duration_minutes = ma.fields.Integer()


class ProtocolDumpSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    builtin = ma.fields.Boolean()
    drug = ma.fields.Function(lambda p: p.spec().drug)
    chair_kind = ma.fields.Function(lambda p: p.spec().chair_kind)
    chair_minutes = ma.fields.Function(lambda p: p.spec().chair_minutes, metadata={"type": "integer"})
    total_doses = ma.fields.Function(lambda p: p.spec().total_doses, metadata={"type": "integer"})
    needs_ride = ma.fields.Function(lambda p: p.spec().needs_ride, metadata={"type": "boolean"})
    rems_required = ma.fields.Function(lambda p: p.spec().rems_required, metadata={"type": "boolean"})
    fasting_food_minutes = ma.fields.Function(
        lambda p: p.spec().fasting_food_minutes, metadata={"type": "integer"}
    )
    fasting_liquid_minutes = ma.fields.Function(
        lambda p: p.spec().fasting_liquid_minutes, metadata={"type": "integer"}
    )
    phases = ma.fields.Function(
        lambda p: PhaseDumpSchema(many=True).dump(p.spec().phases), metadata={"type": "array", "items": {}}
    )
    follow_ups = ma.fields.Function(
        lambda p: FollowUpDumpSchema(many=True).dump(p.spec().follow_ups),
        metadata={"type": "array", "items": {}},
    )
    parameters = ma.fields.Function(
        lambda p: ParameterDumpSchema(many=True).dump(p.spec().parameters),
        metadata={"type": "array", "items": {}},
    )
    preparation = ma.fields.Function(
        lambda p: rule_to_dict(p.spec().preparation),
        allow_none=True,
        metadata={
            "type": "object",
            "description": "A preparation session min_days_before..max_days_before days before dose 1",
        },
    )
    integration = ma.fields.Function(
        lambda p: rule_to_dict(p.spec().integration),
        allow_none=True,
        metadata={
            "type": "object",
            "description": "An integration session within within_days after every every_doses-th dose",
        },
    )


_JOIN_URL = {"description": "The https link a virtual visit is joined by (required for a virtual visit)"}


def _join_url(**kwargs):
    return ma.fields.String(
        validate=validate.Length(max=JOIN_URL_LENGTH), allow_none=True, metadata=_JOIN_URL, **kwargs
    )


class SeriesRequestSchema(ma.Schema):
    patient_id = DatabaseId(required=True, strict=True)
    protocol = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    location_id = DatabaseId(required=True, strict=True)
    provider_id = DatabaseId(required=True, strict=True)
    start_date = VisitDate(required=True)
    start_time = ClockTime(required=True, metadata={"type": "string", "example": "09:00"})
    parameters = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(strict=True), load_default=dict
    )
    rems_override_reason = ma.fields.String(validate=validate.Length(max=500), allow_none=True)
    default_ride = ma.fields.Nested(RideSchema, allow_none=True)
    join_url = _join_url()


class PlannedVisitSchema(ma.Schema):
    index = ma.fields.Integer()
    kind = ma.fields.String()
    dose_number = ma.fields.Integer(allow_none=True)
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime()
    original_start = ma.fields.AwareDateTime()
    chair_id = ma.fields.Integer(allow_none=True)
    chair_name = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["ok", "moved", "conflict"]})
    reasons = ma.fields.List(ma.fields.String())
    rules = ma.fields.List(ma.fields.Nested(RuleSchema))
    modality = ma.fields.String(metadata={"enum": list(Modality)})
    after_dose = ma.fields.Integer(allow_none=True)
    label = ma.fields.String()


class SeriesPreviewSchema(ma.Schema):
    protocol = ma.fields.Function(lambda preview: preview.spec.code)
    ok = ma.fields.Boolean()
    rems_ok = ma.fields.Boolean()
    occurrences = ma.fields.List(ma.fields.Nested(PlannedVisitSchema), attribute="visits")


def _local(appointment, instant):
    """An instant of the visit in its location's local time (None stays None)."""
    return None if instant is None else instant.astimezone(appointment.location.zone).isoformat()


class AppointmentDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    uid = ma.fields.String()
    sequence = ma.fields.Integer()
    series_id = ma.fields.Integer(allow_none=True)
    dose_number = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String()
    status = ma.fields.String()
    modality = ma.fields.String(metadata={"enum": list(Modality)})
    join_url = ma.fields.String(allow_none=True)
    patient_id = ma.fields.Integer()
    patient_name = ma.fields.Function(lambda a: a.patient.full_name)
    provider_id = ma.fields.Integer()
    location_id = ma.fields.Integer()
    chair_id = ma.fields.Integer(allow_none=True)
    protocol = ma.fields.String(attribute="protocol_code", allow_none=True)
    start = ma.fields.AwareDateTime(attribute="local_start")
    end = ma.fields.AwareDateTime(attribute="local_end")
    planning_note = ma.fields.String()
    cancel_reason = ma.fields.String(allow_none=True)
    check_in_override_reason = ma.fields.String(allow_none=True)
    discharge_override_reason = ma.fields.String(allow_none=True)
    discharge_overrides = ma.fields.List(ma.fields.String(), allow_none=True)
    checked_in_at = ma.fields.Function(
        lambda a: _local(a, a.checked_in_at),
        allow_none=True,
        metadata={"type": "string", "format": "date-time"},
    )
    dose_given_at = ma.fields.Function(
        lambda a: _local(a, a.dose_given_at),
        allow_none=True,
        metadata={"type": "string", "format": "date-time"},
    )
    completed_at = ma.fields.Function(
        lambda a: _local(a, a.completed_at),
        allow_none=True,
        metadata={"type": "string", "format": "date-time"},
    )
    transport = ma.fields.Nested(TransportDumpSchema, allow_none=True)
    updated_at = ma.fields.AwareDateTime()


class SeriesDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    patient_id = ma.fields.Integer()
    protocol = ma.fields.Function(lambda s: s.protocol.code)
    parameters = ma.fields.Dict()
    location_id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    start_date = ma.fields.Date()
    start_time = ClockTime(metadata={"type": "string"})
    status = ma.fields.String()
    rems_override_reason = ma.fields.String(allow_none=True)
    default_ride = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "The ride every new dose gets: {mode, contact_name, contact_phone}"},
    )
    appointments = ma.fields.List(ma.fields.Nested(AppointmentDumpSchema))


class AppointmentCreateSchema(ma.Schema):
    patient_id = DatabaseId(required=True, strict=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(APPOINTMENT_KINDS))
    location_id = DatabaseId(required=True, strict=True)
    provider_id = DatabaseId(required=True, strict=True)
    start = VisitInstant(required=True, metadata={"example": "2027-03-15T09:00:00-04:00"})
    chair_id = DatabaseId(allow_none=True, strict=True)
    protocol = ma.fields.String(validate=validate.Length(min=1, max=64), allow_none=True)
    parameters = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(strict=True), load_default=dict
    )
    duration_minutes = ma.fields.Integer(strict=True, validate=validate.Range(min=5, max=480))
    rems_override_reason = ma.fields.String(validate=validate.Length(max=500), allow_none=True)
    modality = ma.fields.String(
        load_default=Modality.IN_PERSON.value, validate=validate.OneOf(tuple(Modality))
    )
    join_url = _join_url()


class RescheduleSchema(ma.Schema):
    start = VisitInstant(required=True)
    scope = ma.fields.String(load_default="this", validate=validate.OneOf(SCOPES))


class CancelSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    scope = ma.fields.String(load_default="this", validate=validate.OneOf(SCOPES))


class SeriesCancelSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class ReplanSchema(ma.Schema):
    start_date = VisitDate()
    start_time = ClockTime(metadata={"type": "string"})
    join_url = _join_url()


class ProposedMoveSchema(ma.Schema):
    appointment_id = ma.fields.Function(lambda p: p.appointment.id)
    start = ma.fields.Function(lambda p: p.start.astimezone(p.appointment.location.zone).isoformat())
    end = ma.fields.Function(lambda p: p.end.astimezone(p.appointment.location.zone).isoformat())
    chair_id = ma.fields.Integer(allow_none=True)
    rules = ma.fields.List(ma.fields.Nested(RuleSchema))


class AppointmentQuerySchema(ma.Schema):
    # Listing reaches into any past: only the calendar's bounds apply.
    start = Instant()
    end = Instant()
    patient_id = DatabaseId(strict=False)
    provider_id = DatabaseId(strict=False)
    location_id = DatabaseId(strict=False)
    series_id = DatabaseId(strict=False)
    chair_id = DatabaseId(strict=False)
    kind = ma.fields.String(validate=validate.OneOf(APPOINTMENT_KINDS))
    status = DelimitedList(ma.fields.String(validate=validate.OneOf(tuple(VisitStatus))))
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=1000))


protocols_dump_schema = ProtocolDumpSchema(many=True)
series_request_schema = SeriesRequestSchema()
series_preview_schema = SeriesPreviewSchema()
series_dump_schema = SeriesDumpSchema()
appointment_create_schema = AppointmentCreateSchema()
appointment_dump_schema = AppointmentDumpSchema()
appointments_dump_schema = AppointmentDumpSchema(many=True)
reschedule_schema = RescheduleSchema()
cancel_schema = CancelSchema()
series_cancel_schema = SeriesCancelSchema()
replan_schema = ReplanSchema()
proposed_moves_schema = ProposedMoveSchema(many=True)


class ReminderDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    channel = ma.fields.String()
    status = ma.fields.String()
    due_at = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    attempts = ma.fields.Integer()
    status_reason = ma.fields.String()


reminders_dump_schema = ReminderDumpSchema(many=True)


class SlotQuerySchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(APPOINTMENT_KINDS))
    location_id = DatabaseId(required=True, strict=False)
    provider_id = DatabaseId(required=True, strict=False)
    patient_id = DatabaseId(
        strict=False,
        metadata={"description": "With a patient, their own visits count (no overlap, one dose a day)"},
    )
    protocol = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A dose's protocol (it sets the chair kind and how long the chair is held)"},
    )
    duration_minutes = ma.fields.Integer(
        validate=validate.Range(min=5, max=480),
        metadata={"description": "Length of a visit that is not a dose (default by kind)"},
    )
    from_ = VisitDate(data_key="from", metadata={"description": "First local date (default: today there)"})
    days = ma.fields.Integer(
        load_default=SLOT_DEFAULT_DAYS,
        validate=validate.Range(min=1, max=SLOT_MAX_DAYS),
        metadata={"description": f"How many local days to search (at most {SLOT_MAX_DAYS})"},
    )

    @ma.post_load
    def _from_key(self, data, **kwargs):
        if "from_" in data:
            data["from"] = data.pop("from_")
        return data


class SlotDumpSchema(ma.Schema):
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime()
    chair_id = ma.fields.Integer(allow_none=True)


class SlotsDumpSchema(ma.Schema):
    slots = ma.fields.List(ma.fields.Nested(SlotDumpSchema))


slot_query_schema = SlotQuerySchema()
slots_dump_schema = SlotsDumpSchema()
