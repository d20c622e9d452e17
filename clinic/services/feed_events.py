"""What each event of a calendar feed says, by who reads it.

A patient's feed is neutral (titled "Clinic visit", the location's public name, never a drug or a
diagnosis) and tells the patient what to do (arrive by, fasting, the ride home), with alarms at the fasting
cut-off and before the pickup when the patient opted in; staff feeds (a provider's, a location's) use staff
wording (chair, check-in, REMS form, the patient's phone for the provider). A virtual visit carries its join
link ("Join: https://...") instead of the place, arrival and directions. Every clock time carries the zone's
abbreviation, every phone number is written as the location's country dials it.
"""

from datetime import datetime, timedelta
from urllib.parse import quote_plus

from sqlalchemy import select

from clinic.domain.ical import (
    FeedAlarm,
    FeedEvent,
)
from clinic.domain.protocols import ProtocolSpec
from clinic.domain.transport import TransportStatus
from clinic.domain.visits import KIND_LABELS, VisitKind, VisitStatus
from clinic.extensions import db
from clinic.formatting import format_phone, format_time, zone_abbreviation
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.rems_form import RemsForm
from clinic.services.protocols import visit_protocol

# Alarms (patients who opted in): at the food cut-off of a dosing visit, PICKUP_ALARM before the ride home,
# and VISIT_ALARM before a visit with neither.
PICKUP_ALARM = timedelta(minutes=30)
VISIT_ALARM = timedelta(hours=2)
ARRIVE_EARLY = timedelta(minutes=15)
# Shown instead of the location's name in a patient's feed when it has no public name.
NEUTRAL_PLACE = "Clinic"
# LOCATION of a virtual visit.
ONLINE_PLACE = "Online"
MAPS_SEARCH = "https://www.google.com/maps/search/?api=1&query="


def owner_label(owner) -> str:
    """The owner's name as a feed shows it (a patient's first name only)."""
    return getattr(owner, "name", "") or getattr(owner, "first_name", "")


def feed_events(owner_type: str, owner, visits: list[Appointment]) -> list[FeedEvent]:
    """The events of `owner`'s feed, one per visit, worded for the feed's reader: a patient's neutral and
    practical, staff's with the chair, check-in, REMS form and (for a provider) the patient's phone."""
    specs: dict[int | None, ProtocolSpec | None] = {}
    submitted = _submitted_forms(visits) if owner_type != "patient" else set()
    alarms = owner_type == "patient" and owner.calendar_alarms
    events = []
    for visit in visits:
        if visit.series_id not in specs or visit.series_id is None:
            specs[visit.series_id] = visit_protocol(visit)
        spec = specs[visit.series_id] if visit.kind == VisitKind.DOSE else None
        cancelled = visit.status == VisitStatus.CANCELLED
        if owner_type == "patient":
            description = _patient_description(visit, spec)
        else:
            description = _staff_description(owner_type, visit, spec, visit.id in submitted)
        summary = _summary(owner_type, owner, visit)
        events.append(
            FeedEvent(
                uid=visit.uid,
                sequence=visit.sequence,
                start=visit.start_at,
                end=visit.end_at,
                timezone=visit.location.timezone,
                # Clients that ignore STATUS (some show a cancelled event as live) still read the title.
                summary=f"Cancelled: {summary}" if cancelled else summary,
                location=ONLINE_PLACE if visit.is_virtual else _place(owner_type, visit.location),
                description=description,
                status="CANCELLED" if cancelled else "CONFIRMED",
                last_modified=visit.updated_at,
                alarms=_alarms(visit, spec) if alarms and not cancelled else (),
                url=_url(owner_type, visit),
            )
        )
    return events


def _url(owner_type: str, visit: Appointment) -> str:
    """URL: a virtual visit's join link; for a patient otherwise the directions to the location."""
    if visit.is_virtual and visit.join_url:
        return visit.join_url
    return directions_url(visit.location) if owner_type == "patient" else ""


def _submitted_forms(visits: list[Appointment]) -> set[int]:
    """The visits among `visits` whose REMS form was sent (one query)."""
    ids = [visit.id for visit in visits if visit.kind == VisitKind.DOSE]
    if not ids:
        return set()
    return set(db.session.scalars(select(RemsForm.appointment_id).where(RemsForm.appointment_id.in_(ids))))


def directions_url(location: Location) -> str:
    """A maps search for the location's address, which phones open in their maps app; empty without one."""
    address = (location.address or "").strip()
    return MAPS_SEARCH + quote_plus(address) if address else ""


def _place(owner_type: str, location: Location) -> str:
    """LOCATION: for patients the neutral public name (a full name may name the treatment), for staff the
    location's own name; then the address."""
    name = location.name
    if owner_type == "patient":
        name = (location.public_name or "").strip() or NEUTRAL_PLACE
    return ", ".join(part for part in (name, (location.address or "").strip()) if part)


def _clock(instant: datetime, location: Location) -> str:
    """A clock time with the zone's abbreviation (``1:45 PM EST``), so it reads right in any zone."""
    return f"{format_time(instant, location)} {zone_abbreviation(instant, location)}"


