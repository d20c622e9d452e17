"""Hostile request bodies are refused before any view or schema sees them.

Size is capped by ``MAX_CONTENT_LENGTH`` (werkzeug answers 413). A JSON body is parsed once here and refused
with 400 when it nests deeper than any real request does (deep nesting exhausts the parser's recursion, and
a 500 is never an answer to input) or carries text that is not valid Unicode, such as a lone surrogate
``"\\ud800"``, which no database can store.
"""

import json

from flask import Flask, current_app, request
from flask_limiter.util import get_qualified_name
from werkzeug.exceptions import BadRequest

from clinic.extensions import limiter

MAX_JSON_DEPTH = 32


class HostileBody(BadRequest):
    pass


def _check_value(document: object) -> None:
    """Walk the parsed document without recursion: depth and Unicode validity of every key and string."""
    pending: list[tuple[object, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise HostileBody(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise HostileBody("The JSON body contains text that is not valid Unicode.") from None


def check_json_body(body: bytes) -> None:
    """Raise HostileBody (400) for a JSON body too deep or not valid Unicode; malformed JSON is left to
    the parsers, which answer it with their own 400."""
    if not body.strip():
        return
    try:
        document = json.loads(body)
    except RecursionError:
        raise HostileBody(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError:
        return
    _check_value(document)


def _check_request() -> None:
    if request.is_json:
        check_json_body(request.get_data(cache=True))


def endpoint_is_rate_limited() -> bool:
    """Whether the request's endpoint has a rate limit (a default or application limit, a limit on its view or
    blueprint). flask-limiter's request hooks run only where one does (clinic.create_app): for every other
    request they would work out and evaluate an empty set of limits, at a cost above that of every other
    hook together. Limits are declared at import, so the answer is kept per endpoint."""
    app = current_app._get_current_object()
    endpoint = request.endpoint or ""
    known: dict[str, bool] = app.extensions.setdefault("clinic.rate_limited_endpoints", {})
    limited = known.get(endpoint)
    if limited is None:
        manager = limiter.limit_manager
        view = app.view_functions.get(endpoint)
        limited = known[endpoint] = bool(
            manager.default_limits
            or manager.application_limits
            or (view is not None and manager.decorated_limits(get_qualified_name(view)))
            or (request.blueprint and manager.blueprint_limits(app, request.blueprint))
        )
    return limited


def register_request_limits(app: Flask) -> None:
    app.before_request(_check_request)
