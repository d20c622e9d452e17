"""The channels the app's configuration asks for."""

from pathlib import Path
from typing import Any

from clinic.notify.base import Channel
from clinic.notify.email import SmtpChannel
from clinic.notify.filesink import FileSinkChannel
from clinic.notify.sms import HttpSmsChannel
from clinic.notify.twilio import DEFAULT_BASE_URL, TwilioSmsChannel


def build_channels(config: dict[str, Any], instance_path: str) -> dict[str, Channel]:
    """``NOTIFY_BACKEND=file`` writes under instance/outbox/; ``smtp`` sends real e-mail and SMS (through
    Twilio when ``TWILIO_ACCOUNT_SID`` is set, else through the generic ``SMS_GATEWAY_URL``)."""
    if config["NOTIFY_BACKEND"] == "file":
        directory = Path(instance_path) / "outbox"
        return {"email": FileSinkChannel(directory, "email"), "sms": FileSinkChannel(directory, "sms")}
    channels: dict[str, Channel] = {
        "email": SmtpChannel(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            config["MAIL_SENDER"],
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            use_tls=config.get("MAIL_USE_TLS", False),
        )
    }
    if config.get("TWILIO_ACCOUNT_SID"):
        channels["sms"] = TwilioSmsChannel(
            config["TWILIO_ACCOUNT_SID"],
            config.get("TWILIO_AUTH_TOKEN") or "",
            config.get("TWILIO_FROM") or "",
            config.get("TWILIO_BASE_URL") or DEFAULT_BASE_URL,
        )
    elif config.get("SMS_GATEWAY_URL"):
        channels["sms"] = HttpSmsChannel(
            config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_USER"), config.get("SMS_GATEWAY_PASSWORD")
        )
    return channels
