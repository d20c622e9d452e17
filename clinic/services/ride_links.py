"""Signed, expiring links that let a patient name their driver without signing in."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from clinic.domain.transport import ride_link_spent
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.services.errors import NotFound

RIDE_LINK_SALT = "ride-link"
RIDE_LINK_MAX_AGE = timedelta(days=14)
INVALID_LINK = "This link is not valid or has expired. Please call the clinic."


def _serializer(now: datetime) -> URLSafeTimedSerializer:
    class ClockSigner(TimestampSigner):
        # Signing and expiry follow the app's clock (`now`), not the machine's.
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RIDE_LINK_SALT, signer=ClockSigner)


def ride_link(appointment: Appointment, now: datetime) -> str:
    """A signed link, valid for two weeks, to the page where the patient names their driver."""
    token = _serializer(now).dumps({"a": appointment.id, "u": appointment.uid})
    return f"{current_app.config['CLINIC_BASE_URL'].rstrip('/')}/ride/{token}"


@dataclass(frozen=True)
class OpenedRideLink:
    """The visit a genuine ride link belongs to, and when the link was issued."""

    appointment: Appointment
    issued_at: datetime

    @property
    def spent(self) -> bool:
        """Whether the link only shows the ride now (it, or a later link, already confirmed it)."""
        transport = self.appointment.transport
        assert transport is not None  # open_ride_link opens only the links of visits that have a ride
        return ride_link_spent(self.issued_at, transport.confirmed_via_link_at, transport.status)


def open_ride_link(token: str, now: datetime) -> OpenedRideLink:
    """The visit behind a ride link, if the link is genuine, unexpired and the visit still ahead."""
    try:
        data, issued_at = _serializer(now).loads(
            token, max_age=int(RIDE_LINK_MAX_AGE.total_seconds()), return_timestamp=True
        )
    except BadSignature:
        raise NotFound(INVALID_LINK) from None
    appointment = db.session.get(Appointment, data.get("a")) if isinstance(data, dict) else None
    if appointment is None or appointment.uid != data.get("u") or appointment.transport is None:
        raise NotFound(INVALID_LINK)
    if not appointment.is_open or appointment.start_at <= now:
        raise NotFound("This visit can no longer be changed online. Please call the clinic.")
    return OpenedRideLink(appointment, issued_at)


def appointment_for_ride_token(token: str, now: datetime) -> Appointment:
    """The visit a ride link belongs to, if the link is genuine, unexpired and the visit still ahead."""
    return open_ride_link(token, now).appointment
