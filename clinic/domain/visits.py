"""A visit's lifecycle: the one vocabulary of its status, and the rules that move it from one to the next.

    scheduled / confirmed --check_in--> checked_in --discharge--> completed
    scheduled / confirmed --cancel--> cancelled
    scheduled / confirmed --mark_no_show--> no_show
    checked_in --undo_check_in--> scheduled   (before a dose is recorded)

Each predicate is a frozenset of statuses, so the same rule reads `status.holds_slot` in Python and
`status IN (...)` in a query (see the hybrid properties of the Appointment model). Every rule takes `now`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from clinic.domain.localtime import require_aware


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def holds_slot(self) -> bool:
        """The visit holds its chair, its provider and the patient's time."""
        return self in HOLDS_SLOT

    @property
    def is_open(self) -> bool:
        """The visit has not begun: it may still be moved, cancelled, checked in or marked as a no-show."""
        return self in OPEN

    @property
    def dose_given(self) -> bool:
        """The patient came for the visit: a planner counts its dose as given."""
        return self in DOSE_GIVEN

    @property
    def label(self) -> str:
        """The status as staff read it ("checked in")."""
        return self.value.replace("_", " ")


HOLDS_SLOT = frozenset(
    {VisitStatus.SCHEDULED, VisitStatus.CONFIRMED, VisitStatus.CHECKED_IN, VisitStatus.COMPLETED}
)
OPEN = frozenset({VisitStatus.SCHEDULED, VisitStatus.CONFIRMED})
DOSE_GIVEN = frozenset({VisitStatus.CHECKED_IN, VisitStatus.COMPLETED})


class VisitKind(StrEnum):
    """What a visit is for: the words stored in appointments.kind. Preparation and integration are the therapy
    sessions a protocol may add around its doses; they hold no chair and need no ride or fasting."""

    DOSE = "dose"
    FOLLOW_UP = "follow_up"
    PREPARATION = "preparation"
    INTEGRATION = "integration"
    CONSULT = "consult"

    @property
    def is_therapy(self) -> bool:
        """A preparation or integration session (booked with a series, around its doses)."""
        return self in THERAPY_KINDS

    @property
    def label(self) -> str:
        """The kind as staff read it ("Follow-up")."""
        return KIND_LABELS[self]


THERAPY_KINDS = frozenset({VisitKind.PREPARATION, VisitKind.INTEGRATION})
# Keyed by str: a kind read from a row is a plain str, and a StrEnum member finds the same entry.
KIND_LABELS: dict[str, str] = {
    VisitKind.DOSE: "Dose",
    VisitKind.FOLLOW_UP: "Follow-up",
    VisitKind.PREPARATION: "Preparation",
    VisitKind.INTEGRATION: "Integration",
    VisitKind.CONSULT: "Consult",
}


class Modality(StrEnum):
    """Where a visit happens: at the location, or by video through its join link."""

    IN_PERSON = "in_person"
    VIRTUAL = "virtual"

    @property
    def label(self) -> str:
        return "Virtual" if self == Modality.VIRTUAL else "In person"


JOIN_URL_LENGTH = 500


def modality_refusal(kind: str, modality: str, join_url: str | None) -> tuple[str, str] | None:
    """(field, message) saying why a visit's kind, modality and join link do not go together, or None.

    A virtual visit needs an https link with a host; an in-person visit has none; a dose is always in person
    (it holds a chair and a monitored recovery).
    """
    url = (join_url or "").strip()
    if modality not in tuple(Modality):
        return "modality", f"must be one of {', '.join(Modality)}"
    if modality == Modality.IN_PERSON:
        return ("join_url", "Only a virtual visit has a join link") if url else None
    if kind == VisitKind.DOSE:
        return "modality", "A dose is always in person"
    if not url:
        return "join_url", "A virtual visit needs its join link (https://...)"
    if len(url) > JOIN_URL_LENGTH:
        return "join_url", f"At most {JOIN_URL_LENGTH} characters"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
        return "join_url", "The join link must be an https:// address"
    return None


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


