"""Feed tokens are secrets in URLs: every log line that could carry a request path has them removed."""

import logging
import re

_FEED_TOKEN = re.compile(r"(/feeds/)[A-Za-z0-9_\-]+(\.ics)")
_RIDE_TOKEN = re.compile(r"(/ride/)[A-Za-z0-9_\-.]+")


def redact(text: str) -> str:
    """The text with feed and ride-link tokens replaced by "[redacted]"."""
    return _RIDE_TOKEN.sub(r"\1[redacted]", _FEED_TOKEN.sub(r"\1[redacted]\2", text))


class RedactTokens(logging.Filter):
    """A logging filter that redacts tokens from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


LOGGERS = ("", "werkzeug", "gunicorn.access", "gunicorn.error")


def install(logger_names: tuple[str, ...] = LOGGERS) -> None:
    """Attach the filter to the loggers and their handlers (a logger's filters miss propagated records)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
        for handler in logger.handlers:
            if not any(isinstance(f, RedactTokens) for f in handler.filters):
                handler.addFilter(RedactTokens())
