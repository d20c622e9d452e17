"""The admin's protocol pages: the built-in protocols and the clinic's own, copying one and changing the
copy's phases, timings, follow-ups and session rules (validated by the domain, errors next to the field)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.domain.protocols import protocol_to_dict
from clinic.extensions import db
from clinic.models.protocol import Protocol
from clinic.services.errors import NotFound, ServiceError
from clinic.services.protocols import create_protocol, list_protocols, update_protocol
from clinic.web.access import permission_required, web_actor
from clinic.web.admin.protocol_forms import PHASE_ROWS, ProtocolForm, definition_changes, field_for, fill

bp = Blueprint("web_admin_protocols", __name__, url_prefix="/admin/protocols")


def _protocol(code: str) -> Protocol:
    protocol = db.session.scalar(select(Protocol).where(Protocol.code == code))
    if protocol is None:
        raise NotFound(f"No protocol with code {code!r}")
    return protocol


@bp.route("/")
@permission_required(Action.CLINIC_CONFIGURE)
def index():
    return render_template("admin/protocols/index.html", protocols=list_protocols(include_inactive=True))


def _render(form: ProtocolForm, protocol: Protocol | None, status: int):
    return render_template(
        "admin/protocols/form.html", form=form, protocol=protocol, phase_rows=range(PHASE_ROWS)
    ), status


def _show_errors(form: ProtocolForm, error: ServiceError) -> None:
    db.session.rollback()
    unplaced = []
    for name, messages in (error.errors or {}).items():
        target = field_for(name)
        if target and target in form:
            form[target].errors = [*form[target].errors, *messages]
        else:
            unplaced += [f"{name}: {m}" for m in messages]
    flash("Not saved: " + ("; ".join(unplaced) if unplaced else "see the fields marked below."), "error")


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def new():
    form = ProtocolForm()
    form.based_on.choices = [SelectChoice(p.code, p.name) for p in list_protocols(include_inactive=True)]
    base_code = request.args.get("based_on") if request.method == "GET" else form.based_on.data
    base = db.session.scalar(select(Protocol).where(Protocol.code == base_code)) if base_code else None
    if base is None:
        base = list_protocols()[0]
    if request.method == "GET":
        form.based_on.data = base.code
        form.name.data = f"{base.name} (our version)"
        form.code.data = f"{base.code}-ours"
        fill(form, protocol_to_dict(base.spec()))
        return _render(form, None, 200)
    if not form.validate():
        return _render(form, None, 422)
    try:
        created = create_protocol(
            form.code.data,
            form.name.data,
            base.code,
            definition_changes(form, protocol_to_dict(base.spec())),
            web_actor(),
            utcnow(),
        )
    except ServiceError as error:
        _show_errors(form, error)
        return _render(form, None, error.status)
    flash(f"Protocol {created.name} added; it can be booked now.", "success")
    return redirect(url_for(".index"))


@bp.route("/<string:code>", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def edit(code: str):
    protocol = _protocol(code)
    form = ProtocolForm()
    del form.based_on  # a protocol's template is chosen once, when it is copied
    if request.method == "GET":
        form.code.data, form.name.data = protocol.code, protocol.name
        fill(form, protocol_to_dict(protocol.spec()))
        return _render(form, protocol, 200)
    form.code.data = protocol.code  # the code never changes: series and visits name it
    if protocol.builtin:
        flash("A built-in protocol cannot be changed: copy it and change the copy.", "error")
        return _render(form, protocol, 409)
    if not form.validate():
        return _render(form, protocol, 422)
    changes = {
        "name": form.name.data,
        "definition": definition_changes(form, protocol_to_dict(protocol.spec())),
    }
    if "withdraw" in request.form or "restore" in request.form:
        changes = {"active": "restore" in request.form}
    try:
        update_protocol(protocol, changes, web_actor(), utcnow())
    except ServiceError as error:
        _show_errors(form, error)
        return _render(form, protocol, error.status)
    flash(
        f"Protocol {protocol.name} saved. Series already booked keep the protocol they were booked with.",
        "success",
    )
    return redirect(url_for(".index"))
