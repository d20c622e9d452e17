"""Texts patients send the clinic: the status vocabulary of an inbound message and the reply keywords.

Keywords follow the words carriers and SMS providers already treat specially (STOP, START, HELP and their
usual synonyms), plus the clinic's own confirmation words. Matching is on the whole trimmed text, any case:
"c" confirms, "C is fine" is a message for the front desk.
"""

from datetime import datetime, timedelta
from enum import StrEnum


class MessageStatus(StrEnum):
    OPEN = "open"  # waiting for the front desk
    HANDLED = "handled"  # answered by staff, or by the automatic reply to a keyword


class Keyword(StrEnum):
    CONFIRM = "confirm"
    STOP = "stop"
    START = "start"
    HELP = "help"


KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("C", "YES", "CONFIRM"), Keyword.CONFIRM),
    # The opt-out words US carriers honour; the provider stops delivery for them whatever we answer, so the
    # patient's record must follow.
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.STOP),
    **dict.fromkeys(("START", "UNSTOP"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}

# How far ahead a confirmation reaches: the next open visit within this window.
CONFIRM_WINDOW = timedelta(days=7)

# The longest text kept: ten concatenated SMS segments; providers split longer ones anyway.
MAX_BODY_LENGTH = 1600


def keyword_of(body: str) -> Keyword | None:
    """The keyword a text consists of (trimmed, any case, a trailing full stop or "!" allowed), or None."""
    word = body.strip().rstrip(".!").strip().upper()
    return KEYWORDS.get(word)


def confirmable_until(now: datetime) -> datetime:
    """The latest start a visit confirmed by text at `now` may have."""
    return now + CONFIRM_WINDOW
