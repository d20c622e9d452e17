"""Texts patients send the clinic: the automatic answers to keywords, and the front desk's list of the rest.

A text arrives through the SMS provider's webhook (clinic.web.sms_inbound). It is stored once per provider
message id, so a webhook the provider delivers again changes nothing. Its whole text decides what happens:
C / YES / CONFIRM confirms the patient's next open visit within 7 days, STOP turns text reminders off and
START back on, HELP answers with the clinic's phone; anything else waits on the front desk's list, linked to
the patient when exactly one patient has the sending number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clinic.domain.messages import MAX_BODY_LENGTH, Keyword, MessageStatus, confirmable_until, keyword_of
from clinic.domain.policy import Action, Reach
from clinic.domain.visits import OPEN
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.message import InboundMessage
from clinic.models.patient import Patient
from clinic.services.access import authorize, provider_scope, treated_by
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, NotFound

# The longest list a page or an API answer shows at once.
LIST_LIMIT = 500


class Reply(StrEnum):
    """Which answer goes back to the sender; each is a template, messages/sms/<reply>.txt."""

    CONFIRMED = "confirmed"
    NOTHING_TO_CONFIRM = "nothing_to_confirm"
    STOPPED = "stopped"
    STARTED = "started"
    HELP = "help"
    RECEIVED = "received"


@dataclass(frozen=True)
class InboundText:
    """One text as the provider's webhook delivers it."""

    message_id: str
    from_number: str
    to_number: str
    body: str


@dataclass(frozen=True)
class Received:
    """What became of a text: its row (None for a repeat delivery), the reply to send, and what the reply
    speaks of (the confirmed visit; the location whose name and phone it gives)."""

    message: InboundMessage | None
    reply: Reply | None = None
    appointment: Appointment | None = None
    location: Location | None = None


def receive_text(text: InboundText, actor: Actor, now: datetime) -> Received:
    """Store a text and act on its keyword; a message id seen before is left as it was (no reply)."""
    patients = db.session.scalars(
        select(Patient).where(Patient.phone == text.from_number).order_by(Patient.id).limit(10)
    ).all()
    patient = patients[0] if len(patients) == 1 else None
    keyword = keyword_of(text.body)
    message = InboundMessage(
        provider_message_id=text.message_id,
        from_number=text.from_number,
        to_number=text.to_number,
        body=text.body[:MAX_BODY_LENGTH],
        patient_id=patient.id if patient else None,
        status=MessageStatus.OPEN,
        received_at=now,
    )
    # The unique message id decides which of two deliveries of one text is kept; the other changes nothing.
    if db.session.scalar(
        select(InboundMessage.id).where(InboundMessage.provider_message_id == text.message_id)
    ):
        return Received(None)
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return Received(None)
    received = _answer(message, keyword, patients, patient, actor, now)
    if received.reply is not None and received.location is None:
        received = Received(message, received.reply, received.appointment, _reply_location(patient, now))
    return received


def _answer(
    message: InboundMessage,
    keyword: Keyword | None,
    patients: Sequence[Patient],
    patient: Patient | None,
    actor: Actor,
    now: datetime,
) -> Received:
    if keyword is Keyword.HELP:
        _handled(message, keyword, now)
        return Received(message, Reply.HELP)
    if keyword in (Keyword.STOP, Keyword.START) and patients:
        # Consent to texts belongs to the number: every patient reached at it follows.
        for each in patients:
            _set_text_consent(each, keyword is Keyword.START, actor, now)
        _handled(message, keyword, now)
        return Received(message, Reply.STARTED if keyword is Keyword.START else Reply.STOPPED)
    if keyword is Keyword.CONFIRM and patient is not None:
        visit = next_open_visit(patient, now)
        if visit is None:
            return Received(message, Reply.NOTHING_TO_CONFIRM)
        if visit.confirm(now):
            record_event(
                actor,
                "appointment.confirm",
                now,
                object_type="appointment",
                object_id=visit.id,
                details={"via": "sms"},
            )
        _handled(message, keyword, now)
        return Received(message, Reply.CONFIRMED, visit, visit.location)
    # Anything else waits for the front desk; an unknown number gets no answer (it may not be a patient).
    return Received(message, Reply.RECEIVED if patients else None)


