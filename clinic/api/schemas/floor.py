"""The floor board's query and answer.

The answer is declared field by field (the OpenAPI document shows it), and written out by `board_json`:
marshmallow took a fifth of the request with 200 busy chairs. A test keeps the two the same.
"""

from datetime import datetime
from typing import Any

import marshmallow as ma

from clinic.api.schemas.fields import DatabaseId
from clinic.domain.floor import FloorPhase
from clinic.services.floor import FloorBoard, FloorVisit


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


class PatientAnswerSchema(ma.Schema):
    instrument = ma.fields.String(metadata={"description": "phq9 or gad7"})
    total = ma.fields.Integer(
        allow_none=True, metadata={"description": "the score; null for a role that may not read measurements"}
    )
    recorded_at = ma.fields.AwareDateTime()
    urgent = ma.fields.Boolean(metadata={"description": "the answers raised an urgent alert (PHQ-9 item 9)"})


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
    patient_answers = ma.fields.List(
        ma.fields.Nested(PatientAnswerSchema),
        metadata={"description": "what the patient answered by link for this visit, latest of each"},
    )


class FloorChairSchema(ma.Schema):
    chair_id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    visit = ma.fields.Nested(FloorVisitSchema, allow_none=True)


class FloorBoardSchema(ma.Schema):
    location_id = ma.fields.Integer(attribute="location.id")
    now = ma.fields.AwareDateTime()
    chairs = ma.fields.List(ma.fields.Nested(FloorChairSchema))

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The board as the declared fields serialize it (see `board_json`)."""
        if isinstance(obj, FloorBoard) and not (self.many if many is None else many):
            return board_json(obj)
        return super().dump(obj, many=many)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _visit_json(visit: FloorVisit) -> dict[str, Any]:
    due = visit.next_check
    ride = visit.ride
    return {
        "appointment_id": visit.appointment_id,
        "patient_name": visit.patient_name,
        "phase": visit.phase.value,
        "start": visit.start.isoformat(),
        "checked_in_at": _instant(visit.checked_in_at),
        "dose_given_at": _instant(visit.dose_given_at),
        "completed_at": _instant(visit.completed_at),
        "monitoring_until": _instant(visit.monitoring_until),
        "next_check": None
        if due is None
        else {"name": due.name, "due_at": due.due_at.isoformat(), "overdue": due.overdue},
        "checks": [
            {
                "name": c.name,
                "due_at": _instant(c.due_at),
                "done_at": _instant(c.done_at),
                "overdue": c.overdue,
            }
            for c in visit.checks
        ],
        "ride": None
        if ride is None
        else {"status": str(ride["status"]), "pickup_at": _instant(ride["pickup_at"])},
        "patient_answers": [
            {
                "instrument": answer.instrument,
                "total": answer.total,
                "recorded_at": answer.recorded_at.isoformat(),
                "urgent": answer.urgent,
            }
            for answer in visit.patient_answers
        ],
    }


def board_json(board: FloorBoard) -> dict[str, Any]:
    """What FloorBoardSchema's fields make of the board (ISO 8601 instants, phases by value), written out
    directly: the same dict, in a fraction of the time."""
    return {
        "location_id": board.location.id,
        "now": board.now.isoformat(),
        "chairs": [
            {
                "chair_id": chair.chair_id,
                "name": chair.name,
                "kind": chair.kind,
                "visit": None if chair.visit is None else _visit_json(chair.visit),
            }
            for chair in board.chairs
        ],
    }


floor_board_schema = FloorBoardSchema()
