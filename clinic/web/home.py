"""The signed-in home page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

bp = Blueprint("web_home", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.role == "provider":
        return redirect(url_for("web_provider.home"))
    return render_template("home/index.html")