def _handled(message: InboundMessage, keyword: Keyword, now: datetime) -> None:
    message.keyword = keyword.value
    message.status, message.handled_at, message.handled_by_label = (
        MessageStatus.HANDLED,
        now,
        "automatic reply",
    )


def _set_text_consent(patient: Patient, on: bool, actor: Actor, now: datetime) -> None:
    """STOP takes text messages out of the patient's reminder channels; START puts them back (a text from
    the patient's own number is their consent)."""
    channels = [channel for channel in patient.reminder_channels if channel != "sms"]
    if on:
        channels.append("sms")
    changed = ["reminder_channels"] if channels != list(patient.reminder_channels) else []
    patient.reminder_channels = channels
    if on and not patient.reminder_consent:
        patient.reminder_consent, patient.reminder_consent_at = True, now
        changed.append("reminder_consent")
    if changed:
        patient.updated_at = now
        record_event(
            actor,
            "patient.update",
            now,
            object_type="patient",
            object_id=patient.id,
            details={"fields": changed, "via": "sms"},
        )


def next_open_visit(patient: Patient, now: datetime) -> Appointment | None:
    """The patient's next visit not yet begun that starts within the confirmation window."""
    return db.session.scalar(
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(OPEN),
            Appointment.start_at > now,
            Appointment.start_at <= confirmable_until(now),
        )
        .options(joinedload(Appointment.location))
        .order_by(Appointment.start_at, Appointment.id)
        .limit(1)
    )


def _reply_location(patient: Patient | None, now: datetime) -> Location | None:
    """The location a reply speaks for: the patient's next visit's, else their latest visit's, else the
    clinic's first location with a phone number."""
    if patient is not None:
        for order, condition in (
            (Appointment.start_at, Appointment.start_at > now),
            (Appointment.start_at.desc(), Appointment.start_at <= now),
        ):
            location = db.session.scalar(
                select(Location)
                .join(Appointment, Appointment.location_id == Location.id)
                .where(Appointment.patient_id == patient.id, condition)
                .order_by(order)
                .limit(1)
            )
            if location is not None and location.phone:
                return location
    return db.session.scalar(select(Location).order_by(Location.phone.is_(None), Location.id).limit(1))


def messages_for(actor: Actor, status: MessageStatus) -> list[InboundMessage]:
    """Texts with this status the actor may read: open ones oldest first, handled ones newest first.
    Providers see only texts of patients they treat."""
    scope = provider_scope(actor, Action.MESSAGES_READ)
    query = (
        select(InboundMessage)
        .where(InboundMessage.status == status)
        .options(joinedload(InboundMessage.patient))
        .limit(LIST_LIMIT)
    )
    if status is MessageStatus.OPEN:
        query = query.order_by(InboundMessage.received_at, InboundMessage.id)
    else:
        query = query.order_by(InboundMessage.handled_at.desc(), InboundMessage.id.desc())
    if scope is not None:
        query = query.where(treated_by(scope, InboundMessage.patient_id))
    return list(db.session.scalars(query))


def load_message(actor: Actor, action: Action, message_id: int) -> InboundMessage:
    """The text with this id if the actor may take the action on it; else the 404 of an unknown id (a
    provider never reaches a text no patient of theirs sent)."""
    not_found = f"No message with id {message_id}"
    message = db.session.get(InboundMessage, message_id)
    if message is None:
        raise NotFound(not_found)
    granted = authorize(actor, action, message.patient_id, not_found=not_found)
    if granted is Reach.TREATED and message.patient_id is None:
        raise NotFound(not_found)
    return message


def mark_handled(message: InboundMessage, actor: Actor, now: datetime) -> InboundMessage:
    """Take a text off the open list: someone has answered it."""
    load_message(actor, Action.MESSAGES_HANDLE, message.id)
    if message.status is MessageStatus.HANDLED:
        raise Conflict("This message was already marked as handled")
    message.status, message.handled_at, message.handled_by_label = MessageStatus.HANDLED, now, actor.name
    record_event(actor, "message.handle", now, object_type="inbound_message", object_id=message.id)
    return message
