"""Sign-in and sign-out pages."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from clinic.clock import utcnow
from clinic.services.auth import authenticate, end_session, start_session
from clinic.services.errors import TooManyAttempts
from clinic.web.access import web_actor
from clinic.web.forms import LoginForm, LogoutForm

bp = Blueprint("web_auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("web_home.index")


def _drop_csrf_token() -> None:
    """A token a page showed before sign-in must not work after it; the next page gets a new one."""
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field_name, None)
    g.pop(field_name, None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web_home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = authenticate(form.email.data, form.password.data, web_actor(), now)
        except TooManyAttempts as refused:
            flash("Too many sign-in attempts. Wait a few minutes, then try again.", "error")
            headers = {"Retry-After": str(refused.retry_after)}
            return render_template("auth/login.html", form=form), 429, headers
        if user is None:
            flash("Wrong e-mail or password, or the account is disabled.", "error")
            return render_template("auth/login.html", form=form), 401
        user.session_key = start_session(user, "web", now).key
        _drop_csrf_token()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit() and current_user.is_authenticated:
        end_session(current_user.session_key, "web", web_actor(), utcnow())
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("web_auth.login"))
