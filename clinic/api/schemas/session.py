"""Schemas of the dosing session: check-in and its undo, the dose, discharge. Loading builds the use case's
typed command."""

import marshmallow as ma
from marshmallow import validate

from clinic.services.commands import CheckIn, Discharge, RecordDose, UndoCheckIn


def _stripped(data, names: tuple[str, ...]):
    if isinstance(data, dict):
        data = {**data, **{n: data[n].strip() for n in names if isinstance(data.get(n), str)}}
    return data


class CheckInSchema(ma.Schema):
    override_reason = ma.fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Why staff let the patient in without a ride home; audited and shown"},
    )

    @ma.pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data, ("override_reason",))

    @ma.post_load
    def _command(self, data, **kwargs) -> CheckIn:
        return CheckIn(**data)


class DischargeSchema(ma.Schema):
    override_reason = ma.fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "Why the patient goes home despite a broken rule: staff may pass the escort rule, "
            "only a provider the clinical rules; audited and shown"
        },
    )

    @ma.pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data, ("override_reason",))

    @ma.post_load
    def _command(self, data, **kwargs) -> Discharge:
        return Discharge(**data)


class UndoCheckInSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))

    @ma.pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data, ("reason",))

    @ma.post_load
    def _command(self, data, **kwargs) -> UndoCheckIn:
        return UndoCheckIn(**data)


class DoseLoadSchema(ma.Schema):
    dose_mg = ma.fields.Decimal(
        required=True,
        allow_nan=False,
        metadata={"type": "number", "description": "Spravato: 28, 56 or 84; IV ketamine: within the range"},
    )
    lot_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    devices = ma.fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=100),
        allow_none=True,
        metadata={"description": "Spravato: one 28 mg device per 28 mg (the default)"},
    )
    given_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "Defaults to now"})
    correction_reason = ma.fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Needed when the dose corrects the one recorded before"},
    )
    prescriber_confirmation = ma.fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "Who confirmed the dose when the blood pressure before it was above the "
            "protocol's confirmation limit (140/90 by default); without it such a dose answers 409 "
            "prescriber_confirmation_needed"
        },
    )

    @ma.pre_load
    def _strip(self, data, **kwargs):
        return _stripped(data, ("lot_number", "correction_reason", "prescriber_confirmation"))

    @ma.post_load
    def _command(self, data, **kwargs) -> RecordDose:
        return RecordDose(**data)


class DoseDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    appointment_id = ma.fields.Integer()
    dose_mg = ma.fields.Float()
    devices = ma.fields.Integer(allow_none=True)
    lot_number = ma.fields.String()
    given_at = ma.fields.Function(lambda d: d.given_at.astimezone(d.appointment.location.zone).isoformat())
    recorded_at = ma.fields.AwareDateTime()
    recorded_by = ma.fields.String(attribute="recorded_by_label")
    amends_id = ma.fields.Integer(allow_none=True)
    correction_reason = ma.fields.String(allow_none=True)
    prescriber_confirmation = ma.fields.String(allow_none=True)


check_in_schema = CheckInSchema()
discharge_schema = DischargeSchema()
undo_check_in_schema = UndoCheckInSchema()
dose_load_schema = DoseLoadSchema()
dose_dump_schema = DoseDumpSchema()
