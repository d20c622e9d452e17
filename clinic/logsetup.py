"""Logging: one line per event with the request id, as text or JSON (LOG_FORMAT=json), tokens redacted."""

import json
import logging

from flask import g, has_request_context

from clinic import logredact


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": logredact.redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = logredact.redact(self.formatException(record.exc_info))
        return json.dumps(entry)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT lines, redacted whole: a traceback below the message may quote a secret link too."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return logredact.redact(super().format(record))


def configure_logging(log_format: str) -> None:
    """Set up the root handler once; later calls (another app in the same process) leave it alone."""
    root = logging.getLogger()
    if not any(getattr(h, "_clinic", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._clinic = True  # marks the handler as ours, so a second app does not add another
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if getattr(handler, "_clinic", False):
            handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logredact.install()
