"""The admin's staff account pages: the list, creating an account, and an account's page to change its role,
disable or enable it and set a new password. Disabling and a new password end the account's sessions."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.models.user import User
from clinic.services.errors import ServiceError
from clinic.services.lookup import get_or_404
from clinic.services.providers import list_providers
from clinic.services.users import create_user, list_users, update_user
from clinic.web.access import permission_required, web_actor
from clinic.web.admin.people_forms import (
    NO_PROVIDER,
    ROLE_NAMES,
    AccountRoleForm,
    PasswordResetForm,
    UserCreateForm,
    show_service_error,
)
from clinic.web.forms import ActionForm

bp = Blueprint("web_admin_users", __name__, url_prefix="/admin/users")

PASSWORD_FIELDS = {"password": "new_password"}


def _load(user_id: int) -> User:
    return get_or_404(User, user_id, "user")


def _with_providers(form: AccountRoleForm, linked_id: int | None = None) -> AccountRoleForm:
    """Offer the active providers (and the one already linked, even if inactive) to link an account to."""
    providers = [p for p in list_providers() if p.active or p.id == linked_id]
    form.provider_id.choices = [
        SelectChoice(NO_PROVIDER, "None"),
        *(SelectChoice(p.id, f"{p.name} ({p.role})") for p in providers),
    ]
    return form


def _page(user: User, status: int = 200, **forms):
    forms.setdefault(
        "role_form",
        _with_providers(
            AccountRoleForm(formdata=None, role=user.role, provider_id=user.provider_id), user.provider_id
        ),
    )
    forms.setdefault("password_form", PasswordResetForm(formdata=None))
    return render_template(
        "admin/users/show.html",
        user=user,
        role_names=ROLE_NAMES,
        is_self=user.id == current_user.id,
        action_form=ActionForm(formdata=None),
        **forms,
    ), status


@bp.route("/")
@permission_required(Action.USERS_MANAGE)
def index():
    return render_template(
        "admin/users/index.html", users=list_users(), role_names=ROLE_NAMES
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.USERS_MANAGE)
def new():
    form = _with_providers(UserCreateForm())
    if form.validate_on_submit():
        try:
            user = create_user(
                form.email.data or "",
                form.password.data or "",
                form.role.data,
                web_actor(),
                utcnow(),
                form.provider_id.data,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
            return render_template("admin/users/new.html", form=form), error.status
        flash(f"Created the account {user.email}; it can sign in now.", "success")
        return redirect(url_for(".index"))
    return render_template("admin/users/new.html", form=form), 400 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission_required(Action.USERS_MANAGE)
def show(user_id: int):
    user = _load(user_id)
    form = _with_providers(AccountRoleForm(), user.provider_id)
    if not form.is_submitted():
        return _page(user)
    if not form.validate():
        return _page(user, 400, role_form=form)
    try:
        changes = {"role": form.role.data, "provider_id": form.provider_id.data}
        update_user(user, changes, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error)
        return _page(_load(user_id), error.status, role_form=form)
    flash("Saved.", "success")
    return redirect(url_for(".show", user_id=user_id))


def _set_active(user_id: int, active: bool):
    user = _load(user_id)
    if not ActionForm().validate():
        return _page(user, 400)
    try:
        update_user(user, {"active": active}, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        flash(" ".join(m for ms in (error.errors or {}).values() for m in ms) or error.detail, "error")
        return _page(_load(user_id), error.status)
    if active:
        flash(f"Enabled {user.email}: the account can sign in again.", "success")
    else:
        flash(f"Disabled {user.email}: its sessions have ended and it cannot sign in.", "success")
    return redirect(url_for(".show", user_id=user_id))


@bp.route("/<int:user_id>/disable", methods=["POST"])
@permission_required(Action.USERS_MANAGE)
def disable(user_id: int):
    return _set_active(user_id, False)


@bp.route("/<int:user_id>/enable", methods=["POST"])
@permission_required(Action.USERS_MANAGE)
def enable(user_id: int):
    return _set_active(user_id, True)


@bp.route("/<int:user_id>/password", methods=["POST"])
@permission_required(Action.USERS_MANAGE)
def reset_password(user_id: int):
    user = _load(user_id)
    form = PasswordResetForm()
    if not form.validate():
        return _page(user, 400, password_form=form)
    try:
        update_user(user, {"password": form.new_password.data or ""}, web_actor(), utcnow())
    except ServiceError as error:
        db.session.rollback()
        show_service_error(form, error, PASSWORD_FIELDS)
        return _page(_load(user_id), error.status, password_form=form)
    flash(f"New password set for {user.email}; its sessions have ended.", "success")
    return redirect(url_for(".show", user_id=user_id))
