"""The front desk's list of texts from patients waiting for an answer."""

from flask import Blueprint, flash, redirect, render_template, url_for

from clinic.clock import utcnow
from clinic.domain.messages import MessageStatus
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.services.errors import ServiceError
from clinic.services.messages import load_message, mark_handled, messages_for
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import ActionForm

bp = Blueprint("web_messages", __name__, url_prefix="/messages")


@bp.route("/")
@permission_required(Action.MESSAGES_READ)
def index():
    messages = messages_for(web_actor(), MessageStatus.OPEN)
    return render_template("messages/index.html", messages=messages, action_form=ActionForm())


@bp.route("/<int:message_id>/handled", methods=["POST"])
@permission_required(Action.MESSAGES_HANDLE)
def handled(message_id: int):
    actor = web_actor()
    message = load_message(actor, Action.MESSAGES_HANDLE, message_id)
    if ActionForm().validate():
        try:
            mark_handled(message, actor, utcnow())
            flash("The message is marked as handled.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(error.detail, "error")
    return redirect(url_for(".index"))
