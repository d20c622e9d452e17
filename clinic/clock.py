"""The one place the edges read the time; tests replace it with a frozen clock."""

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context

Clock = Callable[[], datetime]
EXTENSION_KEY = "clinic.clock"


def system_clock() -> datetime:
    return datetime.now(UTC)


def utcnow() -> datetime:
    """The current instant (aware, UTC) from the app's clock."""
    clock: Clock = (
        current_app.extensions.get(EXTENSION_KEY, system_clock) if has_app_context() else system_clock
    )
    return clock()


def set_clock(app, clock: Clock) -> None:
    """Replace the app's clock (tests freeze time with it)."""
    app.extensions[EXTENSION_KEY] = clock
