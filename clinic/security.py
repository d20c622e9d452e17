"""Response headers every answer carries, request ids, and the Content-Security-Policy the pages satisfy."""

import re
import uuid

from flask import Flask, Response, current_app, g, request

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
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    docs = request.path.startswith("/api/docs")
    headers.setdefault(
        "Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
    )
    if request.is_secure or _config_secure():
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "request_id" in g:
        headers["X-Request-ID"] = g.request_id
    if request.endpoint and not request.path.startswith("/static/") and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"  # pages and API answers carry patient data
    return response


def _config_secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def register_security(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_secure_headers)
