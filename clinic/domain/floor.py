"""The floor board: which visit sits in each chair now, the phase it is in and which check is due next.

A visit is on the floor from an hour before its start (arriving) until 15 minutes after its discharge:

    arriving --check-in--> checked_in --dose--> monitoring --every discharge rule met--> ready
    ... --discharge--> discharged (shown for 15 minutes)

A visit without a dose (a consult in a room) is checked in until its discharge rules hold, then ready.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from clinic.domain.localtime import require_aware
from clinic.domain.session import CheckState
from clinic.domain.visits import OPEN, VisitStatus

ARRIVING_FROM = timedelta(minutes=60)
DISCHARGED_SHOWN = timedelta(minutes=15)


class FloorPhase(StrEnum):
    ARRIVING = "arriving"
    CHECKED_IN = "checked_in"
    MONITORING = "monitoring"
    READY = "ready"
    DISCHARGED = "discharged"

    @property
    def label(self) -> str:
        """The phase as staff read it ("checked in")."""
        return self.value.replace("_", " ")


# When two visits share a chair now (the last one leaving, the next one arriving), the board shows the one
# the staff are busy with: the patient in the chair before the one arriving before the one who left.
# clinic.services.floor leaves the visits this order certainly hides out of its query: change both together.
_PRECEDENCE = {
    FloorPhase.MONITORING: 0,
    FloorPhase.READY: 0,
    FloorPhase.CHECKED_IN: 0,
    FloorPhase.ARRIVING: 1,
    FloorPhase.DISCHARGED: 2,
}


def visit_phase(
    status: VisitStatus,
    start: datetime,
    end: datetime,
    *,
    is_dose: bool,
    dose_at: datetime | None,
    completed_at: datetime | None,
    rules_broken: Sequence[str],
    now: datetime,
) -> FloorPhase | None:
    """The visit's phase on the floor at `now`, or None when it is not on the floor (not yet, no longer,
    cancelled or a no-show). `rules_broken` are the codes of the discharge rules the visit breaks at `now`."""
    now = require_aware(now, "now")
    status = VisitStatus(status)
    if status in OPEN:
        opens = require_aware(start, "start") - ARRIVING_FROM
        return FloorPhase.ARRIVING if opens <= now <= require_aware(end, "end") else None
    if status is VisitStatus.COMPLETED:
        if completed_at is None:
            return None
        done = require_aware(completed_at, "completed_at")
        return FloorPhase.DISCHARGED if done <= now < done + DISCHARGED_SHOWN else None
    if status is not VisitStatus.CHECKED_IN:
        return None
    if is_dose and dose_at is None:
        return FloorPhase.CHECKED_IN
    if rules_broken:
        return FloorPhase.MONITORING if is_dose else FloorPhase.CHECKED_IN
    return FloorPhase.READY


@dataclass(frozen=True)
class NextCheck:
    """The check due next: its name, when it is due and whether that time has passed."""

    name: str
    due_at: datetime
    overdue: bool


def next_check(checks: Sequence[CheckState], now: datetime) -> NextCheck | None:
    """The earliest check not done that has a due time (None when every check is done or none is due yet)."""
    now = require_aware(now, "now")
    pending = [c for c in checks if c.done_at is None and c.due_at is not None]
    if not pending:
        return None
    first = min(pending, key=lambda c: c.due_at or now)
    return NextCheck(first.name, first.due_at or now, first.overdue(now))


def chair_visit(candidates: Iterable[tuple[FloorPhase, datetime, int]]) -> int | None:
    """Of the visits of one chair on the floor now, `(phase, start, id)`, the id of the one the board shows:
    a patient in the chair, else the next arrival, else the last one discharged."""

    def rank(candidate: tuple[FloorPhase, datetime, int]) -> tuple:
        phase, start, visit_id = candidate
        later_first = -start.timestamp() if phase is FloorPhase.DISCHARGED else start.timestamp()
        return (_PRECEDENCE[phase], later_first, visit_id)

    ordered = sorted(candidates, key=rank)
    return ordered[0][2] if ordered else None
