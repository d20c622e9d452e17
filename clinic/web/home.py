"""The signed-in home page."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("web_home", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("home/index.html")
