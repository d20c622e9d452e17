"""Secret links carry their token in the URL: every log line that could carry a request path has it removed.

A client may spell a path many ways that the server treats alike (percent-escapes, `%2F` for a slash, a
doubly encoded escape) or that still show the token to whoever reads the log (another case, no `.ics`, a
backslash). So matching runs on the line with every escape decoded, ignoring case, and removes everything
after a secret prefix up to the end of the path, keeping only a trailing `.ics`. The rest of the line is left
as it came, so decoding never puts a control character into the log.
"""

import logging
import re
import string
from collections import deque

# Every route whose path carries a secret starts with one of these. A new secret link is one more entry.
SECRET_LINK_PREFIXES = ("/feeds/", "/ride/", "/q/")
REDACTED = "[redacted]"
KEPT_SUFFIX = ".ics"

# A backslash counts as a slash: browsers turn one into the other, and a log reader would too.
_SECRET_PREFIX = re.compile(
    "|".join(re.escape(prefix).replace("/", r"[/\\]") for prefix in SECRET_LINK_PREFIXES), re.IGNORECASE
)
# Written as-is (not percent-encoded), these end the part of a line that is a path segment.
_ENDS_A_PATH = frozenset(string.whitespace + "\"'<>?#&`")
_HEX_DIGITS = frozenset(string.hexdigits)
# A traceback's source file under a package named like a prefix (`clinic/feeds/views.py`) is not a link. No
# secret looks like one: a feed token is 43 characters without a dot, a signed link has two dots.
_SOURCE_FILE = re.compile(r"[a-z_][a-z0-9_]{0,39}\.py")
# A line without a percent sign reads as it is written: one regular expression finds each secret's path
# segment (the same rule as the loop in `redact`, which also handles escapes).
_SECRET_SEGMENT = re.compile(
    f"({_SECRET_PREFIX.pattern})([^{''.join(re.escape(char) for char in sorted(_ENDS_A_PATH))}]*)",
    re.IGNORECASE,
)


def _decode(text: str) -> tuple[str, list[int], list[int], list[bool]]:
    """The text with every percent-escape decoded until none is left (so `%256A` gives `j`), and for each
    decoded character where it starts and ends in `text` and whether it was written as-is.

    Decoding from the right makes nested escapes one pass: an escape's result meets the characters before
    it only once they are read. Bytes decode one character each, which is all matching needs.
    """
    decoded: deque[tuple[str, int, int]] = deque()
    for index in range(len(text) - 1, -1, -1):
        decoded.appendleft((text[index], index, index + 1))
        while (
            len(decoded) >= 3
            and decoded[0][0] == "%"
            and decoded[1][0] in _HEX_DIGITS
            and decoded[2][0] in _HEX_DIGITS
        ):
            percent, high, low = decoded.popleft(), decoded.popleft(), decoded.popleft()
            decoded.appendleft((chr(int(high[0] + low[0], 16)), percent[1], low[2]))
    chars = "".join(char for char, _, _ in decoded)
    starts = [start for _, start, _ in decoded]
    ends = [end for _, _, end in decoded]
    literal = [end - start == 1 for _, start, end in decoded]
    return chars, starts, ends, literal


def redact(text: str) -> str:
    """The text with the token of every secret link (see SECRET_LINK_PREFIXES) replaced by "[redacted]",
    however the link is spelled."""
    if "%" not in text:
        return _SECRET_SEGMENT.sub(_redact_segment, text) if _SECRET_PREFIX.search(text) else text
    chars, starts, ends, literal = _decode(text)
    pieces: list[str] = []
    copied_to = 0
    position = 0
    while match := _SECRET_PREFIX.search(chars, position):
        first = last = match.end()
        while last < len(chars) and not (literal[last] and chars[last] in _ENDS_A_PATH):
            last += 1
        position = last
        if _SOURCE_FILE.fullmatch(chars[first:last]):
            continue
        if chars[first:last].lower().endswith(KEPT_SUFFIX):
            last -= len(KEPT_SUFFIX)
        if last <= first:
            continue
        pieces += [text[copied_to : starts[first]], REDACTED]
        copied_to = ends[last - 1]
    if not pieces:
        return text
    return "".join(pieces) + text[copied_to:]


def _redact_segment(match: re.Match) -> str:
    prefix, segment = match.group(1), match.group(2)
    if _SOURCE_FILE.fullmatch(segment):
        return match.group(0)
    kept = segment[-len(KEPT_SUFFIX) :] if segment.lower().endswith(KEPT_SUFFIX) else ""
    if len(segment) == len(kept):
        return match.group(0)
    return prefix + REDACTED + kept


class RedactTokens(logging.Filter):
    """A logging filter that redacts tokens from the formatted message (once: a record passes the filter of
    its logger and then that of each handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_tokens_redacted", False):
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        record._tokens_redacted = True
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
