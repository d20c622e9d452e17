"""Questionnaires by link: a signed, single-use link to the patient's own PHQ-9 (and GAD-7) page of a visit.

The link names the visit and is signed with the app's secret and the time it was issued (the app's clock).
It works until the visit ends, and once: answering through a link stores its use (the token's digest, unique),
and a link is spent once answers came through it, or through any link of the visit issued no earlier (the
e-mail and the text of one reminder are two links); a re-sent link (issued later) works again. Answers are
scored by the domain and stored as measurements recorded by the patient, raising the same alerts a
clinician's entry raises.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from clinic.domain.monitoring import MeasurementError
from clinic.domain.monitoring.plan import (
    DoseFacts,
    PlanItemStatus,
    SeriesFacts,
    questionnaire_follow_ups,
)
from clinic.domain.monitoring.plan import VisitFacts as PlanVisitFacts
from clinic.domain.policy import Action
from clinic.domain.questionnaires import Questionnaire, questionnaires_for_visit, read_answers
from clinic.domain.reminders import PlannedReminder, ReminderKind
from clinic.domain.visits import VisitKind, VisitStatus
from clinic.extensions import db
from clinic.formatting import region_of
from clinic.models.alert import Alert
from clinic.models.appointment import Appointment
from clinic.models.measurement import Measurement
from clinic.models.questionnaire import QuestionnaireLinkUse
from clinic.models.reminder import Reminder
from clinic.models.series import Series
from clinic.services.access import authorize_record
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.errors import Conflict, Invalid, NotFound, ServiceError
from clinic.services.monitoring import plans_for, store_measurement
from clinic.services.reminders import add_planned, recipient_prefs

QUESTIONNAIRE_LINK_SALT = "questionnaire-link"
# Who recorded answers given through the link: the patient, not a staff user (no user id is stored).
PATIENT_RECORDER = "Patient (questionnaire link)"
INVALID_LINK = "This link is not valid. Please call the clinic."
# The monitoring plan's items for a follow-up's questionnaires (clinic.domain.monitoring.plan).
FOLLOW_UP_QUESTIONNAIRE_ITEMS = frozenset({"phq9_follow_up", "gad7_follow_up"})
ALREADY_ANSWERED = "These answers were already sent."


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


def _answerable(appointment: Appointment, now: datetime) -> bool:
    """Whether the visit's questionnaire still takes answers: booked or checked in (answered in the waiting
    room is still in time for the visit), until the visit's end."""
    return (appointment.is_open or appointment.status == VisitStatus.CHECKED_IN) and now < appointment.end_at


def recorded_by_patient() -> ColumnElement[bool]:
    """SQL condition: the measurement holds answers the patient gave through a questionnaire link."""
    return and_(Measurement.recorded_by_id.is_(None), Measurement.recorded_by_label == PATIENT_RECORDER)


