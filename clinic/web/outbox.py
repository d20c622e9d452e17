"""The outbox page: failed sends first, then what is due, then what just went out."""

from flask import Blueprint, flash, redirect, render_template, url_for

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.reminder import Reminder
from clinic.services.errors import ServiceError
from clinic.services.lookup import get_or_404
from clinic.services.reminders import outbox, retry_reminder
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import ActionForm

bp = Blueprint("web_outbox", __name__, url_prefix="/outbox")


@bp.route("/")
@permission_required(Action.OUTBOX_MANAGE)
def index():
    return render_template("outbox/index.html", outbox=outbox(utcnow()), action_form=ActionForm())


@bp.route("/<int:reminder_id>/retry", methods=["POST"])
@permission_required(Action.OUTBOX_MANAGE)
def retry(reminder_id: int):
    reminder = get_or_404(Reminder, reminder_id, "reminder")
    if ActionForm().validate():
        try:
            retry_reminder(reminder, web_actor(), utcnow())
            flash("The reminder will be sent again.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(error.detail, "error")
    return redirect(url_for(".index"))
