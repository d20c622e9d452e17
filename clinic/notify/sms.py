"""SMS through an HTTP gateway: a JSON POST with the idempotency key, so the gateway drops repeats.

Clinics on Twilio use clinic.notify.twilio instead (chosen in clinic.notify.channels)."""

import base64
import json
import urllib.error
import urllib.request

from clinic.notify.base import DeliveryError, OutgoingMessage

SMS_TIMEOUT_SECONDS = 15


class HttpSmsChannel:
    def __init__(self, url: str, username: str | None = None, password: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")
        self.url, self.username, self.password = url, username, password

    def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(
            {"to": message.to, "text": message.text, "idempotency_key": message.idempotency_key}
        ).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")  # noqa: S310 - http(s) checked above
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", message.idempotency_key)
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=SMS_TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            # 4xx means the gateway will never accept this message (bad number, bad credentials), except 429.
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            raise DeliveryError(f"SMS gateway answered {error.code}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"SMS gateway unreachable: {error}") from None

    def close(self) -> None:
        pass
