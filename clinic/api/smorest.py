"""flask-smorest's Api and Blueprint adapted to problem details and bearer-token access control."""

import http
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from clinic.api.problems import PROBLEM_CONTENT_TYPE, ProblemSchema
from clinic.domain.policy import Action, roles_for
from clinic.extensions import db
from clinic.services.errors import NotAuthenticated, PermissionDenied


class ProblemApi(Api):
    """An Api whose errors are documented as, and rendered by the app as, RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        # The app registers one handler for API and web errors alike (clinic.errors).
        pass

    def _register_responses(self) -> None:
        """Document every error status (and the default error) as application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_CONTENT_TYPE
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class ApiBlueprint(Blueprint):
    """A blueprint whose endpoints declare which staff roles may call them."""

    def access(self, action: Action) -> Callable:
        """Allow the staff roles the access policy grants the action; others get 401 (no token) or 403.

        Put it above the other decorators so access is checked before the body is parsed. Which records of
        a patient the action may touch is checked again, per object, by the use case.
        """
        roles = roles_for(action)

        def decorator(view: Callable) -> Callable:
            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                user = g.get("api_user")
                if user is None:
                    raise NotAuthenticated("Sign in with a bearer token: Authorization: Bearer <token>")
                if user.role not in roles:
                    raise PermissionDenied(f"This needs one of the roles: {', '.join(roles)}")
                return view(*args, **kwargs)

            for status, description in ((401, "Not signed in"), (403, "Role not allowed")):
                wrapper = self.alt_response(
                    status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE, description=description
                )(wrapper)
            return wrapper

        return decorator

    def response(self, status_code: int, schema: Any = None, **kwargs: Any) -> Callable:
        """flask-smorest's response, with pending writes flushed before the answer is built from them
        (new rows get their ids); the request's unit of work commits once the answer exists."""
        dump = super().response(status_code, schema, **kwargs)

        def decorator(view: Callable) -> Callable:
            @wraps(view)
            def flushed(*args: Any, **kwargs: Any) -> Any:
                result = view(*args, **kwargs)
                db.session.flush()
                return result

            return dump(flushed)

        return decorator

    def problem(self, status: int, description: str) -> Callable:
        """Document another problem answer of an endpoint."""
        return self.alt_response(
            status, schema=ProblemSchema, content_type=PROBLEM_CONTENT_TYPE, description=description
        )