def in_order(statuses: frozenset[StrEnum], vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The statuses of a predicate in the vocabulary's order (stable SQL text for indexes and constraints)."""
    return tuple(member.value for member in vocabulary if member in statuses)


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    """`'a', 'b'` for a CHECK constraint or an index condition (values are the vocabulary's own words)."""
    return ", ".join(f"'{value}'" for value in values)


# --- transitions ---------------------------------------------------------------------------------

DEFAULT_CHECK_IN_OPENS = timedelta(minutes=60)


@dataclass(frozen=True)
class Broken:
    """A broken rule: a stable machine `code` and a message for staff."""

    code: str
    message: str


class TransitionRefused(Exception):
    """The visit cannot make this move now; `broken` lists every rule in the way (a 409)."""

    def __init__(self, message: str, broken: tuple[Broken, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.broken = broken


class SessionInputError(ValueError):
    """Input that breaks a session rule (a 422); `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def require_status(status: VisitStatus, allowed: frozenset[VisitStatus], doing: str) -> None:
    """Refuse a move the visit's status does not allow ("A visit that is completed cannot be cancelled")."""
    if status not in allowed:
        raise TransitionRefused(f"A visit that is {status.label} cannot be {doing}")


def check_in_window(start: datetime, end: datetime, opens_before: timedelta) -> tuple[datetime, datetime]:
    """When check-in is possible: from `opens_before` the start until the scheduled end (both included)."""
    start, end = require_aware(start, "start"), require_aware(end, "end")
    return start - opens_before, end


def check_in_broken(
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    opens_before: timedelta = DEFAULT_CHECK_IN_OPENS,
    ride_refusal: str | None = None,
) -> list[Broken]:
    """Every rule a check-in at `now` breaks: outside the window, and (overridable) no ride home."""
    now = require_aware(now, "now")
    opens, closes = check_in_window(start, end, opens_before)
    broken = []
    if not opens <= now <= closes:
        minutes = int(opens_before.total_seconds() // 60)
        broken.append(
            Broken(
                "outside_check_in_window",
                f"Check-in opens {minutes} minutes before the start and closes at the scheduled end",
            )
        )
    if ride_refusal:
        broken.append(Broken("transport_missing", ride_refusal))
    return broken


def undo_check_in_refusal(status: VisitStatus, dose_recorded: bool) -> None:
    """A check-in made by mistake can be undone until the dose is recorded."""
    require_status(status, frozenset({VisitStatus.CHECKED_IN}), "un-checked-in")
    if dose_recorded:
        raise TransitionRefused(
            "The dose is recorded: the visit happened and its check-in stays",
            (Broken("dose_recorded", "The dose of this visit is already recorded"),),
        )


def no_show_refusal(status: VisitStatus, start: datetime, now: datetime) -> None:
    """A no-show is recorded on an open visit once its start time has passed."""
    require_status(status, OPEN, "a no-show")
    if require_aware(start, "start") > require_aware(now, "now"):
        raise TransitionRefused("A visit can only be marked as a no-show once its start time has passed")


class VisitAction(StrEnum):
    """What staff may do next with a visit, as far as its state goes (the access policy says who)."""

    CHECK_IN = "check_in"
    UNDO_CHECK_IN = "undo_check_in"
    RECORD_DOSE = "record_dose"
    DISCHARGE = "discharge"
    EDIT_RIDE = "edit_ride"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


def _allowed(rule) -> bool:
    try:
        rule()
    except TransitionRefused:
        return False
    return True


def available_actions(
    status: VisitStatus,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    is_dose: bool,
    has_ride: bool,
    dose_recorded: bool,
    opens_before: timedelta = DEFAULT_CHECK_IN_OPENS,
) -> frozenset[VisitAction]:
    """The moves the visit's state allows at `now`, each judged by the rule its transition applies.

    An open visit may be moved or cancelled, checked in inside its check-in window (the missing-ride gate is
    left out: it is overridable, and the refusal offers the override) and marked as a no-show once its start
    has passed. A visit in the chair may be discharged, its dose recorded (dosing visits) and its check-in
    undone until the dose is recorded. The ride home is kept up to date until the patient leaves. A completed,
    cancelled or missed visit allows none.
    """
    status = VisitStatus(status)
    actions: set[VisitAction] = set()
    if status in OPEN:
        actions |= {VisitAction.RESCHEDULE, VisitAction.CANCEL}
        if not check_in_broken(start, end, now, opens_before=opens_before):
            actions.add(VisitAction.CHECK_IN)
        if _allowed(lambda: no_show_refusal(status, start, now)):
            actions.add(VisitAction.NO_SHOW)
    if status == VisitStatus.CHECKED_IN:
        actions.add(VisitAction.DISCHARGE)
        if is_dose:
            actions.add(VisitAction.RECORD_DOSE)
        if _allowed(lambda: undo_check_in_refusal(status, dose_recorded)):
            actions.add(VisitAction.UNDO_CHECK_IN)
    if has_ride and (status in OPEN or status == VisitStatus.CHECKED_IN):
        actions.add(VisitAction.EDIT_RIDE)
    return frozenset(actions)


def require_reason(reason: str | None, field: str = "reason") -> str:
    """A reason staff must give (an undo, a correction, an override): stripped, never empty."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise SessionInputError(field, "Say why")
    return cleaned
