"""The admin's pages under /admin: setting up the clinic (locations, chairs, providers, protocols) and its
staff accounts. Each section is a module with its own blueprint; this one is the index linking them."""

from flask import Blueprint, current_app, render_template

from clinic.domain.policy import Action
from clinic.web.access import permission_required

bp = Blueprint("web_admin", __name__, url_prefix="/admin")

# (endpoint, title, what it is for): a section appears once its module is registered.
SECTIONS = (
    ("web_admin_locations.index", "Locations", "Opening hours, closures and public holidays"),
    ("web_admin_chairs.index", "Chairs and rooms", "What a dosing visit holds for its monitored recovery"),
    ("web_admin_providers.index", "Providers", "Roles, capacity, weekly availability and time off"),
    ("web_admin_protocols.index", "Protocols", "Copy a built-in protocol and adapt its phases and rules"),
    ("web_admin_users.index", "Staff accounts", "Sign-ins, roles, disabling and password resets"),
)


@bp.route("/")
@permission_required(Action.CLINIC_CONFIGURE)
def index():
    built = [section for section in SECTIONS if section[0] in current_app.view_functions]
    return render_template("admin/index.html", sections=built)
