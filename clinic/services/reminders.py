"""The reminder outbox: rows planned with a booking, replaced on a move, withdrawn on a cancel.

Rows are written in the same transaction as the change that caused them; the scheduler process sends them
after commit (clinic.services.dispatch).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from clinic.domain.policy import Action
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.reminders import (
    PlannedReminder,
    RecipientPrefs,
    ReminderStatus,
    VisitFacts,
    plan_cancellation_notice,
    plan_visit_reminders,
)
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.models.reminder import Reminder
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict
from clinic.services.protocols import visit_protocol
from clinic.services.ride_links import ride_link


def visit_facts(
    appointment: Appointment, now: datetime, spec: ProtocolSpec | None = None, *, with_ride_link: bool = False
) -> VisitFacts:
    """The plain facts of a visit that reminder rules and messages need (`spec`: its protocol, if known).

    Planning needs only times; rendering a message (`with_ride_link`) adds the patient's signed ride link.
    """
    spec = spec or visit_protocol(appointment)
    link = ride_link(appointment, now) if with_ride_link and appointment.transport is not None else None
    location = appointment.location
    return VisitFacts(
        appointment_id=appointment.id,
        kind=appointment.kind,
        start=appointment.start_at,
        end=appointment.end_at,
        timezone=location.timezone,
        location_name=location.name,
        location_address=location.address,
        location_phone=location.phone,
        patient_first_name=appointment.patient.first_name,
        drug=spec.drug if spec else None,
        needs_ride=bool(spec and spec.needs_ride),
        fasting_food_minutes=spec.fasting_food_minutes if spec else 0,
        fasting_liquid_minutes=spec.fasting_liquid_minutes if spec else 0,
        ride_link=link,
    )


def recipient_prefs(patient: Patient, timezone: str) -> RecipientPrefs:
    """A patient's channels and consent; quiet hours are read in the visit location's timezone."""
    return RecipientPrefs(
        channels=tuple(patient.reminder_channels),
        consent=patient.reminder_consent,
        email=patient.email,
        phone=patient.phone,
        timezone=timezone,
    )


def add_planned(planned: Iterable[tuple[Appointment, PlannedReminder]], now: datetime) -> list[Reminder]:
    """Write planned reminders as outbox rows, leaving out any whose key is already in the outbox.

    The key gets the visit's version (SEQUENCE), so a visit moved away and back again gets fresh reminders.
    One query finds the existing keys and one insert writes the rest, however many visits there are.
    """
    keyed = [(appointment, p, f"{p.key}:v{appointment.sequence}") for appointment, p in planned]
    if not keyed:
        return []
    existing = set(
        db.session.scalars(
            select(Reminder.idempotency_key).where(Reminder.idempotency_key.in_([key for _, _, key in keyed]))
        )
    )
    rows = [
        Reminder(
            idempotency_key=key,
            kind=p.kind,
            channel=p.channel,
            appointment=appointment,
            patient=appointment.patient,
            due_at=p.due_at,
            status=ReminderStatus.PENDING,
            attempts=0,
            status_reason="",
            created_at=now,
            updated_at=now,
        )
        for appointment, p, key in keyed
        if key not in existing
    ]
    db.session.add_all(rows)
    return rows


def plan_reminders(appointments: Iterable[Appointment], now: datetime) -> list[Reminder]:
    """Write the pending reminders of newly booked (or just moved) visits."""
    planned = []
    specs: dict[int | None, ProtocolSpec | None] = {}
    for appointment in appointments:
        if appointment.series_id not in specs or appointment.series_id is None:
            specs[appointment.series_id] = visit_protocol(appointment)
        facts = visit_facts(
            appointment, now, specs[appointment.series_id] if appointment.kind == "dose" else None
        )
        prefs = recipient_prefs(appointment.patient, facts.timezone)
        planned += [(appointment, p) for p in plan_visit_reminders(facts, prefs, now)]
    return add_planned(planned, now)


def withdraw_reminders(appointments: Iterable[Appointment], reason: str, now: datetime) -> None:
    """Cancel the reminders of these visits that have not been sent yet."""
    ids = [a.id for a in appointments]
    if not ids:
        return
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.appointment_id.in_(ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.kind != "cancellation",
        )
        .values(status=ReminderStatus.CANCELLED, status_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def replace_reminders(appointments: Iterable[Appointment], now: datetime) -> list[Reminder]:
    """After a move: the old pending reminders are cancelled and new ones planned for the new time."""
    appointments = list(appointments)
    withdraw_reminders(appointments, "visit moved", now)
    return plan_reminders(appointments, now)


def notify_cancellation(appointments: Iterable[Appointment], now: datetime) -> list[Reminder]:
    """Withdraw the reminders of cancelled visits and send the patient one cancellation notice.

    One notice per cancelling action, on the patient's first usable channel, about the earliest visit:
    cancelling the rest of a series must not send a dozen messages.
    """
    appointments = sorted(appointments, key=lambda a: a.start_at)
    withdraw_reminders(appointments, "visit cancelled", now)
    if not appointments:
        return []
    first = appointments[0]
    facts = visit_facts(first, now)
    notices = plan_cancellation_notice(facts, recipient_prefs(first.patient, facts.timezone), now)
    return add_planned([(first, notice) for notice in notices[:1]], now)


def reminders_of(appointment: Appointment) -> list[Reminder]:
    """Every reminder of a visit, by due time."""
    query = (
        select(Reminder)
        .where(Reminder.appointment_id == appointment.id)
        .order_by(Reminder.due_at, Reminder.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Outbox:
    failed: list[Reminder]
    pending: list[Reminder]
    recent: list[Reminder]


OUTBOX_ROWS = 100


def outbox(now: datetime) -> Outbox:
    """What staff need to see: failures first, then what is due next, then what just went out."""
    base = select(Reminder).options(
        selectinload(Reminder.patient), selectinload(Reminder.appointment).selectinload(Appointment.location)
    )
    return Outbox(
        failed=list(
            db.session.scalars(
                base.where(Reminder.status == ReminderStatus.FAILED)
                .order_by(Reminder.updated_at.desc())
                .limit(OUTBOX_ROWS)
            )
        ),
        pending=list(
            db.session.scalars(
                base.where(Reminder.status == ReminderStatus.PENDING)
                .order_by(Reminder.due_at)
                .limit(OUTBOX_ROWS)
            )
        ),
        recent=list(
            db.session.scalars(
                base.where(
                    Reminder.status.in_((ReminderStatus.SENT, ReminderStatus.SKIPPED)),
                    Reminder.updated_at >= now - timedelta(days=1),
                )
                .order_by(Reminder.updated_at.desc())
                .limit(OUTBOX_ROWS)
            )
        ),
    )


def retry_reminder(reminder: Reminder, actor: Actor, now: datetime) -> Reminder:
    """Put a failed reminder back in the queue (e.g. after the SMS gateway's credentials were fixed)."""
    authorize(actor, Action.OUTBOX_MANAGE)
    if reminder.status != ReminderStatus.FAILED:
        raise Conflict("Only a failed reminder can be retried")
    reminder.status, reminder.attempts, reminder.next_attempt_at = ReminderStatus.PENDING, 0, None
    reminder.status_reason = ""
    reminder.updated_at = now
    record_event(actor, "reminder.retry", now, object_type="reminder", object_id=reminder.id)
    return reminder
