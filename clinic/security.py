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


# Set on every answer unless the view set its own (the feed sets a stricter Referrer-Policy, for one).
_DEFAULT_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    # Which headers the view set, read once: asking werkzeug's Headers for a missing one raises and
    # catches an exception each time, which cost more than everything else this hook does.
    present = {name.lower() for name, _ in headers}
    for name, value in _DEFAULT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if "content-security-policy" not in present:
        docs = request.path.startswith("/api/docs")
        policy = DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        headers.add("Content-Security-Policy", policy)
    if "strict-transport-security" not in present and (request.is_secure or _config_secure()):
        headers.add("Strict-Transport-Security", HSTS)
    if "request_id" in g:
        headers["X-Request-ID"] = g.request_id
    if request.endpoint and not request.path.startswith("/static/") and "cache-control" not in present:
        headers.add("Cache-Control", "no-store")  # pages and API answers carry patient data
    return response


def _config_secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def register_security(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_secure_headers)
