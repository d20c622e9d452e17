"""Response headers every answer carries, request ids, the Content-Security-Policy the pages satisfy, and the
session cookie."""

import os
import re

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

# Everything the pages use is served from this origin: vendored CSS and scripts, no inline script or style.
# Swagger UI draws its icons as data: images and builds some inline styles; those two allowances are scoped
# to the docs page only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
HSTS = "max-age=63072000; includeSubDomains"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID")
    # 32 random hex digits, as a UUID's hex would be, without building one.
    g.request_id = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()


# Set on every answer unless the view set its own (the feed sets a stricter Referrer-Policy, for one).
_DEFAULT_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_DEFAULT_HEADER_NAMES = tuple((name.lower(), name, value) for name, value in _DEFAULT_HEADERS)


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    # Which headers the view set, read once: asking werkzeug's Headers for a missing one raises and
    # catches an exception each time, which cost more than everything else this hook does.
    present = {name.lower() for name, _ in headers}
    for lowered, name, value in _DEFAULT_HEADER_NAMES:
        if lowered not in present:
            headers.add(name, value)
    path = request.path
    if "content-security-policy" not in present:
        docs = path.startswith("/api/docs")
        policy = DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        headers.add("Content-Security-Policy", policy)
    if "strict-transport-security" not in present and (request.is_secure or _config_secure()):
        headers.add("Strict-Transport-Security", HSTS)
    request_id = g.get("request_id")
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    if "cache-control" not in present and request.endpoint and not path.startswith("/static/"):
        headers.add("Cache-Control", "no-store")  # pages and API answers carry patient data
    return response


def _config_secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


# Where the session opened for a request is kept (the WSGI environ is the request's own), so a hook can tell
# whether the session is in use without reading it: reading it marks the answer `Vary: Cookie`.
_SESSION_KEY = "clinic.session"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, without its per-request set-up where there is no cookie to read.

    Flask builds a signing serializer on every request, to read a cookie most requests (health checks, feeds,
    the API, static files) do not carry, and computes the cookie's settings on every answer, to save a
    session nothing used. The serializer is built once per secret key here, and only when a cookie is read
    or written; a session nothing read, changed or brought is not saved at all.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            if len(self._serializers) > 8:  # the key changed again and again (tests)
                self._serializers.clear()
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None  # Flask then gives a null session, as its own interface does
        if _brings_session_cookie(app, request):
            session = super().open_session(app, request)
        else:
            session = self.session_class()
        request.environ[_SESSION_KEY] = session
        return session

    def save_session(self, app: Flask, session, response: Response) -> None:
        if session.accessed or session.modified or session:
            super().save_session(app, session, response)


def _brings_session_cookie(app: Flask, request: Request) -> bool:
    # Most requests carry no Cookie header at all: then there is nothing to parse.
    return "HTTP_COOKIE" in request.environ and bool(request.cookies.get(app.config["SESSION_COOKIE_NAME"]))


def session_in_use() -> bool:
    """Whether the request brought a session cookie, or read or changed its session; otherwise its session is
    empty and nothing looked at it."""
    session = request.environ.get(_SESSION_KEY)
    return (
        session is None
        or session.modified
        or session.accessed
        or _brings_session_cookie(current_app, request)
    )


def register_security(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_secure_headers)
