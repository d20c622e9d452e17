"""Transport readiness: whether a dosing visit may start or end, and which rides are at risk.

After ketamine or esketamine the patient must not drive, so a ride home is part of the booking:
`missing` -> `arranged` -> `confirmed` (the day before) -> `verified` (escort present at discharge).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from clinic.domain.localtime import require_aware


class TransportStatus(StrEnum):
    MISSING = "missing"
    ARRANGED = "arranged"
    CONFIRMED = "confirmed"
    VERIFIED = "verified"

    @property
    def is_safe(self) -> bool:
        """Safe for the day: confirmed the day before, or the escort verified at the desk."""
        return self in SAFE


class CallOutcome(StrEnum):
    """What a front-desk call about a ride achieved."""

    CONFIRMED = "confirmed"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    WILL_CALL_BACK = "will_call_back"


STATUSES = tuple(TransportStatus)
MODES = ("driver", "taxi", "medical_transport")
SAFE = frozenset({TransportStatus.CONFIRMED, TransportStatus.VERIFIED})
# A ride still missing this close to the visit goes into the provider's digest.
DIGEST_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RideDetails:
    status: str
    mode: str | None
    contact_name: str | None
    contact_phone: str | None


def ride_errors(ride: RideDetails, allowed_modes: tuple[str, ...]) -> dict[str, list[str]]:
    """Field -> messages for a ride that cannot be saved; empty when it is consistent."""
    errors: dict[str, list[str]] = {}
    if ride.status not in STATUSES:
        errors["status"] = [f"Must be one of {', '.join(STATUSES)}"]
    if ride.mode is not None and ride.mode not in allowed_modes:
        allowed = ", ".join(allowed_modes) or "none"
        errors["mode"] = [f"This location does not accept {ride.mode.replace('_', ' ')} (allowed: {allowed})"]
    if ride.status in STATUSES and ride.status != TransportStatus.MISSING:
        if ride.mode is None:
            errors.setdefault("mode", []).append("Say how the patient gets home")
        if not ride.contact_phone:
            errors["contact_phone"] = ["A phone number to reach the ride is needed"]
        if ride.mode == "driver" and not ride.contact_name:
            errors["contact_name"] = ["Give the driver's name"]
    return errors


def check_in_refusal(needs_ride: bool, status: str | None) -> str | None:
    """Why a visit cannot be checked in yet (None when it can)."""
    if needs_ride and (status is None or status == TransportStatus.MISSING):
        return "No ride home is arranged: the patient must not drive after the dose"
    return None


def discharge_refusal(needs_ride: bool, status: str | None) -> str | None:
    """Why a patient cannot be discharged yet (None when they can)."""
    if needs_ride and status != TransportStatus.VERIFIED:
        return "The escort taking the patient home has not been verified at the desk"
    return None


def is_at_risk(start: datetime, status: str, now: datetime, window: timedelta) -> bool:
    """A dosing visit starting within `window` from `now` whose ride is not confirmed."""
    start, now = require_aware(start, "start"), require_aware(now, "now")
    return now < start <= now + window and status not in SAFE


def in_digest(start: datetime, status: str, now: datetime) -> bool:
    """Still without a confirmed ride 24 hours before: the provider hears of it in the digest."""
    return is_at_risk(start, status, now, DIGEST_WINDOW)


def moved_pickup(pickup: datetime, old_end: datetime, new_end: datetime) -> datetime:
    """The pickup follows the visit: it moves by as much as the visit's end moved."""
    return pickup + (new_end - old_end)


def ride_link_spent(issued_at: datetime, confirmed_via_link_at: datetime | None, status: str) -> bool:
    """Whether a ride link may no longer change the ride: a link confirms once.

    Once the patient has confirmed through a link, that link and every link issued before it only show what
    was given (so a forwarded or replayed message cannot rewrite the driver). A link issued after that
    confirmation works again only while the ride is no longer confirmed, i.e. once staff have re-opened it;
    while it stands confirmed, the page shows the ride on file.
    """
    if confirmed_via_link_at is None:
        return False
    issued_at = require_aware(issued_at, "issued_at")
    if issued_at <= require_aware(confirmed_via_link_at, "confirmed_via_link_at"):
        return True
    return status in SAFE
