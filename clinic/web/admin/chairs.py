"""The admin's chair pages: every chair and Spravato room by location, adding one, and changing or retiring
it (a chair that visits still hold stays active until they are moved)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.chair import Chair
from clinic.services.chairs import create_chair, list_chairs, upcoming_visit_counts, update_chair
from clinic.services.errors import ServiceError
from clinic.services.locations import list_locations
from clinic.services.lookup import get_or_404
from clinic.web.access import permission_required, web_actor
from clinic.web.admin.location_forms import CHAIR_KIND_LABELS, ChairEditForm, ChairForm
from clinic.web.admin.locations import refused

bp = Blueprint("web_admin_chairs", __name__, url_prefix="/admin/chairs")


@bp.route("/")
@permission_required(Action.CLINIC_CONFIGURE)
def index():
    locations = list_locations()
    chairs = list_chairs()
    by_location = [
        (location, [chair for chair in chairs if chair.location_id == location.id]) for location in locations
    ]
    return render_template(
        "admin/chairs/index.html",
        by_location=by_location,
        upcoming=upcoming_visit_counts([chair.id for chair in chairs], utcnow()),
        kinds=CHAIR_KIND_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def new():
    locations = list_locations()
    if request.method == "POST":
        form = ChairForm()
    else:
        form = ChairForm(formdata=None, location_id=request.args.get("location_id", type=int))
    form.set_locations(locations)
    status = 200
    if not locations:
        flash("Add a location first: every chair is at one.", "info")
    elif form.validate_on_submit():
        try:
            chair = create_chair(form.chair_data(), web_actor(), utcnow())
        except ServiceError as error:
            status = refused(form, error)
        else:
            flash(f"{chair.name} added at {chair.location.name}.", "success")
            return redirect(url_for(".index"))
    elif form.errors:
        status = 400
    return render_template("admin/chairs/form.html", form=form, chair=None, upcoming=0), status


@bp.route("/<int:chair_id>", methods=["GET", "POST"])
@permission_required(Action.CLINIC_CONFIGURE)
def edit(chair_id: int):
    chair = get_or_404(Chair, chair_id, "chair")
    form = ChairEditForm() if request.method == "POST" else ChairEditForm(formdata=None, obj=chair)
    form.set_locations(list_locations())
    status = 200
    if form.validate_on_submit():
        try:
            update_chair(chair, form.chair_data(), web_actor(), utcnow())
        except ServiceError as error:
            moving = form.location_id.data != chair.location_id
            status = refused(form, error, conflict_field="location_id" if moving else "active")
        else:
            flash(f"{chair.name} saved.", "success")
            return redirect(url_for(".index"))
    elif form.errors:
        status = 400
    upcoming = upcoming_visit_counts([chair.id], utcnow()).get(chair.id, 0)
    return render_template("admin/chairs/form.html", form=form, chair=chair, upcoming=upcoming), status
