"""The floor board: a location's chairs with the visit in each now, refreshing itself, and the actions the
nurses' station takes from it (check in, blood pressure, sedation, dose, discharge).

Each action calls the same use case as the appointment page and the API, then returns to the board with
what happened (or every rule in the way) as a message.
"""

from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action, may
from clinic.extensions import db
from clinic.formatting import Place
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.services.access import load_for
from clinic.services.errors import NotFound, ServiceError
from clinic.services.floor import FloorBoard, floor_board
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.services.session import check_in, discharge, record_dose
from clinic.web.access import permission_required, web_actor
from clinic.web.clinical import record_from_form
from clinic.web.forms import (
    ActionForm,
    BloodPressureForm,
    DoseForm,
    OverrideForm,
    SedationForm,
)

bp = Blueprint("web_floor", __name__, url_prefix="/floor")


def _board():
    locations = list_locations()
    if not locations:
        raise NotFound("No location has been set up yet.")
    location_id = request.args.get("location_id", type=int) or locations[0].id
    location = get_or_404(Location, location_id, "location")
    return locations, floor_board(location, web_actor(), utcnow())


# A visit id no board shows, in the URLs built once per request (see `floor_url`).
_STAND_IN_ID = 9_876_543_210
_ACTION_ENDPOINTS = {
    "show": ("web_appointments.show", {}),
    "check_in": ("web_floor.check_in_visit", {}),
    "bp": ("web_floor.measure", {"instrument": "bp"}),
    "sedation": ("web_floor.measure", {"instrument": "sedation"}),
    "dose": ("web_floor.dose", {}),
    "discharge": ("web_floor.discharge_visit", {}),
}


@bp.app_template_filter("floor_url")
def floor_url(appointment_id: int, action: str) -> str:
    """`url_for` of a visit's page ("show") or of a board action on it, built once per request with a
    stand-in id that the visit's own replaces: a board of 200 chairs asks for hundreds of them."""
    built = g.setdefault("floor_action_urls", {})
    url = built.get(action)
    if url is None:
        endpoint, values = _ACTION_ENDPOINTS[action]
        url = built[action] = url_for(endpoint, appointment_id=_STAND_IN_ID, **values)
    return url.replace(str(_STAND_IN_ID), str(int(appointment_id)))


def _context(board: FloorBoard) -> dict:
    """What the board's template reads besides the board: the location's conventions as a `Place` (read
    hundreds of times, once per time shown), what the user may do and the forms of those actions."""
    role = current_user.role
    return {
        "place": Place(board.location.zone, board.location.locale),
        "can": {
            "check_in": may(role, Action.VISIT_CHECK_IN),
            "measure": may(role, Action.MEASUREMENT_RECORD),
            "dose": may(role, Action.DOSE_RECORD),
            "discharge": may(role, Action.VISIT_DISCHARGE),
        },
        "action_form": ActionForm(),
        "bp_form": BloodPressureForm(),
        "sedation_form": SedationForm(),
        "dose_form": DoseForm(),
        "override_form": OverrideForm(),
    }


@bp.route("/")
@permission_required(Action.FLOOR_READ)
def index():
    locations, board = _board()
    return render_template("floor/index.html", board=board, locations=locations, **_context(board))


@bp.route("/board")
@permission_required(Action.FLOOR_READ)
def board():
    _, board = _board()
    return render_template("floor/_board.html", board=board, **_context(board))


def _visit(appointment_id: int, action: Action) -> Appointment:
    return load_for(web_actor(), action, Appointment, appointment_id, "appointment")


def _back_to_board(appointment: Appointment):
    target = url_for(".index", location_id=appointment.location_id)
    return redirect(f"{target}#chair-{appointment.chair_id}" if appointment.chair_id else target)


def _refusal(error: ServiceError) -> str:
    rules = [c["message"] for c in error.conflicts or [] if c.get("message")]
    if rules:
        return "; ".join(rules)
    fields = [f"{', '.join(messages)}" for messages in (error.errors or {}).values()]
    return "; ".join(fields) or error.detail


def _act(appointment: Appointment, valid: bool, use_case: Callable[[], object], done: str, refused: str):
    """Run one use case for the visit and go back to the board saying what happened."""
    who = appointment.patient.full_name
    if not valid:
        flash(f"{refused} ({who}): fill in every field within its range.", "error")
        return _back_to_board(appointment)
    try:
        use_case()
    except ServiceError as error:
        db.session.rollback()
        flash(f"{refused} ({who}): {_refusal(error)}", "error")
        return _back_to_board(appointment)
    flash(f"{done} ({who}).", "success")
    return _back_to_board(appointment)


@bp.route("/visits/<int:appointment_id>/check-in", methods=["POST"])
@permission_required(Action.VISIT_CHECK_IN)
def check_in_visit(appointment_id: int):
    appointment = _visit(appointment_id, Action.VISIT_CHECK_IN)
    command = OverrideForm().check_in_command()
    return _act(
        appointment,
        ActionForm().validate(),
        lambda: check_in(appointment, command, web_actor(), utcnow()),
        "Checked in",
        "Not checked in",
    )


@bp.route("/visits/<int:appointment_id>/dose", methods=["POST"])
@permission_required(Action.DOSE_RECORD)
def dose(appointment_id: int):
    appointment = _visit(appointment_id, Action.DOSE_RECORD)
    form = DoseForm()
    return _act(
        appointment,
        form.validate(),
        lambda: record_dose(appointment, form.command(), web_actor(), utcnow()),
        "Dose recorded",
        "Dose not recorded",
    )


@bp.route("/visits/<int:appointment_id>/measurements/<any(bp, sedation):instrument>", methods=["POST"])
@permission_required(Action.MEASUREMENT_RECORD)
def measure(appointment_id: int, instrument: str):
    appointment = _visit(appointment_id, Action.MEASUREMENT_RECORD)
    record_from_form(appointment, instrument)
    return _back_to_board(appointment)


@bp.route("/visits/<int:appointment_id>/discharge", methods=["POST"])
@permission_required(Action.VISIT_DISCHARGE)
def discharge_visit(appointment_id: int):
    appointment = _visit(appointment_id, Action.VISIT_DISCHARGE)
    command = OverrideForm().discharge_command()
    return _act(
        appointment,
        ActionForm().validate(),
        lambda: discharge(appointment, command, web_actor(), utcnow()),
        "Discharged",
        "Not discharged",
    )
