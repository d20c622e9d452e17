from typing import Any

import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import ClockTime, DatabaseId, VisitInstant
from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.models.provider import PROVIDER_ROLES


class Weekday(ma.fields.Field):
    """A weekday given as ``mon``..``sun`` or 0..6 (0 = Monday); always answered as ``mon``..``sun``."""

    default_error_messages = {"invalid_weekday": "Use mon, tue, wed, thu, fri, sat, sun or 0-6 (0 = Monday)"}

    def _serialize(self, value: int | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else WEEKDAY_KEYS[value]

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and value.lower() in WEEKDAY_KEYS:
            return WEEKDAY_KEYS.index(value.lower())
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        raise self.make_error("invalid_weekday")


class AvailabilitySchema(ma.Schema):
    weekday = Weekday(required=True, metadata={"example": "mon"})
    start = ClockTime(required=True, metadata={"type": "string", "example": "08:00"})
    end = ClockTime(required=True, metadata={"type": "string", "example": "17:00"})
    location_id = DatabaseId(required=True, strict=True)

    @ma.validates_schema
    def _start_before_end(self, data: dict, **kwargs: Any) -> None:
        if data["start"] >= data["end"]:
            raise ma.ValidationError("The window must start before it ends", "end")


class ProviderLoadSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = ma.fields.String(required=True, validate=validate.OneOf(PROVIDER_ROLES))
    email = ma.fields.Email(required=True)
    max_concurrent = ma.fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=20))
    availability = ma.fields.List(ma.fields.Nested(AvailabilitySchema), load_default=list)


class ProviderUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    role = ma.fields.String(validate=validate.OneOf(PROVIDER_ROLES))
    email = ma.fields.Email()
    max_concurrent = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=20))
    active = ma.fields.Boolean()
    availability = ma.fields.List(ma.fields.Nested(AvailabilitySchema))
    feed_full_names = ma.fields.Boolean(
        metadata={"description": "The provider's calendar feed names patients in full (else by initials)"}
    )


class AvailabilityDumpSchema(ma.Schema):
    weekday = Weekday(metadata={"type": "string"})
    start = ClockTime(metadata={"type": "string"})
    end = ClockTime(metadata={"type": "string"})
    location_id = ma.fields.Integer()


class ProviderDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    email = ma.fields.String()
    max_concurrent = ma.fields.Integer()
    active = ma.fields.Boolean()
    availability = ma.fields.List(ma.fields.Nested(AvailabilityDumpSchema))
    feed_full_names = ma.fields.Boolean()


class TimeOffInstant(VisitInstant):
    """A time off's start or end: within the years visits are booked in (time off matters only there)."""

    default_error_messages = {"out_of_range": "Time off is planned between {earliest} and {latest}"}


class TimeOffLoadSchema(ma.Schema):
    start = TimeOffInstant(required=True, metadata={"example": "2027-03-15T08:00:00-04:00"})
    end = TimeOffInstant(required=True, metadata={"example": "2027-03-19T18:00:00-04:00"})
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))

    @ma.validates_schema
    def _start_before_end(self, data: dict, **kwargs: Any) -> None:
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ma.ValidationError("Must be later than the start", "end")


class TimeOffDumpSchema(ma.Schema):
    """Time off with its instants at the offset of the provider's own timezone (see `provider_zone`)."""

    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime()
    reason = ma.fields.String()
    booked_visits = ma.fields.Integer(
        metadata={"description": "Visits still booked inside the time off; they stay booked"}
    )


provider_load_schema = ProviderLoadSchema()
provider_update_schema = ProviderUpdateSchema()
provider_dump_schema = ProviderDumpSchema()
providers_dump_schema = ProviderDumpSchema(many=True)
time_off_load_schema = TimeOffLoadSchema()
time_off_dump_schema = TimeOffDumpSchema()
time_offs_dump_schema = TimeOffDumpSchema(many=True)
