"""Twilio's Messages API: texts out through its REST endpoint, and the signature its webhooks carry.

Outbound: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json`` with the form fields To, From (or
MessagingServiceSid) and Body, HTTP basic auth ``sid:token``. Inbound: each webhook request carries
``X-Twilio-Signature``, base64(HMAC-SHA1(token, url + every POST parameter's name and value, by name)).
"""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from clinic.notify.base import DeliveryError, OutgoingMessage

TWILIO_TIMEOUT_SECONDS = 15
# Twilio's default API host; tests and regional set-ups point TWILIO_BASE_URL elsewhere.
DEFAULT_BASE_URL = "https://api.twilio.com"
# A sender starting with MG names a Messaging Service (a pool of numbers), not a phone number.
MESSAGING_SERVICE_PREFIX = "MG"


def is_permanent(status: int) -> bool:
    """Whether an HTTP error from the provider means the message will never be accepted as it is (a bad
    number, bad credentials); a timeout, throttling (429) and server errors are worth another try."""
    return 400 <= status < 500 and status not in (408, 429)


class TwilioSmsChannel:
    """Sends each text as one Messages API request."""

    def __init__(
        self, account_sid: str, auth_token: str, sender: str, base_url: str = DEFAULT_BASE_URL
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("TWILIO_BASE_URL must be an http(s) URL")
        if not sender:
            raise ValueError("TWILIO_FROM must name the sending number or Messaging Service")
        sid = urllib.parse.quote(account_sid, safe="")
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        self.sender = sender
        self._authorization = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

    def _form(self, message: OutgoingMessage) -> bytes:
        sender_field = "MessagingServiceSid" if self.sender.startswith(MESSAGING_SERVICE_PREFIX) else "From"
        return urllib.parse.urlencode(
            {"To": message.to, sender_field: self.sender, "Body": message.text}
        ).encode()

    def send(self, message: OutgoingMessage) -> None:
        request = urllib.request.Request(self.url, data=self._form(message), method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Authorization", self._authorization)
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TWILIO_TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(
                f"Twilio answered {error.code}{_error_code(error)}", permanent=is_permanent(error.code)
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"Twilio unreachable: {error}") from None

    def close(self) -> None:
        pass


def _error_code(error: urllib.error.HTTPError) -> str:
    """Twilio's own error code from an error body ({"code": 21211, ...}), for the outbox's reason column."""
    try:
        code = json.loads(error.read(4096) or b"{}").get("code")
    except (ValueError, OSError, AttributeError):
        return ""
    return f" (error {code})" if isinstance(code, int) else ""


def request_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature of a form POST to `url` with these parameters (repeated names allowed)."""
    payload = url + "".join(f"{name}{value}" for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_valid(auth_token: str | None, url: str, params: Iterable[tuple[str, str]], given: str) -> bool:
    """Whether `given` is the signature of this request; never without a configured token."""
    if not auth_token or not given:
        return False
    return hmac.compare_digest(request_signature(auth_token, url, params).encode(), given.encode())