@dataclass(frozen=True)
class OpenedLink:
    """The visit a genuine, usable questionnaire link belongs to, and what it asks."""

    appointment: Appointment
    issued_at: datetime
    questionnaires: tuple[Questionnaire, ...]
    # SHA-256 (hex) of the token: the link's stored used mark, never the token itself.
    token_digest: str = ""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _spent(appointment: Appointment, token_digest: str, issued_at: datetime) -> bool:
    """Whether answers came through this link, or through a link of the visit issued no earlier."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    QuestionnaireLinkUse.appointment_id == appointment.id,
                    or_(
                        QuestionnaireLinkUse.token_digest == token_digest,
                        QuestionnaireLinkUse.used_at >= issued_at,
                    ),
                )
            )
        )
    )


def open_questionnaire_link(token: str, now: datetime) -> OpenedLink:
    """The visit behind a questionnaire link: NotFound for a forged or unknown one, LinkGone (410) once the
    visit has ended or was cancelled, missed or completed, or once answers were given through this link
    (or one of the visit's links issued no earlier). A checked-in patient can still answer."""
    try:
        data, issued_at = _serializer(now).loads(token, return_timestamp=True)
    except BadSignature:
        raise NotFound(INVALID_LINK) from None
    appointment = db.session.get(Appointment, data.get("a")) if isinstance(data, dict) else None
    if appointment is None or appointment.uid != data.get("u"):
        raise NotFound(INVALID_LINK)
    if not _answerable(appointment, now):
        raise LinkGone("This questionnaire has closed.", reason="closed", appointment=appointment)
    token_digest = _digest(token)
    if _spent(appointment, token_digest, issued_at):
        raise LinkGone(ALREADY_ANSWERED, reason="used", appointment=appointment)
    return OpenedLink(
        appointment,
        issued_at,
        questionnaires_for_visit(appointment.kind, appointment.dose_number),
        token_digest,
    )


@dataclass(frozen=True)
class Scored:
    """One questionnaire as the patient answered it: the stored measurement and the alerts it raised."""

    questionnaire: Questionnaire
    measurement: Measurement
    alerts: list[Alert]


def submit_answers(link: OpenedLink, form: dict[str, str], remote_addr: str, now: datetime) -> list[Scored]:
    """Score and store the patient's answers, raising the alerts they call for (item 9 above 0 is urgent
    for the treating provider), and mark the link used. Invalid names the first unanswered item, and then
    nothing is stored; LinkGone (410) when the same link's answers were stored first by another request."""
    try:
        answers = read_answers(form, link.questionnaires)
    except MeasurementError as error:
        raise Invalid.field(error.field, error.message) from None
    # The used mark goes in first: of two answers sent through one link at the same moment, the database
    # lets one insert it and refuses the other, which then stores nothing (LinkGone, 410).
    use = QuestionnaireLinkUse(
        appointment_id=link.appointment.id, token_digest=link.token_digest, used_at=now, measurement_ids=[]
    )
    try:
        with db.session.begin_nested():
            db.session.add(use)
            db.session.flush()
    except IntegrityError:
        raise LinkGone(ALREADY_ANSWERED, reason="used", appointment=link.appointment) from None
    actor = Actor(user=None, remote_addr=remote_addr, label=PATIENT_RECORDER)
    scored = []
    for questionnaire, items in answers.items():
        measurement, alerts = store_measurement(
            link.appointment, {"instrument": questionnaire.value, "items": items}, actor, now
        )
        scored.append(Scored(questionnaire, measurement, alerts))
    use.measurement_ids = [s.measurement.id for s in scored]
    return scored


def follow_ups_asking_questionnaires(
    appointments: Iterable[Appointment], now: datetime, *, new_series: bool = False
) -> set[int]:
    """The ids of the follow-up visits among `appointments` whose questionnaires are due: the monitoring
    plan of their series matched them to a follow-up of the protocol and its PHQ-9 or GAD-7 is not yet
    recorded. They get the `questionnaire` reminder, as a dose does. One plan per series.

    `new_series`: the appointments are every visit of series booked just now. Each of their visits is ahead
    (a series is booked only when none is in the past), so no answer can count for their follow-ups yet, and
    the plan's own matching (`questionnaire_follow_ups`) says which ask, without loading or building a plan.
    """
    appointments = list(appointments)
    series = {
        a.series.id: a.series for a in appointments if a.kind == VisitKind.FOLLOW_UP and a.series is not None
    }
    if not series:
        return set()
    if new_series:
        return {
            visit_id
            for one in series.values()
            for visit_id in questionnaire_follow_ups(_new_series_facts(one, appointments))
        }
    return {
        item.appointment_id
        for plan in plans_for(list(series.values()), now)
        for item in plan.plan.items
        if item.code in FOLLOW_UP_QUESTIONNAIRE_ITEMS
        and item.status != PlanItemStatus.DONE
        and item.appointment_id
    }


def _new_series_facts(series: Series, appointments: list[Appointment]) -> SeriesFacts:
    """The dosing and follow-up visits of a series booked just now (among `appointments`) as the plan sees
    them."""
    visits = [a for a in appointments if a.series is series]
    return SeriesFacts(
        protocol=series.spec(),
        doses=[
            DoseFacts(a.id, a.start_at, a.status, a.dose_number or 0, a.end_at)
            for a in visits
            if a.kind == VisitKind.DOSE
        ],
        follow_ups=[
            PlanVisitFacts(a.id, a.start_at, a.status, a.end_at)
            for a in visits
            if a.kind == VisitKind.FOLLOW_UP
        ],
        timezone=series.location.timezone,
    )


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
    if not _answerable(appointment, now):
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
    "follow_ups_asking_questionnaires",
    "open_questionnaire_link",
    "questionnaire_link",
    "recorded_by_patient",
    "send_questionnaire_link",
    "submit_answers",
]
