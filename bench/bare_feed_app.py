"""The baseline of the feed benchmark: a bare Flask app that serves one feed's bytes from memory.

It answers the feed's path with the body and the headers the real feed endpoint gave (read once at start-up
from the files named by BARE_FEED_BODY and BARE_FEED_HEADERS), and a 304 when If-None-Match carries the
ETag: no database, no token check, no audit row. Run it with `gunicorn bench.bare_feed_app:app`.
"""

import json
import os
from pathlib import Path

from flask import Flask, Response, request

BODY = Path(os.environ["BARE_FEED_BODY"]).read_bytes()
HEADERS: dict[str, str] = json.loads(Path(os.environ["BARE_FEED_HEADERS"]).read_text(encoding="utf-8"))
CONTENT_TYPE = HEADERS.pop("Content-Type")
ETAG = HEADERS["ETag"]

app = Flask(__name__)


@app.route("/feeds/<token>.ics", methods=["GET", "HEAD"])
def feed(token: str) -> Response:
    if request.headers.get("If-None-Match") == ETAG:
        return Response(status=304, headers=HEADERS)
    return Response(BODY, status=200, headers=HEADERS, content_type=CONTENT_TYPE)
