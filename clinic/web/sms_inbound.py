"""The SMS provider's webhook: texts patients send the clinic's number arrive here, signed by the provider.

Twilio posts the text as a form (From, To, Body, MessageSid, ...) and signs the request with the account's
auth token; an unsigned or wrongly signed request is refused (403) before anything is read or written. The
answer is TwiML: the reply to text back, or an empty <Response/> when there is none.
"""

from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, render_template, request

from clinic.clock import utcnow
from clinic.extensions import csrf, limiter
from clinic.notify.twilio import signature_valid
from clinic.services.actor import Actor
from clinic.services.messages import InboundText, Received, receive_text

bp = Blueprint("sms_inbound", __name__)
# The provider signs its requests; it has no session and no CSRF token.
csrf.exempt(bp)

INBOUND_PATH = "/sms/inbound"
# Longest accepted values of the fields the webhook reads (E.164 numbers are at most 16 characters, but
# short codes and alphanumeric senders differ).
FIELD_LIMITS = {"MessageSid": 64, "From": 32, "To": 32}
TWIML_TYPE = "text/xml; charset=utf-8"


def _twiml(reply: str | None) -> Response:
    body = f"<Message>{escape(reply)}</Message>" if reply else ""
    document = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
    return Response(document, status=200, content_type=TWIML_TYPE)


def _refuse(status: int, detail: str) -> Response:
    return Response(detail + "\n", status=status, mimetype="text/plain")


def _signed() -> bool:
    url = current_app.config["CLINIC_BASE_URL"].rstrip("/") + INBOUND_PATH
    return signature_valid(
        current_app.config.get("TWILIO_AUTH_TOKEN"),
        url,
        request.form.items(multi=True),
        request.headers.get("X-Twilio-Signature", ""),
    )


def _reply_text(received: Received) -> str | None:
    if received.reply is None:
        return None
    text = render_template(
        f"messages/sms/{received.reply}.txt", location=received.location, appointment=received.appointment
    )
    return " ".join(text.split())


@bp.route(INBOUND_PATH, methods=["POST"])
@limiter.limit(lambda: current_app.config["SMS_INBOUND_RATE_LIMIT"])
def inbound():
    """Store a text from a patient and answer its keyword (C, STOP, START, HELP) in TwiML."""
    if not _signed():
        return _refuse(403, "The request does not carry a valid X-Twilio-Signature")
    for field, limit in FIELD_LIMITS.items():
        value = request.form.get(field, "")
        if field != "To" and not value.strip():
            return _refuse(400, f"{field}: required")
        if len(value) > limit:
            return _refuse(400, f"{field}: longer than {limit} characters")
    text = InboundText(
        message_id=request.form["MessageSid"].strip(),
        from_number=request.form["From"].strip(),
        to_number=request.form.get("To", "").strip(),
        body=request.form.get("Body", ""),
    )
    actor = Actor(user=None, remote_addr=request.remote_addr or "", label="patient text message")
    received = receive_text(text, actor, utcnow())
    return _twiml(_reply_text(received))
