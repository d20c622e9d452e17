"""The feed endpoint: conditional GET and HEAD, gzip when accepted, private caching, an audit row per fetch.

Conditional requests follow RFC 9110 section 13: If-None-Match uses the weak comparison (`W/"x"` matches
`"x"`, because a proxy that compresses the body on its way may weaken our tag), takes a list or `*`, and when
it is present If-Modified-Since is not looked at. The gzip and the identity body are two representations of
the feed, so each has its own strong ETag (RFC 9110 8.8.3: a strong validator changes with the content
coding, so that caches and range requests never mix the bytes of one with the other); a client keeps sending
the tag of the coding it was given, and both answers carry `Vary: Accept-Encoding`.
"""

from datetime import datetime
from email.utils import parsedate_to_datetime

from flask import Blueprint, Response, request

from clinic.clock import utcnow
from clinic.extensions import csrf
from clinic.services.feeds import fetch_feed, record_fetch

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
csrf.exempt(bp)

FEED_HEADERS = {
    "Cache-Control": "private, max-age=0, must-revalidate",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    # The body depends on Accept-Encoding (gzip or not), so every answer says so to caches.
    "Vary": "Accept-Encoding",
}


def _not_found() -> Response:
    # The same answer for unknown, revoked and malformed tokens: nothing hints which.
    return Response("Not found\n", status=404, mimetype="text/plain", headers=FEED_HEADERS)


def _opaque(tag: str) -> str:
    """The entity tag without its weakness indicator: what the weak comparison compares."""
    tag = tag.strip()
    return tag[2:] if tag[:2] in ("W/", "w/") else tag


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip: `gzip` (or `x-gzip`) with a q-value above 0, or `*`
    above 0 when gzip is not named. A malformed q-value counts as 0, so such a client gets plain bytes."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


def not_modified(etag: str, last_modified: datetime) -> bool:
    """Whether the request's validators still match the representation about to be sent (RFC 9110 13.2.2:
    If-None-Match first; If-Modified-Since only when there is no If-None-Match)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag for tag in (t.strip() for t in if_none_match.split(",")) if tag]
        return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
            return last_modified.replace(microsecond=0) <= since
        except (TypeError, ValueError, IndexError):
            # Unreadable or zone-less dates are ignored, as RFC 9110 asks: the client gets the full feed.
            return False
    return False


@bp.route("/<token>.ics", methods=["GET", "HEAD"])
def feed(token: str):
    now = utcnow()
    fetched = fetch_feed(token, now) if 20 <= len(token) <= 100 else None
    if fetched is None:
        return _not_found()
    record_fetch(fetched, request.remote_addr or "", now)
    rendered = fetched.rendered
    gzipped = accepts_gzip(request.headers.get("Accept-Encoding"))
    body, etag = (rendered.gzip_body, rendered.gzip_etag) if gzipped else (rendered.body, rendered.etag)
    headers = {
        **FEED_HEADERS,
        "ETag": etag,
        "Last-Modified": rendered.http_last_modified,
    }
    if not_modified(etag, rendered.last_modified):
        return Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body, status=200, headers=headers, content_type="text/calendar; charset=utf-8")
