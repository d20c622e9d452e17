"""The reminder outbox: rows planned with a booking, replaced on a move, withdrawn on a cancel, and the one
function that words every patient message from its templates.

Rows are written in the same transaction as the change that caused them; the scheduler process sends them
after commit (clinic.services.dispatch).
"""

import json
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.orm import selectinload

from clinic.domain.localtime import require_aware
from clinic.domain.policy import Action
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.reminders import (
    CHANNELS,
    MESSAGE_KINDS,
    DrivingRule,
    Message,
    PlannedReminder,
    RecipientPrefs,
    ReminderKind,
    ReminderStatus,
    VisitFacts,
    plan_booking_confirmation,
    plan_cancellation_notice,
    plan_move_notice,
    plan_visit_reminders,
    sms_sender_name,
    visit_guidance,
)
from clinic.domain.visits import VisitKind
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.feed import FeedToken
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
        join_url=appointment.join_url if appointment.is_virtual else None,
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
    rows = [Reminder(**values) for values in _new_outbox_rows(planned, now)]
    db.session.add_all(rows)
    return rows


def _new_outbox_rows(planned: Iterable[tuple[Appointment, PlannedReminder]], now: datetime) -> list[dict]:
    """The column values of the planned reminders whose keys are not in the outbox yet."""
    planned = list(planned)
    if not planned:
        return []
    # (This query also writes the visits to the database, so they have their ids below.)
    keys = [_outbox_key(appointment, p) for appointment, p in planned]
    existing = set(
        db.session.scalars(select(Reminder.idempotency_key).where(Reminder.idempotency_key.in_(keys)))
    )
    return _outbox_rows(planned, now, existing)


def _outbox_key(appointment: Appointment, planned: PlannedReminder) -> str:
    # with the visit's version (SEQUENCE): a visit moved away and back again gets fresh reminders
    return f"{planned.key}:v{appointment.sequence}"


def _outbox_rows(
    planned: Iterable[tuple[Appointment, PlannedReminder]], now: datetime, existing: Container[str] = ()
) -> list[dict]:
    """The column values of the planned reminders, leaving out those whose keys are `existing`."""
    keyed = [(appointment, p, _outbox_key(appointment, p)) for appointment, p in planned]
    return [
        {
            "idempotency_key": key,
            "kind": p.kind,
            "channel": p.channel,
            "appointment_id": appointment.id,
            "patient_id": appointment.patient_id,
            "due_at": p.due_at,
            "status": ReminderStatus.PENDING,
            "attempts": 0,
            "status_reason": "",
            "created_at": now,
            "updated_at": now,
        }
        for appointment, p, key in keyed
        if key not in existing
    ]


def plan_reminders(appointments: Iterable[Appointment], now: datetime) -> list[Reminder]:
    """Write the pending reminders of newly booked (or just moved) visits; a follow-up whose questionnaires
    its series' monitoring plan asks for gets the questionnaire reminder too."""
    return add_planned(_visit_reminders(appointments, now), now)


def plan_booking(appointments: Iterable[Appointment], now: datetime, *, new_series: bool = False) -> int:
    """Write the reminders of visits booked in this transaction and the patient's booking confirmation;
    returns how many. `new_series`: the visits are every visit of a series booked just now.

    One statement writes them all, as plain rows: a series plans about fifty, and nothing in the booking
    reads them back, so building and flushing an object for each would only cost time. No reminder can
    name a visit booked just now (a key names its visit), so the outbox is not asked which keys it has."""
    appointments = list(appointments)
    planned = _visit_reminders(appointments, now, new_series=new_series)
    planned += _booking_confirmation(appointments, now)
    rows = _outbox_rows(planned, now)
    if rows:
        _insert_outbox_rows(rows)
    return len(rows)


