"""Registering patients, finding them, reading their record (every read is audited), and what the patient's
page gathers: visits, series, rides, reminders, and sending the patient their ride link again."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from clinic.domain.plausible import birth_dates, rems_enrolment_dates
from clinic.domain.policy import Action
from clinic.domain.reminders import plan_ride_missing_notice
from clinic.domain.transport import MODES, SAFE, RideDetails, TransportStatus, ride_errors
from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.formatting import Where, region_of
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.models.reminder import Reminder
from clinic.models.series import Series
from clinic.services.access import authorize, authorize_record, load_for, provider_scope, treated_by
from clinic.services.actor import Actor
from clinic.services.appointments import list_appointments
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Conflict, Invalid
from clinic.services.locations import home_place
from clinic.services.reminders import add_planned, recipient_prefs, visit_facts

PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "reminder_channels",
    "reminder_consent",
    "rems_enrolled_on",
    "emergency_contact_name",
    "emergency_contact_phone",
    "default_ride",
    "notes",
    "calendar_alarms",
)
NAME_MAX_LENGTH = 100
CONTACT_NAME_MAX_LENGTH = 200
# A few paragraphs for the desk (allergies to mention, who to ask for); the clinical record lives elsewhere.
NOTES_MAX_LENGTH = 2000
MAX_SEARCH_RESULTS = 100


def phone_region() -> str:
    """The region a phone number typed without its country code is read in: that of the clinic's first
    location's locale (``en_US`` -> ``US``)."""
    return region_of(home_place().locale)


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _ride(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A default ride as stored: {mode, contact_name, contact_phone}, or None when nothing is given (a name
    or phone without a mode stays, so the rules can ask for the mode)."""
    if not value or not any(value.get(key) for key in ("mode", "contact_name", "contact_phone")):
        return None
    return {
        "mode": value.get("mode") or None,
        "contact_name": _text(value.get("contact_name")),
        "contact_phone": _text(value.get("contact_phone")),
    }


def _normalised(field: str, value: Any) -> Any:
    if field in ("emergency_contact_name", "emergency_contact_phone"):
        return _text(value)
    if field == "notes":
        return (value or "").strip()
    if field == "default_ride":
        return _ride(value)
    return value


def patient_errors(patient: Patient, now: datetime) -> dict[str, list[str]]:
    """Field -> messages for a patient record that cannot be saved; empty when it can. The one home of these
    rules for the API and the pages (which name their fields the same way, ``default_ride.mode`` included)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if patient.date_of_birth not in birth_dates(now):
        add("date_of_birth", "The date of birth is before 1900 or in the future")
    if patient.rems_enrolled_on is not None and patient.rems_enrolled_on not in rems_enrolment_dates(now):
        add("rems_enrolled_on", "The REMS enrolment is before the REMS began or in the future")
    # A reminder channel is only usable when its contact detail exists.
    if "email" in patient.reminder_channels and not patient.email:
        add("reminder_channels", "E-mail reminders need an e-mail address")
    if "sms" in patient.reminder_channels and not patient.phone:
        add("reminder_channels", "Text message reminders need a mobile phone number")
    name, phone = patient.emergency_contact_name, patient.emergency_contact_phone
    if name and len(name) > CONTACT_NAME_MAX_LENGTH:
        add("emergency_contact_name", f"Keep the name to {CONTACT_NAME_MAX_LENGTH} characters")
    if phone and not name:
        add("emergency_contact_name", "Give the emergency contact's name")
    if name and not phone:
        add("emergency_contact_phone", "Give a phone number for the emergency contact")
    if len(patient.notes or "") > NOTES_MAX_LENGTH:
        add("notes", f"Keep the notes to {NOTES_MAX_LENGTH} characters")
    ride = patient.default_ride
    if ride:
        # A patient's usual ride must be complete enough to count as arranged when a visit starts from it.
        details = RideDetails(
            TransportStatus.ARRANGED, ride["mode"], ride["contact_name"], ride["contact_phone"]
        )
        for key, messages in ride_errors(details, MODES).items():
            errors.setdefault(f"default_ride.{key}", []).extend(messages)
    return errors


def _apply(patient: Patient, data: dict[str, Any], now: datetime) -> None:
    consent_before = patient.reminder_consent
    for field in PATIENT_FIELDS:
        if field in data:
            setattr(patient, field, _normalised(field, data[field]))
    if patient.reminder_consent and not consent_before:
        patient.reminder_consent_at = now
    elif not patient.reminder_consent:
        patient.reminder_consent_at = None
    patient.updated_at = now
    errors = patient_errors(patient, now)
    if errors:
        field, messages = next(iter(errors.items()))
        detail = f"{field}: {messages[0]}" if len(errors) == 1 else "Please correct the patient's details"
        raise Invalid(detail, errors=errors)


def likely_duplicates(first_name: str, last_name: str, date_of_birth: date) -> list[Patient]:
    """Registered patients who are likely the same person: the same first and last name (case and
    surrounding spaces ignored) and the same date of birth. The one rule of what counts as a duplicate."""
    statement = (
        select(Patient)
        .where(
            func.lower(func.trim(Patient.first_name)) == first_name.strip().lower(),
            func.lower(func.trim(Patient.last_name)) == last_name.strip().lower(),
            Patient.date_of_birth == date_of_birth,
        )
        .order_by(Patient.id)
        .limit(5)
    )
    return list(db.session.scalars(statement))


class LikelyDuplicate(Conflict):
    """Registration stopped: the person may already be registered; `matches` are (id, name) pairs."""

    def __init__(self, matches: list[Patient]) -> None:
        self.matches = [(p.id, p.full_name) for p in matches]
        super().__init__(
            "A patient with this name and date of birth is already registered",
            conflicts=[{"code": "likely_duplicate", "patient_id": pid} for pid, _ in self.matches],
        )


def create_patient(
    data: dict[str, Any], actor: Actor, now: datetime, *, refuse_duplicates: bool = False
) -> Patient:
    """Register a patient. With `refuse_duplicates` a likely duplicate (see `likely_duplicates`) is refused
    with `LikelyDuplicate` before anything is written, so the desk can confirm it is a different person."""
    authorize(actor, Action.PATIENT_REGISTER)
    patient = Patient(reminder_channels=[], reminder_consent=False, notes="", created_at=now, updated_at=now)
    _apply(patient, data, now)
    if refuse_duplicates:
        matches = likely_duplicates(patient.first_name, patient.last_name, patient.date_of_birth)
        if matches:
            raise LikelyDuplicate(matches)
    db.session.add(patient)
    db.session.flush()
    record_event(actor, "patient.create", now, object_type="patient", object_id=patient.id)
    return patient


def update_patient(patient: Patient, changes: dict[str, Any], actor: Actor, now: datetime) -> Patient:
    """Change a patient's record; the audit row names the fields, not their values."""
    authorize_record(actor, Action.PATIENT_EDIT, patient, "patient")
    before = {field: getattr(patient, field) for field in PATIENT_FIELDS}
    _apply(patient, changes, now)
    after = {field: getattr(patient, field) for field in PATIENT_FIELDS}
    record_event(
        actor,
        "patient.update",
        now,
        object_type="patient",
        object_id=patient.id,
        details={"fields": changed_fields(before, after)},
    )
    return patient


def read_patient(patient_id: int, actor: Actor, now: datetime) -> Patient:
    """Load a patient's record for display (providers: only patients they treat; the edge audits the read)."""
    return load_for(actor, Action.PATIENT_READ, Patient, patient_id, "patient")


def search_patients(
    query: str | None, actor: Actor, now: datetime, limit: int = MAX_SEARCH_RESULTS
) -> list[Patient]:
    """Patients whose name, e-mail or phone contains the query, by last name; audited as one list read."""
    statement = select(Patient).order_by(Patient.last_name, Patient.first_name, Patient.id).limit(limit)
    provider_id = provider_scope(actor, Action.PATIENT_READ)
    if provider_id is not None:
        statement = statement.where(treated_by(provider_id, Patient.id))
    text = (query or "").strip().lower()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        full_name = func.lower(Patient.first_name + " " + Patient.last_name)
        statement = statement.where(
            or_(
                full_name.like(like),
                func.lower(Patient.last_name).like(like),
                func.lower(Patient.email).like(like),
                Patient.phone.like(like),
            )
        )
    patients = list(db.session.scalars(statement))
    record_event(
        actor,
        "patient.search",
        now,
        object_type="patient",
        details={"results": [p.id for p in patients]},
    )
    return patients


# --- the patient's page -------------------------------------------------------------------------------

RECENT_DAYS = 90
RECENT_VISITS = 15
UPCOMING_VISITS = 30
# The rides and reminders of the next few visits are what the desk acts on; the visit page has the rest.
RIDES_SHOWN = 5
REMINDER_VISITS = 3
_AHEAD = frozenset({VisitStatus.SCHEDULED, VisitStatus.CONFIRMED, VisitStatus.CHECKED_IN})


@dataclass(frozen=True)
class PatientOverview:
    """What the patient's page shows besides the record: visits still ahead (soonest first), recent and
    cancelled ones (newest first), series, the rides of the next dosing visits, and the reminders of the
    next visits."""

    upcoming: list[Appointment]
    more_upcoming: int
    recent: list[Appointment]
    series: list[Series]
    rides: list[Appointment]
    reminders: list[Reminder]
    ride_link_visit: Appointment | None
    # The channels the patient agreed to and can be reached on, for sending them a link.
    channels: tuple[str, ...]
    # Where the page reads its times: the next visit's location, else the latest one's, else the clinic's
    # first location.
    place: Where


def _needs_ride_link(visit: Appointment, now: datetime) -> bool:
    """A dosing visit ahead whose ride is not yet safe (missing, or arranged but not confirmed)."""
    transport = visit.transport
    return visit.is_open and visit.start_at > now and transport is not None and transport.status not in SAFE


def patient_overview(patient: Patient, actor: Actor, now: datetime) -> PatientOverview:
    """Everything the patient's page links to, each part read with the access the actor has to it."""
    visits = list_appointments(
        {"patient_id": patient.id, "start": now - timedelta(days=RECENT_DAYS), "limit": 1000}, actor
    )
    ahead = [v for v in visits if v.end_at > now and v.status in _AHEAD]
    recent = sorted((v for v in visits if v not in ahead), key=lambda v: v.start_at, reverse=True)
    authorize(actor, Action.SERIES_READ, patient.id)
    series = list(
        db.session.scalars(
            select(Series)
            .options(selectinload(Series.protocol), selectinload(Series.location))
            .where(Series.patient_id == patient.id)
            .order_by(Series.start_date.desc(), Series.id.desc())
        )
    )
    rides = [v for v in ahead if v.transport is not None]
    authorize(actor, Action.REMINDERS_READ, patient.id)
    reminders = []
    if ahead:
        reminders = list(
            db.session.scalars(
                select(Reminder)
                .where(Reminder.appointment_id.in_([v.id for v in ahead[:REMINDER_VISITS]]))
                .order_by(Reminder.due_at, Reminder.id)
                .limit(200)
            )
        )
    return PatientOverview(
        upcoming=ahead[:UPCOMING_VISITS],
        more_upcoming=max(len(ahead) - UPCOMING_VISITS, 0),
        recent=recent[:RECENT_VISITS],
        series=series,
        rides=rides[:RIDES_SHOWN],
        reminders=reminders,
        ride_link_visit=next((v for v in ahead if _needs_ride_link(v, now)), None),
        channels=recipient_prefs(patient, "UTC").reachable_channels(),
        place=(ahead or recent)[0].location if ahead or recent else home_place(),
    )


def send_ride_link(patient: Patient, channel: str, actor: Actor, now: datetime) -> Reminder:
    """Send the patient, again, the ride link of their next dosing visit whose ride is not yet confirmed, on
    one channel they consented to. It goes through the outbox like every reminder (quiet hours kept; the
    dispatcher signs a fresh link when it sends), worded as the ride message of the visit's ride status."""
    authorize_record(actor, Action.RIDE_MANAGE, patient, "patient")
    visits = list_appointments({"patient_id": patient.id, "start": now, "kind": "dose", "limit": 100}, actor)
    visit = next((v for v in visits if _needs_ride_link(v, now)), None)
    if visit is None:
        raise Conflict("No dosing visit ahead is waiting for its ride home")
    facts = visit_facts(visit, now)
    prefs = recipient_prefs(patient, facts.timezone)
    if channel not in prefs.reachable_channels():
        raise Invalid.field("channel", "The patient has not agreed to messages on this channel")
    assert visit.transport is not None  # _needs_ride_link picks only visits that have a ride
    kind = "ride_missing" if visit.transport.status == TransportStatus.MISSING else "ride_check"
    (notice,) = [n for n in plan_ride_missing_notice(facts, prefs, now) if n.channel == channel]
    # Each sending is its own outbox row: the key of the sweep's notice would make a second one a no-op.
    notice = replace(notice, kind=kind, key=f"ride-link:appt-{visit.id}:{channel}:{now.isoformat()}")
    rows = add_planned([(visit, notice)], now)
    if not rows:
        raise Conflict("The ride link was just sent")
    record_event(
        actor,
        "ride_link.send",
        now,
        object_type="appointment",
        object_id=visit.id,
        details={"channel": channel, "kind": kind},
    )
    return rows[0]