def _alarms(visit: Appointment, spec: ProtocolSpec | None) -> tuple[FeedAlarm, ...]:
    """The opted-in patient's alarms: at the food cut-off of a dosing visit and PICKUP_ALARM before the ride
    home; VISIT_ALARM before a visit with neither."""
    location, found = visit.location, []
    at = _clock(visit.start_at, location)
    if spec is not None:
        cut_off = -timedelta(minutes=spec.fasting_food_minutes)
        found.append(FeedAlarm(cut_off, f"No food from now on (clinic visit at {at})"))
    if visit.transport is not None:
        pickup = visit.transport.pickup_at
        found.append(
            FeedAlarm(
                pickup - PICKUP_ALARM - visit.start_at,
                f"Ride home: pickup about {_clock(pickup, location)}",
            )
        )
    if not found:
        found.append(FeedAlarm(-VISIT_ALARM, f"Clinic visit at {at}"))
    return tuple(found)


def calendar_name(owner_type: str, owner) -> str:
    if owner_type == "patient":
        return "My clinic visits"
    if owner_type == "provider":
        return f"Clinic schedule · {owner.name}"
    return f"{owner.name} · all chairs"


def _patient_label(visit: Appointment, full_names: bool) -> str:
    patient = visit.patient
    return patient.full_name if full_names else f"{patient.first_name[:1]}. {patient.last_name[:1]}."


def _summary(owner_type: str, owner, visit: Appointment) -> str:
    if owner_type == "patient":
        return "Clinic visit"  # neutral: a shared or glanced-at calendar must not reveal the treatment
    kind = KIND_LABELS.get(visit.kind, visit.kind) + (f" {visit.dose_number}" if visit.dose_number else "")
    kind += " (virtual)" if visit.is_virtual else ""
    label = _patient_label(visit, owner_type == "provider" and owner.feed_full_names)
    prefix = f"{visit.chair.name}: " if owner_type == "location" and visit.chair else ""
    return f"{prefix}{kind} · {label}"


def _patient_description(visit: Appointment, spec: ProtocolSpec | None) -> str:
    """What the patient needs to do, in the patient's words; a cancelled visit says only that."""
    location = visit.location
    lines = []
    if visit.status == VisitStatus.CANCELLED:
        lines.append("This visit is cancelled.")
    elif visit.is_virtual:
        lines.append(f"Online visit. Join: {visit.join_url}")
    else:
        lines.append(f"Please arrive by {_clock(visit.start_at - ARRIVE_EARLY, location)}.")
        if spec is not None:
            food = _clock(visit.start_at - timedelta(minutes=spec.fasting_food_minutes), location)
            liquid = _clock(visit.start_at - timedelta(minutes=spec.fasting_liquid_minutes), location)
            lines.append(f"No food after {food}; no liquids after {liquid}.")
        if visit.transport is not None:
            ride = visit.transport
            pickup = _clock(ride.pickup_at, location)
            if ride.status == TransportStatus.MISSING:
                lines.append(
                    f"Ride home: not arranged yet - you cannot drive yourself. Pickup about {pickup}."
                )
            else:
                who = ride.contact_name or (ride.mode or "").replace("_", " ")
                lines.append(f"Ride home: {who} ({ride.status}), pickup about {pickup}.")
        url = directions_url(location)
        if url:
            lines.append(f"Directions: {url}")
    if location.phone:
        lines.append(f"Questions: {format_phone(location.phone, location)}")
    return "\n".join(lines)


def _check_in(visit: Appointment) -> str:
    if visit.status == VisitStatus.CHECKED_IN and visit.checked_in_at is not None:
        return f"checked in at {_clock(visit.checked_in_at, visit.location)}"
    return {
        VisitStatus.SCHEDULED: "not checked in",
        VisitStatus.CONFIRMED: "confirmed, not checked in",
        VisitStatus.CHECKED_IN: "checked in",
        VisitStatus.COMPLETED: "discharged",
        VisitStatus.NO_SHOW: "no-show",
    }.get(visit.status, str(visit.status))


def _staff_description(
    owner_type: str, visit: Appointment, spec: ProtocolSpec | None, form_sent: bool
) -> str:
    """The visit as the team needs it: chair, check-in, ride, REMS form; the patient's phone for providers."""
    location = visit.location
    if visit.status == VisitStatus.CANCELLED:
        lines = ["Cancelled."]
    elif visit.is_virtual:
        lines = [f"Virtual. Join: {visit.join_url}", f"Check-in: {_check_in(visit)}"]
    else:
        lines = [
            f"Chair: {visit.chair.name if visit.chair else 'not assigned'}",
            f"Check-in: {_check_in(visit)}",
        ]
        if visit.transport is not None:
            ride = visit.transport
            pickup = _clock(ride.pickup_at, location)
            if ride.status == TransportStatus.MISSING:
                lines.append(f"Ride home: missing (patient may not drive), pickup {pickup}")
            else:
                who = ride.contact_name or (ride.mode or "").replace("_", " ")
                lines.append(f"Ride home: {who} ({ride.status}), pickup {pickup}")
        if spec is not None and spec.rems_required:
            if form_sent:
                form = "sent"
            elif visit.status == VisitStatus.COMPLETED:
                form = "to send"
            else:
                form = "after discharge"
            lines.append(f"REMS form: {form}")
    if owner_type == "provider" and visit.patient.phone:
        lines.append(f"Patient phone: {format_phone(visit.patient.phone, location)}")
    return "\n".join(lines)
