"""The channels the app's configuration asks for."""

from pathlib import Path
from typing import Any

from clinic.notify.base import Channel
from clinic.notify.email import SmtpChannel
from clinic.notify.filesink import FileSinkChannel
from clinic.notify.sms import HttpSmsChannel


def build_channels(config: dict[str, Any], instance_path: str) -> dict[str, Channel]:
    """``NOTIFY_BACKEND=file`` writes under instance/outbox/; ``smtp`` sends real e-mail and SMS."""
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
    if config.get("SMS_GATEWAY_URL"):
        channels["sms"] = HttpSmsChannel(
            config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_USER"), config.get("SMS_GATEWAY_PASSWORD")
        )
    return channels
