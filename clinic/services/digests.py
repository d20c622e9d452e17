"""The providers' daily digest: planned for 07:00 local time and rendered with the day's data when sent;
templates/messages/digest.* word it, as the patient messages' templates word theirs."""

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from clinic.domain.localtime import to_local, utc_at
from clinic.domain.reminders import (
    Digest,
    DigestOverdue,
    DigestSection,
    DigestVisit,
    Message,
    OverdueKind,
    ReminderStatus,
    digest_due_at,
    provider_digest,
)
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.models.provider import Provider, ProviderAvailability
from clinic.models.reminder import Reminder
from clinic.services.monitoring import open_alerts, overdue_items
from clinic.services.reminders import render_email
from clinic.services.transport import missing_rides_for_digest

# A digest planned this late after its time is no longer worth sending.
STALE_AFTER = timedelta(hours=10)
OVERDUE_LOOKBACK = timedelta(days=14)


def provider_timezone(provider: Provider) -> str | None:
    """Where the provider works (the location of their first availability window)."""
    row = db.session.scalar(
        select(ProviderAvailability).where(ProviderAvailability.provider_id == provider.id).limit(1)
    )
    return row.location.timezone if row else None


def plan_digests(now: datetime) -> list[Reminder]:
    """Plan today's digest for every active provider, once (the key is provider + local date)."""
    planned = []
    for provider in db.session.scalars(select(Provider).where(Provider.active.is_(True))):
        tz = provider_timezone(provider)
        if tz is None or not provider.email:
            continue
        today = _local_date(now, tz)
        due = digest_due_at(today, tz)
        key = f"digest:{provider.id}:{today.isoformat()}"
        if now > due + STALE_AFTER or db.session.scalar(
            select(Reminder.id).where(Reminder.idempotency_key == key)
        ):
            continue
        reminder = Reminder(
            idempotency_key=key,
            kind="digest",
            channel="email",
            provider=provider,
            due_at=due,
            status=ReminderStatus.PENDING,
            attempts=0,
            status_reason="",
            created_at=now,
            updated_at=now,
        )
        db.session.add(reminder)
        planned.append(reminder)
    return planned


def _local_date(instant: datetime, tz: str) -> date:
    return to_local(instant, tz).date()


def _patient_initials(patient: Patient) -> str:
    return f"{patient.first_name[:1]}. {patient.last_name[:1]}."


def _initials(appointment: Appointment) -> str:
    return _patient_initials(appointment.patient)


def _digest_visit(appointment: Appointment) -> DigestVisit:
    base_url = current_app.config["CLINIC_BASE_URL"].rstrip("/")
    label = appointment.kind.replace("_", " ")
    if appointment.dose_number:
        label += f" {appointment.dose_number}"
    return DigestVisit(
        start=appointment.start_at,
        patient_label=_initials(appointment),
        kind=label,
        note=f"{base_url}/appointments/{appointment.id}",
    )


def render_provider_digest(provider: Provider, due_at: datetime, now: datetime) -> Message:
    """The digest of the provider's local day that `due_at` falls on, with the data as it is `now`."""
    tz = provider_timezone(provider) or "UTC"
    day = _local_date(due_at, tz)
    start, end = utc_at(day, time(0), tz), utc_at(day + timedelta(days=1), time(0), tz)
    visits = list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.provider_id == provider.id,
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Appointment.holds_slot,
            )
            .order_by(Appointment.start_at)
        )
    )
    unresolved = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.provider_id == provider.id,
            Appointment.start_at >= start - OVERDUE_LOOKBACK,
            Appointment.start_at < start,
            Appointment.is_open,
        )
        .order_by(Appointment.start_at)
    )
    overdue = [_unresolved(a) for a in unresolved]
    overdue += [
        DigestOverdue(
            OverdueKind.MONITORING,
            _patient_initials(series.patient),
            item.label,
            at=to_local(item.deadline, tz),
        )
        for series, item in overdue_items(now, provider.id)
    ]
    overdue += [
        DigestOverdue(
            OverdueKind.ALERT, _patient_initials(alert.patient), alert.message, severity=alert.severity
        )
        for alert in open_alerts(provider.id)
    ]
    digest = provider_digest(
        provider.name,
        day,
        tz,
        doses=[_digest_visit(a) for a in visits if a.kind == "dose"],
        follow_ups=[_digest_visit(a) for a in visits if a.kind == "follow_up"],
        overdue=overdue,
        missing_rides=[_digest_visit(a) for a in missing_rides_for_digest(provider.id, now)],
    )
    return render_digest(digest)


def _unresolved(appointment: Appointment) -> DigestOverdue:
    # the day the visit was, as the location's clock read it
    visit = _digest_visit(appointment)
    return DigestOverdue(
        OverdueKind.UNRESOLVED_VISIT,
        visit.patient_label,
        visit.kind,
        at=appointment.local_start,
        note=visit.note,
    )


def render_digest(digest: Digest) -> Message:
    """Word a provider digest from templates/messages/digest.{subject.txt, txt, html}; the HTML escapes every
    value."""
    return render_email(
        "digest", {"digest": digest, "DigestSection": DigestSection, "OverdueKind": OverdueKind}
    )
