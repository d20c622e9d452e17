"""Calendar feed pages: a patient's subscription link (with a QR code to scan at the desk), a provider's own
feed and a location's staff feed. Links are shown once, when they are made: only a hash of the token is
stored."""

import segno
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.location import Location
from clinic.services.errors import ServiceError
from clinic.services.feeds import (
    LOCATION_AHEAD,
    LOCATION_BACK,
    LOCATION_MAX_EVENTS,
    IssuedFeed,
    active_feed,
    issue_feed,
    revoke_feed,
)
from clinic.web.access import permission_required, web_actor
from clinic.web.forms import ActionForm

bp = Blueprint("web_feeds", __name__)


def qr_svg(url: str) -> str:
    """An inline SVG QR code of the subscription URL, to scan with a phone camera at the desk."""
    return segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def _issued_page(template: str, issued: IssuedFeed, **context):
    return render_template(
        template, issued=issued, qr=qr_svg(issued.webcal_url), action_form=ActionForm(), **context
    )


@bp.route("/patients/<int:patient_id>/feed", methods=["POST"])
@permission_required(Action.PATIENT_FEED_MANAGE)
def rotate_patient_feed(patient_id: int):
    if not ActionForm().validate():
        abort(400)
    issued = issue_feed("patient", patient_id, web_actor(), utcnow())
    return _issued_page("feeds/issued.html", issued, back=url_for("web_patients.show", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/feed/revoke", methods=["POST"])
@permission_required(Action.PATIENT_FEED_MANAGE)
def revoke_patient_feed(patient_id: int):
    if ActionForm().validate():
        try:
            revoke_feed("patient", patient_id, web_actor(), utcnow())
            flash("The calendar feed link no longer works.", "success")
        except ServiceError as error:
            db.session.rollback()
            flash(error.detail, "error")
    return redirect(url_for("web_patients.show", patient_id=patient_id))


@bp.route("/me/feed", methods=["GET", "POST"])
@permission_required(Action.PROVIDER_FEED_MANAGE)
def my_feed():
    provider_id = current_user.provider_id
    if provider_id is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        issued = issue_feed("provider", provider_id, web_actor(), utcnow())
        return _issued_page("feeds/issued.html", issued, back=url_for("web_feeds.my_feed"))
    return render_template("feeds/mine.html", feed=active_feed("provider", provider_id), action_form=form)


@bp.route("/locations/<int:location_id>/feed", methods=["GET", "POST"])
@permission_required(Action.LOCATION_FEED_MANAGE)
def location_feed(location_id: int):
    """A staff feed of every chair at a location; it covers a shorter window than other feeds (see
    clinic.services.feeds), which the page says."""
    location = db.session.get(Location, location_id)
    if location is None:
        abort(404)
    span = {"back": LOCATION_BACK.days, "ahead": LOCATION_AHEAD.days, "max_events": LOCATION_MAX_EVENTS}
    form = ActionForm()
    if form.validate_on_submit():
        issued = issue_feed("location", location_id, web_actor(), utcnow())
        back = url_for("web_feeds.location_feed", location_id=location_id)
        return _issued_page("feeds/issued.html", issued, back=back, kind="location", span=span)
    return render_template(
        "feeds/location.html",
        location=location,
        feed=active_feed("location", location_id),
        span=span,
        action_form=form,
    )
