"""One set of error handlers: problem documents under /api, friendly pages everywhere else."""

import logging
from typing import Any

from flask import Flask, Response, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic.api.problems import problem_response
from clinic.extensions import db
from clinic.services.errors import ServiceError, TooManyAttempts

log = logging.getLogger(__name__)

# webargs names the part of the request that failed; clients care about the field, not the location.
_LOCATION_NAMES = {"json": "body", "query": "query", "form": "body", "files": "body"}


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _field_errors(messages: Any) -> dict[str, Any]:
    """Flatten webargs' ``{"json": {"field": [...]}}`` into ``{"field": [...]}``."""
    if not isinstance(messages, dict):
        return {"body": messages if isinstance(messages, list) else [str(messages)]}
    errors: dict[str, Any] = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            errors.update(value)
        else:
            errors[_LOCATION_NAMES.get(location, location)] = value
    return errors


def _describe(errors: dict[str, Any]) -> str:
    fields = ", ".join(sorted(errors))
    return f"Check these fields: {fields}" if fields else "The request is invalid"


def _page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def handle_service_error(error: ServiceError) -> Response | tuple[str, int]:
    db.session.rollback()
    if _wants_problem():
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        if isinstance(error, TooManyAttempts):
            headers["Retry-After"] = str(error.retry_after)
        return problem_response(
            error.status,
            error.detail,
            title=error.title,
            errors=error.errors,
            conflicts=error.conflicts,
            headers=headers,
        )
    return _page(error.status, error.title, error.detail)


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if not _wants_problem():
        return _page(status, error.name, error.description or error.name)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = _field_errors(data["messages"])
        return problem_response(status, _describe(errors), errors=errors, headers=headers)
    return problem_response(status, error.description, title=error.name, headers=headers)


def handle_integrity_error(error: IntegrityError) -> Response | tuple[str, int]:
    db.session.rollback()
    log.warning("integrity error: %s", error.orig.__class__.__name__)
    detail = "The change conflicts with data saved in the meantime; reload and try again."
    if _wants_problem():
        return problem_response(409, detail)
    return _page(409, "Conflict", detail)


def handle_bad_value(error: DataError | OverflowError) -> Response | tuple[str, int]:
    db.session.rollback()
    log.warning("value refused by the database: %s", getattr(error, "orig", error).__class__.__name__)
    detail = "A value is too long or out of range for what can be stored."
    if _wants_problem():
        return problem_response(422, detail)
    return _page(422, "Invalid input", detail)


def handle_busy_database(error: OperationalError) -> Response | tuple[str, int]:
    db.session.rollback()
    log.exception("database unavailable")
    detail = "The database is busy or unreachable; try again in a moment."
    if _wants_problem():
        return problem_response(503, detail, headers={"Retry-After": "5"})
    return _page(503, "Service unavailable", detail)


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    if _wants_problem():
        return problem_response(500, "Something went wrong on our side; it has been logged.")
    return _page(500, InternalServerError.name, "Something went wrong on our side; it has been logged.")


def answer_for_commit_failure(error: Exception) -> Response | tuple[str, int]:
    """The answer for a request whose commit failed (the answer it had built is not sent)."""
    if isinstance(error, IntegrityError):
        return handle_integrity_error(error)
    if isinstance(error, DataError):
        return handle_bad_value(error)
    if isinstance(error, OperationalError):
        return handle_busy_database(error)
    return handle_unexpected(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_bad_value)
    app.register_error_handler(OverflowError, handle_bad_value)
    app.register_error_handler(OperationalError, handle_busy_database)
    app.register_error_handler(Exception, handle_unexpected)
