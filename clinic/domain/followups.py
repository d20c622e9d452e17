"""When a follow-up visit counts for a follow-up that is due.

A follow-up is due on a local date at the location (the monitoring plan's due instant is local midnight of
it). A follow-up visit counts for it when the visit holds its slot (scheduled, confirmed, checked in or
completed; not cancelled, not a no-show) and starts on a local date at most 7 days before or after the due
date, both days included. As instants, the window runs from local midnight 7 days before the due date
(included) to local midnight 8 days after it (excluded), on the location's clocks across a DST change.

The monitoring plan, the provider's list of unbooked follow-ups, the sweep that asks patients to book and
the dispatch that withdraws that message once a visit is booked all use this one rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from clinic.domain.localtime import TzLike, local_date_of, require_aware, utc_at
from clinic.domain.visits import HOLDS_SLOT

FOLLOW_UP_WINDOW_DAYS = 7
# a visit in one of these statuses is held (or happened), so the follow-up is booked
MATCHING_STATUSES = HOLDS_SLOT


@dataclass(frozen=True)
class FollowUpWindow:
    """The instants a matching visit may start at: from `start` (included) to `end` (excluded), UTC."""

    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= require_aware(instant) < self.end


def follow_up_window(due: datetime, tz: TzLike, days: int = FOLLOW_UP_WINDOW_DAYS) -> FollowUpWindow:
    """The window of a follow-up due at the instant `due`: the local dates from `days` before its local
    date to `days` after it, both included, in the location's timezone `tz`."""
    due_date = local_date_of(require_aware(due, "due"), tz)
    return FollowUpWindow(
        utc_at(due_date - timedelta(days=days), time(0), tz),
        utc_at(due_date + timedelta(days=days + 1), time(0), tz),
    )


def follow_up_matches(window: FollowUpWindow, start: datetime, status: str) -> bool:
    """Whether a follow-up visit starting at `start` in `status` counts for the follow-up of `window`."""
    return status in MATCHING_STATUSES and start in window


def is_follow_up_booked(
    due: datetime, visits: Iterable[tuple[datetime, str]], tz: TzLike, days: int = FOLLOW_UP_WINDOW_DAYS
) -> bool:
    """Whether any of the follow-up `visits` (start instant, status) counts for a follow-up due at `due`."""
    window = follow_up_window(due, tz, days)
    return any(follow_up_matches(window, start, status) for start, status in visits)
