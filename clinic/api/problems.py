"""RFC 9457 problem details: the one shape every API error takes."""

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Response, jsonify

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (documentation only; responses are built by `problem_response`)."""

    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong with this request"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        metadata={"description": "Field name -> messages, for invalid input"},
    )
    conflicts = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Broken scheduling rules, for 409 answers"}
    )


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    conflicts: list[dict[str, Any]] | None = None,
    problem_type: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> Response:
    """Build an ``application/problem+json`` response."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": problem_type,
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    if errors:
        body["errors"] = errors
    if conflicts is not None:
        body["conflicts"] = conflicts
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
