"""The feed endpoint: conditional GET and HEAD, private caching, and an audit row per fetch."""

from email.utils import format_datetime, parsedate_to_datetime

from flask import Blueprint, Response, request

from clinic.clock import utcnow
from clinic.extensions import csrf
from clinic.services.feeds import record_fetch, rendered_feed, resolve_feed_token

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
csrf.exempt(bp)

FEED_HEADERS = {
    "Cache-Control": "private, max-age=0, must-revalidate",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


def _not_found() -> Response:
    # The same answer for unknown, revoked and malformed tokens: nothing hints which.
    return Response("Not found\n", status=404, mimetype="text/plain", headers=FEED_HEADERS)


def _not_modified(etag: str, last_modified) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


@bp.route("/<token>.ics", methods=["GET", "HEAD"])
def feed(token: str):
    row = resolve_feed_token(token) if 20 <= len(token) <= 100 else None
    if row is None:
        return _not_found()
    now = utcnow()
    rendered = rendered_feed(row, now)
    record_fetch(row, request.remote_addr or "", now)
    headers = {
        **FEED_HEADERS,
        "ETag": rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified.replace(microsecond=0), usegmt=True),
    }
    if _not_modified(rendered.etag, rendered.last_modified):
        return Response(status=304, headers=headers)
    return Response(rendered.body, status=200, headers=headers, content_type="text/calendar; charset=utf-8")
