"""What every channel sends and how it reports failure."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    subject: str
    text: str
    html: str
    idempotency_key: str


class DeliveryError(Exception):
    """Sending failed. `permanent` failures (a rejected address) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message or raise DeliveryError."""

    def close(self) -> None:
        """Release connections kept open between messages."""
