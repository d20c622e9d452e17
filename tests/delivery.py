"""Real delivery endpoints for tests: an SMTP server (aiosmtpd) and an HTTP SMS gateway, both on 127.0.0.1."""

import email
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """Every message the SMTP server accepted, parsed."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def bodies(self, message: Message) -> tuple[str, str]:
        """(plain text, html) of a message."""
        text = html = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            elif part.get_content_type() == "text/html":
                html = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        return text, html


@dataclass
class SmsGateway:
    """A local HTTP endpoint standing in for the SMS provider; `fail_with` makes it answer an error."""

    url: str = ""
    received: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    fail_with: int | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server calls it by this name
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            if gateway.fail_with:
                self.send_response(gateway.fail_with)
                self.end_headers()
                return
            gateway.received.append(body)
            gateway.headers.append(dict(self.headers))
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "queued"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_port}/messages"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live_channels(app, smtp_server, sms_gateway):
    """Point the app's e-mail and SMS channels at the local SMTP server and SMS endpoint."""
    controller, _ = smtp_server
    app.config.update(
        NOTIFY_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        SMS_GATEWAY_URL=sms_gateway.url,
        SMS_GATEWAY_USER="clinic",
        SMS_GATEWAY_PASSWORD="gateway-secret",
    )
    return smtp_server[1], sms_gateway
