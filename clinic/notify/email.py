"""E-mail over SMTP, with plain-text and HTML bodies; one connection is reused for a dispatch pass."""

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from clinic.notify.base import DeliveryError, OutgoingMessage

SMTP_TIMEOUT_SECONDS = 20


class SmtpChannel:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.use_tls = username, password, use_tls
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            self._smtp = smtp
        return self._smtp

    def _build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # Derived from the idempotency key, so a resend after a crash carries the same Message-ID and mail
        # systems can recognise the duplicate.
        email["Message-ID"] = make_msgid(
            idstring=message.idempotency_key.replace(":", "."), domain="clinic.invalid"
        )
        email["X-Clinic-Idempotency-Key"] = message.idempotency_key
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> None:
        email = self._build(message)
        try:
            self._connection().send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            self.close()
            raise DeliveryError(f"recipient refused: {error.recipients}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise DeliveryError(f"SMTP error: {error.__class__.__name__}: {error}") from None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None