# The outbox's columns that plan_booking writes; the others keep their defaults (NULL when they have none).
_BOOKED_COLUMNS = (
    "idempotency_key",
    "kind",
    "channel",
    "appointment_id",
    "patient_id",
    "due_at",
    "status",
    "attempts",
    "status_reason",
    "recipient",
    "created_at",
    "updated_at",
)
# What a row left without a value gets, as the ORM would give it.
_DEFAULTS = {
    name: column.default.arg
    for name, column in Reminder.__table__.c.items()
    if column.default is not None and column.default.is_scalar
}
# The rows as one JSON array, inserted in their order (PostgreSQL). One parameter and the same text for any
# number of rows: psycopg converts it once and PostgreSQL prepares it, where an executemany runs one INSERT
# per row (about fifty for a series) and an array per column is quoted value by value in Python. The texts
# are typed without a length, so an over-long value is refused by the column, not cut short.
_JSON_INSERT = text(
    """
    INSERT INTO reminders (idempotency_key, kind, channel, appointment_id, patient_id, due_at, status,
                           attempts, status_reason, recipient, created_at, updated_at)
    SELECT idempotency_key, kind, channel, appointment_id, patient_id, due_at, status,
           attempts, status_reason, recipient, created_at, updated_at
    FROM ROWS FROM (
        json_to_recordset(CAST(:rows AS json)) AS (
            idempotency_key text, kind text, channel text, appointment_id integer, patient_id integer,
            due_at timestamptz, status text, attempts integer, status_reason text, recipient text,
            created_at timestamptz, updated_at timestamptz
        )
    ) WITH ORDINALITY AS planned (idempotency_key, kind, channel, appointment_id, patient_id, due_at, status,
                                  attempts, status_reason, recipient, created_at, updated_at, position)
    ORDER BY position
    """
)


def _json_instant(value: Any) -> str:
    # an instant as ISO 8601 with its offset, which timestamptz reads back exactly
    if isinstance(value, datetime):
        return require_aware(value, "instant").isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _insert_outbox_rows(rows: list[dict]) -> None:
    """One statement for every row: on PostgreSQL the rows as one JSON array, elsewhere a multi-row insert."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(Reminder), rows)
        return
    defaults = {name: _DEFAULTS.get(name) for name in _BOOKED_COLUMNS}
    values = json.dumps([{**defaults, **row} for row in rows], default=_json_instant)
    db.session.execute(_JSON_INSERT, {"rows": values})


def _visit_reminders(
    appointments: Iterable[Appointment], now: datetime, *, new_series: bool = False
) -> list[tuple[Appointment, PlannedReminder]]:
    # Imported here: the questionnaires service sends its links through this outbox.
    from clinic.services.questionnaires import follow_ups_asking_questionnaires

    appointments = list(appointments)
    asking = follow_ups_asking_questionnaires(appointments, now, new_series=new_series)
    planned = []
    specs: dict[int | None, ProtocolSpec | None] = {}
    for appointment in appointments:
        if appointment.series_id not in specs or appointment.series_id is None:
            specs[appointment.series_id] = visit_protocol(appointment)
        facts = visit_facts(
            appointment, now, specs[appointment.series_id] if appointment.kind == "dose" else None
        )
        if appointment.id in asking:
            facts = replace(facts, questionnaire_due=True)
        prefs = recipient_prefs(appointment.patient, facts.timezone)
        planned += [(appointment, p) for p in plan_visit_reminders(facts, prefs, now)]
    return planned


def withdraw_reminders(
    appointments: Iterable[Appointment],
    reason: str,
    now: datetime,
    keep: tuple[str, ...] = (ReminderKind.CANCELLATION,),
) -> None:
    """Cancel the reminders of these visits that have not been sent yet, except the kinds in `keep`."""
    ids = [a.id for a in appointments]
    if not ids:
        return
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.appointment_id.in_(ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.kind.not_in(keep),
        )
        .values(status=ReminderStatus.CANCELLED, status_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def replace_reminders(appointments: Iterable[Appointment], now: datetime) -> list[Reminder]:
    """After a move: the old pending reminders are cancelled and new ones planned for the new time. A
    confirmation not sent yet stays: it is worded when it goes, with the new times."""
    appointments = list(appointments)
    withdraw_reminders(
        appointments, "visit moved", now, keep=(ReminderKind.CANCELLATION, ReminderKind.CONFIRMATION)
    )
    return plan_reminders(appointments, now)


def _booking_confirmation(
    appointments: Iterable[Appointment], now: datetime
) -> list[tuple[Appointment, PlannedReminder]]:
    """The patient's booking confirmation: one per booking action (a whole series or one visit), on every
    consented channel, about the first dose (else the earliest visit); a series' confirmation lists its
    visits when sent."""
    appointments = sorted(appointments, key=lambda a: a.start_at)
    if not appointments:
        return []
    # about the first dose when there is one: its preparation, ride and arrival are what a series needs to
    # know (a preparation session before it may be virtual)
    first = next((a for a in appointments if a.kind == VisitKind.DOSE), appointments[0])
    facts = visit_facts(first, now)
    planned = plan_booking_confirmation(facts, recipient_prefs(first.patient, facts.timezone), now)
    return [(first, p) for p in planned]


def notify_moved(old_starts: dict[Appointment, datetime], now: datetime) -> list[Reminder]:
    """Plan the patient's notice of a move (old and new time): one per moving action, about the earliest
    moved visit; for a series the notice also lists its visits ahead, as they are when it is sent."""
    moved = sorted(old_starts, key=lambda a: a.start_at)
    if not moved:
        return []
    first = moved[0]
    facts = visit_facts(first, now)
    prefs = recipient_prefs(first.patient, facts.timezone)
    planned = plan_move_notice(facts, old_starts[first], prefs, now)
    return add_planned([(first, p) for p in planned], now)


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


def _upcoming_of_series(appointment: Appointment, now: datetime) -> list[Appointment]:
    """The open visits ahead of the visit's series (the visit alone when it is not part of one)."""
    if appointment.series_id is None:
        return [appointment]
    query = (
        select(Appointment)
        .where(
            Appointment.series_id == appointment.series_id, Appointment.is_open, Appointment.start_at > now
        )
        .order_by(Appointment.start_at)
    )
    return list(db.session.scalars(query)) or [appointment]


