"""Questionnaires by link: a signed, single-use link to the patient's own PHQ-9 (and GAD-7) page of a visit.

The link names the visit and is signed with the app's secret and the time it was issued (the app's clock).
It works until the visit ends, and once: answers recorded through a link make every link issued before them
spent, so a re-sent link (issued later) works again. Answers are scored by the domain and stored as
measurements recorded by the patient, raising the same alerts a clinician's entry raises.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import exists, select

from clinic.domain.monitoring import MeasurementError
from clinic.domain.policy import Action
from clinic.domain.questionnaires import Questionnaire, questionnaires_for_visit, read_answers
from clinic.domain.reminders import PlannedReminder, ReminderKind
from clinic.extensions import db
from clinic.formatting import region_of
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.reminder import Reminder
from clinic.services.access import authorize_record
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid, NotFound, ServiceError
from clinic.services.monitoring import store_measurement
from clinic.services.reminders import add_planned, recipient_prefs

QUESTIONNAIRE_LINK_SALT = "questionnaire-link"
# Who recorded answers given through the link: the patient, not a staff user (no user id is stored).
PATIENT_RECORDER = "Patient (questionnaire link)"
INVALID_LINK = "This link is not valid. Please call the clinic."


class LinkGone(ServiceError):
    """The link was genuine but can no longer be used: the visit is over or cancelled, or it was used."""

    status = 410
    title = "Gone"

    def __init__(self, detail: str, *, reason: str, appointment: Appointment) -> None:
        super().__init__(detail)
        self.reason = reason
        self.appointment = appointment


def _serializer(now: datetime) -> URLSafeTimedSerializer:
    class ClockSigner(TimestampSigner):
        # Signing follows the app's clock (`now`), so "issued before the answers" reads one clock.
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=QUESTIONNAIRE_LINK_SALT, signer=ClockSigner
    )


def questionnaire_link(appointment: Appointment, now: datetime) -> str:
    """A signed link to the patient's questionnaire page of this visit, usable until the visit ends."""
    token = _serializer(now).dumps({"a": appointment.id, "u": appointment.uid})
    return f"{current_app.config['CLINIC_BASE_URL'].rstrip('/')}/q/{token}"


@dataclass(frozen=True)
class OpenedLink:
    """The visit a genuine, usable questionnaire link belongs to, and what it asks."""

    appointment: Appointment
    issued_at: datetime
    questionnaires: tuple[Questionnaire, ...]


def _answered_since(appointment: Appointment, issued_at: datetime) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Measurement.appointment_id == appointment.id,
                    Measurement.recorded_by_id.is_(None),
                    Measurement.recorded_by_label == PATIENT_RECORDER,
                    Measurement.recorded_at >= issued_at,
                )
            )
        )
    )


def open_questionnaire_link(token: str, now: datetime) -> OpenedLink:
    """The visit behind a questionnaire link: NotFound for a forged or unknown one, LinkGone (410) once the
    visit has ended or is no longer open, or once answers were given through this (or a later) link."""
    try:
        data, issued_at = _serializer(now).loads(token, return_timestamp=True)
    except BadSignature:
        raise NotFound(INVALID_LINK) from None
    appointment = db.session.get(Appointment, data.get("a")) if isinstance(data, dict) else None
    if appointment is None or appointment.uid != data.get("u"):
        raise NotFound(INVALID_LINK)
    if not appointment.is_open or now >= appointment.end_at:
        raise LinkGone("This questionnaire has closed.", reason="closed", appointment=appointment)
    if _answered_since(appointment, issued_at):
        raise LinkGone("These answers were already sent.", reason="used", appointment=appointment)
    return OpenedLink(
        appointment, issued_at, questionnaires_for_visit(appointment.kind, appointment.dose_number)
    )


@dataclass(frozen=True)
class Scored:
    """One questionnaire as the patient answered it: the stored measurement and the alerts it raised."""

    questionnaire: Questionnaire
    measurement: Measurement
    alerts: list[Alert]


def submit_answers(link: OpenedLink, form: dict[str, str], remote_addr: str, now: datetime) -> list[Scored]:
    """Score and store the patient's answers, raising the alerts they call for (item 9 above 0 is urgent
    for the treating provider). Invalid names the first unanswered item, and then nothing is stored."""
    try:
        answers = read_answers(form, link.questionnaires)
    except MeasurementError as error:
        raise Invalid.field(error.field, error.message) from None
    actor = Actor(user=None, remote_addr=remote_addr, label=PATIENT_RECORDER)
    scored = []
    for questionnaire, items in answers.items():
        measurement, alerts = store_measurement(
            link.appointment, {"instrument": questionnaire.value, "items": items}, actor, now
        )
        scored.append(Scored(questionnaire, measurement, alerts))
    return scored


def crisis_country(appointment: Appointment) -> str:
    """The country of the visit's location (from its locale, e.g. en_US -> US): its crisis line is shown."""
    return region_of(appointment.location.locale)


def send_questionnaire_link(
    appointment: Appointment, actor: Actor, now: datetime
) -> tuple[str, list[Reminder]]:
    """Send (or send again) the patient the questionnaire link of a visit, now, on every channel they
    consented to, through the outbox; answers the link itself too, for staff to pass on. Audited.

    Once the visit has started the outbox no longer sends it (the patient is here): staff hand over the link.
    """
    authorize_record(actor, Action.QUESTIONNAIRE_LINK_SEND, appointment, "appointment")
    if not appointment.is_open or now >= appointment.end_at:
        raise Conflict("The visit is over or no longer open: its questionnaire has closed")
    prefs = recipient_prefs(appointment.patient, appointment.location.timezone)
    # each sending is its own outbox row, so a re-send is never taken for the planned reminder
    planned = [
        (
            appointment,
            PlannedReminder(
                ReminderKind.QUESTIONNAIRE,
                channel,
                now,
                f"questionnaire-link:appt-{appointment.id}:{channel}:{now.isoformat()}",
            ),
        )
        for channel in prefs.reachable_channels()
    ]
    rows = add_planned(planned, now)
    record_event(
        actor,
        "questionnaire_link.send",
        now,
        object_type="appointment",
        object_id=appointment.id,
        details={"channels": [row.channel for row in rows]},
    )
    return questionnaire_link(appointment, now), rows


__all__ = [
    "PATIENT_RECORDER",
    "LinkGone",
    "OpenedLink",
    "Scored",
    "crisis_country",
    "open_questionnaire_link",
    "questionnaire_link",
    "send_questionnaire_link",
    "submit_answers",
]
