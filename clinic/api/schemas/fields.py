"""Field types shared by the API schemas."""

from datetime import date, datetime, time
from typing import Any

import marshmallow as ma
import phonenumbers
from marshmallow import validate

from clinic.clock import utcnow
from clinic.domain.opening_hours import OpeningHoursError, opening_hours
from clinic.domain.plausible import (
    CALENDAR_DATES,
    CALENDAR_INSTANTS,
    Span,
    birth_dates,
    is_place_timezone,
    rems_enrolment_dates,
    visit_days,
    visit_instants,
)
from clinic.domain.weekdays import WEEKDAY_KEYS
from clinic.routing import MAX_ID


class DatabaseId(ma.fields.Integer):
    """A row id: 1 .. 2^31-1."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class TimeZoneName(ma.fields.String):
    """An IANA timezone name such as ``America/New_York``."""

    default_error_messages = {"invalid_zone": "Not a known IANA timezone (e.g. America/New_York)"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if not is_place_timezone(name):
            raise self.make_error("invalid_zone")
        return name


class Instant(ma.fields.AwareDateTime):
    """An ISO 8601 instant with its UTC offset, between 1900-01-01 and 2200-01-01 (UTC)."""

    default_error_messages = {"out_of_range": "Give a time between {earliest} and {latest}"}

    def span(self) -> Span[datetime]:
        return CALENDAR_INSTANTS

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        span = self.span()
        if instant not in span:
            raise self.make_error(
                "out_of_range", earliest=span.earliest.isoformat(), latest=span.latest.isoformat()
            )
        return instant


class VisitInstant(Instant):
    """When a visit starts or a pickup happens: within a few years of now (see `visit_instants`)."""

    default_error_messages = {
        "out_of_range": "Visits and pickups are planned between {earliest} and {latest}"
    }

    def span(self) -> Span[datetime]:
        return visit_instants(utcnow())


class CalendarDate(ma.fields.Date):
    """An ISO 8601 date between 1900-01-01 and 2200-01-01."""

    default_error_messages = {"out_of_range": "Give a date between {earliest} and {latest}"}

    def span(self) -> Span[date]:
        return CALENDAR_DATES

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        span = self.span()
        if day not in span:
            raise self.make_error(
                "out_of_range", earliest=span.earliest.isoformat(), latest=span.latest.isoformat()
            )
        return day


class VisitDate(CalendarDate):
    """A local date visits are planned on (a series' first day, a closure): within a few years of today."""

    default_error_messages = {
        "out_of_range": "Visits are planned between {earliest} and {latest}"
    }

    def span(self) -> Span[date]:
        return visit_days(utcnow())


class BirthDate(CalendarDate):
    """A date of birth: 1900-01-01 up to today."""

    default_error_messages = {"out_of_range": "A date of birth is between {earliest} and today"}

    def span(self) -> Span[date]:
        return birth_dates(utcnow())


class RemsEnrolmentDate(CalendarDate):
    """The day a patient was enrolled in the Spravato REMS: not before the REMS began, not in the future."""

    default_error_messages = {
        "out_of_range": "A REMS enrolment is between {earliest} (when the Spravato REMS began) and today"
    }

    def span(self) -> Span[date]:
        return rems_enrolment_dates(utcnow())


class PhoneNumber(ma.fields.String):
    """A phone number in E.164 (``+12125550123``); stored normalised."""

    default_error_messages = {"invalid_phone": "Use international E.164 format, e.g. +12125550123"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text.startswith("+"):
            raise self.make_error("invalid_phone")
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            raise self.make_error("invalid_phone") from None
        if not phonenumbers.is_valid_number(number):
            raise self.make_error("invalid_phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ClockTime(ma.fields.Field):
    """A local wall-clock time written ``HH:MM``."""

    default_error_messages = {"invalid_time": "Use a 24-hour time written HH:MM, e.g. 09:30"}

    def _serialize(self, value: time | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> time:
        return parse_clock(value, self)


def parse_clock(value: Any, field: ma.fields.Field) -> time:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise field.make_error("invalid_time")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise field.make_error("invalid_time") from None


class OpeningHours(ma.fields.Field):
    """``{"mon": [["08:00", "18:00"]], ...}``: non-overlapping local ranges per weekday, checked by the
    domain's rule (clinic.domain.opening_hours) that the pages use too.

    A weekday that is missing or has no ranges is closed.
    """

    def _serialize(self, value: dict | None, attr: Any, obj: Any, **kwargs: Any) -> dict:
        return {key: value.get(key, []) for key in WEEKDAY_KEYS} if value else {k: [] for k in WEEKDAY_KEYS}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, list[list[str]]]:
        try:
            return opening_hours(value)
        except OpeningHoursError as error:
            if "_schema" in error.errors:
                raise ma.ValidationError(error.errors["_schema"]) from None
            raise ma.ValidationError(error.errors) from None