def _has_feed(patient: Patient) -> bool:
    query = select(
        exists().where(
            FeedToken.owner_type == "patient",
            FeedToken.owner_id == patient.id,
            FeedToken.revoked_at.is_(None),
        )
    )
    return bool(db.session.scalar(query))


def _render(name: str, context: dict) -> str:
    # the template alone, without the pages' context processors: the scheduler sends outside any request
    return current_app.jinja_env.get_template(name).render(**context)


def _tidy(text: str) -> str:
    """Template output as a message body: no trailing spaces, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_reminder(
    kind: str,
    channel: str,
    appointment: Appointment,
    now: datetime,
    *,
    old_start: datetime | None = None,
    url: str | None = None,
) -> Message:
    """Word a patient message of `kind` for `channel` from templates/messages/<kind>.{subject.txt, txt, sms,
    html}, with today's data (a changed address or phone is used as it is now).

    The templates get the visit and its location (times are written in its zone and locale), the patient,
    `guidance` (arrival, fasting, ride rule), `visits` (a series' open visits ahead, for a confirmation or a
    move), `old_start` (a move), `url` (the questionnaire link) and `clinic` (the name an SMS may show).
    SMS is one line of plain words without clinical detail; e-mail never names the drug.
    """
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind: {kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel: {channel!r}")
    location = appointment.location
    rides = (ReminderKind.RIDE_CHECK, ReminderKind.RIDE_MISSING)
    facts = visit_facts(appointment, now, with_ride_link=kind in rides)
    series_wide = kind in (ReminderKind.CONFIRMATION, ReminderKind.MOVED)
    context = {
        "kind": kind,
        "appointment": appointment,
        "location": location,
        "patient": appointment.patient,
        "clinic": sms_sender_name(location.public_name or location.name),
        "clinic_name": location.public_name or location.name,
        "guidance": visit_guidance(facts),
        "DrivingRule": DrivingRule,
        "ride_link": facts.ride_link,
        "visits": _upcoming_of_series(appointment, now) if series_wide else [appointment],
        "has_feed": _has_feed(appointment.patient) if kind == ReminderKind.CONFIRMATION else False,
        "was_due": now >= appointment.start_at,
        "old_start": old_start,
        "url": url,
        "now": now,
    }
    if channel == "sms":
        text = " ".join(_render(f"messages/{kind}.sms", context).split())
        html = _render(f"messages/{kind}.html", {**context, "sms": text})
        return Message(_subject(kind, context), text, html)
    return render_email(kind, context)


def _subject(name: str, context: dict) -> str:
    # one line, whatever the template's line breaks
    return " ".join(_render(f"messages/{name}.subject.txt", context).split())


def render_email(name: str, context: dict) -> Message:
    """Word an e-mail from templates/messages/<name>.{subject.txt, txt, html} with `context`: the subject on
    one line, the text tidied, and the HTML given `subject` and the text's `paragraphs` (what
    templates/messages/_layout.html shows unless the template words its own body). Patient messages and the
    providers' digest are worded by this one function."""
    subject = _subject(name, context)
    text = _tidy(_render(f"messages/{name}.txt", context))
    # the HTML part says what the text says (templates/messages/_layout.html), paragraph by paragraph
    paragraphs = text.strip().split("\n\n")
    html = _render(f"messages/{name}.html", {**context, "subject": subject, "paragraphs": paragraphs})
    return Message(subject, text, html)


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
