"""Sending due reminders: claim one row at a time, re-check the visit, deliver, record the outcome.

Each reminder is claimed with FOR UPDATE SKIP LOCKED (PostgreSQL) inside its own short transaction, so
several scheduler processes share the work without sending one reminder twice, and a process killed
mid-send leaves its row pending for the others. On SQLite every transaction takes the write lock
(BEGIN IMMEDIATE), which serialises dispatchers instead.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from clinic.domain.reminders import ReminderKind, ReminderStatus, moved_from, visit_skip_reason
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.reminder import Reminder
from clinic.notify.base import Channel, DeliveryError, OutgoingMessage
from clinic.services.digests import render_provider_digest
from clinic.services.followups import is_follow_up_booked
from clinic.services.questionnaires import questionnaire_link
from clinic.services.reminders import render_reminder

# Waits before the 2nd, 3rd, ... attempt; the last one repeats.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "retry", "failed", "skipped"
    reason: str = ""


def claim_next_due(now: datetime) -> Reminder | None:
    """Lock the next due pending reminder for this transaction, skipping rows other dispatchers hold."""
    query = (
        select(Reminder)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at <= now,
            or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        )
        .options(
            joinedload(Reminder.patient),
            joinedload(Reminder.appointment).joinedload(Appointment.location),
            joinedload(Reminder.appointment).joinedload(Appointment.patient),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Reminder)
    )
    return db.session.scalar(query)


def _skip_reason(reminder: Reminder, now: datetime) -> str | None:
    """Why a reminder must not go out any more, re-checked at the moment of sending."""
    if reminder.kind == "digest":
        return None
    patient = reminder.patient
    if patient is None or not patient.reminder_consent:
        return "the patient has not consented to reminders"
    if reminder.channel not in patient.reminder_channels:
        return f"the patient no longer wants {reminder.channel} reminders"
    appointment = reminder.appointment
    if appointment is None:
        return None
    if reminder.kind == "follow_up_unbooked":
        if appointment.series and is_follow_up_booked(appointment.series, appointment.start_at):
            return "a follow-up has been booked since"
        return None
    return visit_skip_reason(reminder.kind, appointment.status, appointment.start_at, now)


def _recipient(reminder: Reminder) -> str | None:
    if reminder.kind == "digest":
        return reminder.provider.email if reminder.provider else None
    patient = reminder.patient
    if patient is None:
        return None
    return patient.email if reminder.channel == "email" else patient.phone


def build_message(reminder: Reminder, now: datetime) -> OutgoingMessage | None:
    """Render the message with today's data (a changed address or phone is used as it is now)."""
    recipient = _recipient(reminder)
    if not recipient:
        return None
    if reminder.kind == "digest":
        assert reminder.provider is not None  # _recipient found the provider's address
        message = render_provider_digest(reminder.provider, reminder.due_at, now)
    else:
        appointment = reminder.appointment
        assert appointment is not None  # add_planned, the only writer of visit reminders, sets the visit
        url = questionnaire_link(appointment, now) if reminder.kind == ReminderKind.QUESTIONNAIRE else None
        message = render_reminder(
            reminder.kind,
            reminder.channel,
            appointment,
            now,
            old_start=moved_from(reminder.idempotency_key),
            url=url,
        )
    return OutgoingMessage(recipient, message.subject, message.text, message.html, reminder.idempotency_key)


def deliver(reminder: Reminder, channels: dict[str, Channel], now: datetime, max_attempts: int) -> Outcome:
    """Send one claimed reminder and record what happened on its row."""
    outcome = _attempt(reminder, channels, now)
    reminder.updated_at = now
    if outcome.status == ReminderStatus.SENT:
        reminder.status, reminder.sent_at, reminder.status_reason = ReminderStatus.SENT, now, ""
    elif outcome.status == ReminderStatus.SKIPPED:
        reminder.status, reminder.status_reason = ReminderStatus.SKIPPED, outcome.reason
    else:
        reminder.attempts += 1
        reminder.status_reason = outcome.reason
        if outcome.status == ReminderStatus.FAILED or reminder.attempts >= max_attempts:
            reminder.status = ReminderStatus.FAILED
            return Outcome(ReminderStatus.FAILED, outcome.reason)
        reminder.next_attempt_at = now + BACKOFF[min(reminder.attempts, len(BACKOFF)) - 1]
    return outcome


def _attempt(reminder: Reminder, channels: dict[str, Channel], now: datetime) -> Outcome:
    reason = _skip_reason(reminder, now)
    if reason:
        return Outcome("skipped", reason)
    channel = channels.get(reminder.channel)
    if channel is None:
        return Outcome("failed", f"no {reminder.channel} channel is configured")
    message = build_message(reminder, now)
    if message is None:
        return Outcome("skipped", f"no {reminder.channel} address on file")
    reminder.recipient = message.to
    try:
        channel.send(message)
    except DeliveryError as error:
        return Outcome("failed" if error.permanent else "retry", str(error)[:500])
    return Outcome("sent")
