"""Role gates for pages, from the access policy."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_login import current_user, login_required

from clinic.domain.policy import Action, roles_for
from clinic.services.actor import Actor
from clinic.services.errors import PermissionDenied


def permission_required(action: Action) -> Callable:
    """Signed-in staff whose role the access policy grants the action; others see a 403 page."""
    roles = roles_for(action)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                raise PermissionDenied("Your role does not give access to this page.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def web_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, remote_addr=request.remote_addr or "")
