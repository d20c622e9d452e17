"""Patient reminders and provider digests: which messages go out for a visit, when, on which channels, and
what they say. The app stores the plan as outbox rows; this module only computes.

Timing policy:

- Offsets before a visit ("72 h", "24 h", "2 h before") are ELAPSED time before the start instant, so across a
  DST change the reminder keeps its distance from the visit and its local clock reading shifts by an hour
  (a Monday 09:00 visit just after spring-forward gets its 72 h reminder at Friday 08:00 standard time).
- "The day after at 10:00" (`check_in`) is a local date and wall-clock time at the visit's location.
- Quiet hours are read on the recipient's clocks. A reminder due inside them moves EARLIER, to 15 minutes
  before the quiet period began: a preparation message at 20:45 beats one after the patient has left home.
  `check_in` is the exception: it follows the visit, so it moves LATER, to the end of the quiet period.
  Equal quiet start and end mean no quiet hours.
- A reminder whose (adjusted) time has passed at planning time (a late booking) is sent now when it is still
  useful, see `_STILL_USEFUL`, otherwise dropped; if `now` is inside quiet hours it waits for the end of them
  unless that is later than 30 minutes before the visit, in which case it is dropped.
- Nothing is planned for a visit that has started, nor for a patient without consent or a reachable channel.

Message policy: the wording lives in templates (templates/messages/<kind>.*); this module gives them the
facts as instants (`visit_guidance`) and they write times in the location's zone and locale, because that
is where the visit happens. No message says "today" or "tomorrow": quiet hours and late bookings move the
send time. SMS (and every subject line, which lock screens show) carries no drug, diagnosis or clinical
detail and no address; a clinic name that itself names a treatment is replaced by "Your clinic" in SMS
(`sms_sender_name`). E-mail says "treatment", never the drug: patients have no way to opt in to more.
The providers' morning digest follows the same rule: `provider_digest` gives its sections as plain values and
templates/messages/digest.* word them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from clinic.domain.localtime import require_aware, shift_wall, to_local, utc_at, zone
from clinic.domain.protocols import DRUGS
from clinic.domain.visits import VisitKind, VisitStatus

CHANNELS = ("email", "sms")


class ReminderStatus(StrEnum):
    """An outbox row's state: waiting, sent, given up on, withdrawn, or not sendable (no address)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


VISIT_KINDS = tuple(VisitKind)


class ReminderKind(StrEnum):
    """What a patient message is for; each kind is worded in templates/messages/<kind>.{subject.txt,txt,sms,
    html}. `questionnaire` carries the signed link to the PHQ-9 (and GAD-7) page; `confirmation` follows a
    booking (a whole series or one visit), `moved` a visit's new time."""

    RIDE_CHECK = "ride_check"
    PREPARATION = "preparation"
    SOON = "soon"
    CHECK_IN = "check_in"
    VISIT_24H = "visit_24h"
    QUESTIONNAIRE = "questionnaire"
    CANCELLATION = "cancellation"
    FOLLOW_UP_UNBOOKED = "follow_up_unbooked"
    RIDE_MISSING = "ride_missing"
    CONFIRMATION = "confirmation"
    MOVED = "moved"


# Every kind has its templates.
MESSAGE_KINDS = tuple(ReminderKind)

# Word stems an SMS must never contain: an SMS preview is readable by anyone near the phone. Matched
# case-insensitively as substrings, so "psych" also covers psychiatric and psychiatry.
SMS_FORBIDDEN_WORDS = (
    "ketamine",
    "esketamine",
    "spravato",
    "infusion",
    "nasal",
    "dose",
    "dosing",
    "depress",
    "ptsd",
    "anxi",
    "trauma",
    "treatment",
    "medicat",
    "psych",
    "therap",
    "mental",
    "suicid",
)
SMS_MAX_CHARS = 320

_OFFSETS = {
    "ride_check": timedelta(hours=72),
    "preparation": timedelta(hours=24),
    "soon": timedelta(hours=2),
    "visit_24h": timedelta(hours=24),
    # the patient answers the day before, so the scores are there when the visit starts
    ReminderKind.QUESTIONNAIRE: timedelta(hours=24),
}
# A late reminder is still worth sending now while the visit is more than this far away; closer than that
# it would arrive too late to act on (a ride cannot be found in a few hours, so ride_check needs 12 h).
_STILL_USEFUL = {
    "ride_check": timedelta(hours=12),
    "preparation": timedelta(hours=2),
    "soon": timedelta(minutes=30),
    "visit_24h": timedelta(hours=2),
    # answered in the waiting room is still better than not at all
    ReminderKind.QUESTIONNAIRE: timedelta(minutes=30),
}
_QUIET_LEAD = timedelta(minutes=15)
_QUIET_WAIT_CUTOFF = timedelta(minutes=30)
# A cancellation notice waits out quiet hours only if it still arrives this long before the visit, so the
# patient learns of it before leaving home; otherwise a late-night message beats a wasted trip.
_CANCEL_QUIET_MARGIN = timedelta(hours=2)
_CHECK_IN_AT = time(10, 0)
_SMS_NAME_MAX = 40


@dataclass(frozen=True)
class VisitFacts:
    """What the reminders need to know about one visit; `start` and `end` are stored as UTC."""

    appointment_id: int
    kind: str
    start: datetime
    end: datetime
    timezone: str
    location_name: str
    location_address: str
    location_phone: str | None
    patient_first_name: str
    drug: str | None
    needs_ride: bool
    fasting_food_minutes: int
    fasting_liquid_minutes: int
    arrival_minutes_before: int = 15
    # A signed link to the page where the patient enters or confirms their driver (no login needed).
    ride_link: str | None = None
    # A virtual visit's link: the patient joins there instead of arriving at the location.
    join_url: str | None = None
    # A visit other than a dose whose questionnaires the monitoring plan asks for (a follow-up whose
    # measures are due): it gets the `questionnaire` reminder too. Every dose asks them anyway.
    questionnaire_due: bool = False

    def __post_init__(self) -> None:
        # normalised to UTC so idempotency keys do not depend on the offset the caller happened to use
        object.__setattr__(self, "start", require_aware(self.start, "start"))
        object.__setattr__(self, "end", require_aware(self.end, "end"))
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.kind not in VISIT_KINDS:
            raise ValueError(f"unknown visit kind: {self.kind!r}")
        if self.drug is not None and self.drug not in DRUGS:
            raise ValueError(f"unknown drug: {self.drug!r}")
        zone(self.timezone)
        for name in ("fasting_food_minutes", "fasting_liquid_minutes", "arrival_minutes_before"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class RecipientPrefs:
    """The patient's reminder choices: channels, consent, contact details and quiet hours (local, naive)."""

    channels: tuple[str, ...]
    consent: bool
    email: str | None
    phone: str | None
    timezone: str
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    def __post_init__(self) -> None:
        unknown = [c for c in self.channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel: {unknown[0]!r}")
        if self.quiet_start.tzinfo is not None or self.quiet_end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times (no tzinfo)")
        zone(self.timezone)

    def reachable_channels(self) -> tuple[str, ...]:
        """Chosen channels the patient can actually receive, in their order, without duplicates."""
        if not self.consent:
            return ()
        contact = {"email": self.email, "sms": self.phone}
        return tuple(dict.fromkeys(c for c in self.channels if contact[c]))


@dataclass(frozen=True)
class PlannedReminder:
    """One outbox row to write: send `kind` on `channel` at `due_at` (UTC); `key` makes writing idempotent."""

    kind: str
    channel: str
    due_at: datetime
    key: str


@dataclass(frozen=True)
class Message:
    """A rendered message; `html` is a small self-contained HTML document with every value escaped."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DigestVisit:
    """A visit a provider digest lists: its start (aware), the patient as the digest names them, what the
    visit is, and an optional note (a link to it)."""

    start: datetime
    patient_label: str
    kind: str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_aware(self.start, "start"))


class OverdueKind(StrEnum):
    """What an overdue item of a provider digest is; templates/messages/_digest.txt words each one."""

    UNRESOLVED_VISIT = "unresolved_visit"  # a past visit never checked in nor marked as a no-show
    MONITORING = "monitoring"  # a monitoring item past its deadline
    ALERT = "alert"  # an alert nobody has acknowledged


@dataclass(frozen=True)
class DigestOverdue:
    """One thing a provider digest asks the provider to resolve.

    UNRESOLVED_VISIT: `what` is the visit, `at` its start and `note` its link. MONITORING: `what` is the item,
    `at` its deadline. ALERT: `what` is the alert's message, `severity` its severity. `at` is aware and is
    shown on its own clock (the caller picks the zone), with its date.
    """

    kind: OverdueKind
    patient_label: str
    what: str
    at: datetime | None = None
    note: str = ""
    severity: str = ""


class DigestSection(StrEnum):
    """A section of the provider digest, in the order the digest shows them; templates word the headings."""

    MISSING_RIDES = "missing_rides"
    OVERDUE = "overdue"
    DOSES = "doses"
    FOLLOW_UPS = "follow_ups"


@dataclass(frozen=True)
class DigestLine:
    """A visit as a digest shows it: `at` is its start on the digest's local clock; `dated` when that falls
    on another day than the digest's (tomorrow's missing ride), so the line shows the date too."""

    at: datetime
    dated: bool
    patient_label: str
    kind: str
    note: str = ""


@dataclass(frozen=True)
class Digest:
    """What a provider's morning e-mail says, as values for templates/messages/digest.*: the local `day` in
    `timezone`, the sections in their order with their items, and the counts the subject gives (`attention`:
    missing rides and overdue items)."""

    provider_name: str
    day: date
    timezone: str
    sections: tuple[tuple[DigestSection, tuple[DigestLine | DigestOverdue, ...]], ...]
    doses: int
    follow_ups: int
    attention: int


# --- timing -------------------------------------------------------------------------------------------


def in_quiet_hours(instant: datetime, tz: str, quiet_start: time, quiet_end: time) -> bool:
    """True when `instant` falls in the quiet hours [quiet_start, quiet_end) read on local clocks in `tz`.

    The range may wrap midnight (21:00-08:00); equal start and end mean no quiet hours.
    """
    if quiet_start == quiet_end:
        return False
    clock = to_local(instant, tz).time()
    if quiet_start < quiet_end:
        return quiet_start <= clock < quiet_end
    return clock >= quiet_start or clock < quiet_end


def _quiet_period(instant: datetime, prefs: RecipientPrefs) -> tuple[datetime, datetime]:
    """The UTC (begin, end) of the quiet period that contains `instant`."""
    local = to_local(instant, prefs.timezone)
    begin_day = local.date()
    wraps = prefs.quiet_start > prefs.quiet_end
    if wraps and local.time() < prefs.quiet_end:
        begin_day -= timedelta(days=1)  # after midnight: the period began the evening before
    end_day = begin_day + timedelta(days=1) if wraps else begin_day
    return (
        utc_at(begin_day, prefs.quiet_start, prefs.timezone),
        utc_at(end_day, prefs.quiet_end, prefs.timezone),
    )


def _is_quiet(instant: datetime, prefs: RecipientPrefs) -> bool:
    return in_quiet_hours(instant, prefs.timezone, prefs.quiet_start, prefs.quiet_end)


def _nominal_times(visit: VisitFacts) -> list[tuple[str, datetime]]:
    """Each reminder kind of the visit with its time before any quiet-hours or late-booking adjustment."""
    if visit.kind != VisitKind.DOSE:
        kinds = ["visit_24h"] + ([ReminderKind.QUESTIONNAIRE] if visit.questionnaire_due else [])
        return [(kind, visit.start - _OFFSETS[kind]) for kind in kinds]
    kinds = ["ride_check"] if visit.needs_ride else []
    kinds += ["preparation", ReminderKind.QUESTIONNAIRE, "soon"]
    times = [(kind, visit.start - _OFFSETS[kind]) for kind in kinds]
    next_day = to_local(visit.start, visit.timezone).date() + timedelta(days=1)
    times.append(("check_in", utc_at(next_day, _CHECK_IN_AT, visit.timezone)))
    return times


def _place(
    kind: str, due: datetime, visit: VisitFacts, prefs: RecipientPrefs, now: datetime
) -> datetime | None:
    """The send time of one reminder after quiet hours and late booking, or None to drop it."""
    if kind == "check_in":
        # asking "how are you feeling" the evening of the visit is too soon, so this one waits instead
        if _is_quiet(due, prefs):
            due = _quiet_period(due, prefs)[1]
        return due if due >= now else None
    if _is_quiet(due, prefs):
        due = _quiet_period(due, prefs)[0] - _QUIET_LEAD
    if due >= now:
        return due
    if visit.start - now <= _STILL_USEFUL[kind]:
        return None
    if not _is_quiet(now, prefs):
        return now
    wake = _quiet_period(now, prefs)[1]
    return wake if wake <= visit.start - _QUIET_WAIT_CUTOFF else None


def _key(visit: VisitFacts, kind: str, channel: str) -> str:
    return f"appt-{visit.appointment_id}:{kind}:{channel}:{visit.start.isoformat()}"


def plan_visit_reminders(visit: VisitFacts, prefs: RecipientPrefs, now: datetime) -> list[PlannedReminder]:
    """Plan the patient reminders of one visit, one per reachable channel, sorted by due time.

    Dose: `ride_check` 72 h before (only when the visit needs a ride), `preparation` and `questionnaire`
    24 h before, `soon` 2 h before (elapsed time before the start instant, see the module docstring for
    DST), and `check_in` at 10:00 local time the day after. Other visits: `visit_24h` 24 h before, and
    `questionnaire` 24 h before when their questionnaires are due (`VisitFacts.questionnaire_due`). Quiet
    hours and late bookings adjust or drop reminders as described in the module docstring; `now` is aware.
    """
    now = require_aware(now, "now")
    channels = prefs.reachable_channels()
    if not channels or now >= visit.start:
        return []
    planned: list[PlannedReminder] = []
    for kind, nominal in _nominal_times(visit):
        due = _place(kind, nominal, visit, prefs, now)
        if due is not None:
            planned.extend(PlannedReminder(kind, c, due, _key(visit, kind, c)) for c in channels)
    # stable sort: equal due times keep the natural kind order
    return sorted(planned, key=lambda r: r.due_at)


def plan_cancellation_notice(
    visit: VisitFacts, prefs: RecipientPrefs, now: datetime
) -> list[PlannedReminder]:
    """Plan a `cancellation` notice per reachable channel, due now.

    Inside quiet hours it waits for their end, unless that would leave less than 2 hours before the
    cancelled visit: then it goes now so the patient does not set off. Nothing once the visit has started.
    """
    now = require_aware(now, "now")
    channels = prefs.reachable_channels()
    if not channels or now >= visit.start:
        return []
    due = _notice_due(visit, prefs, now)
    return [PlannedReminder("cancellation", c, due, _key(visit, "cancellation", c)) for c in channels]


def plan_follow_up_unbooked_notice(
    visit: VisitFacts, prefs: RecipientPrefs, now: datetime
) -> list[PlannedReminder]:
    """Plan one "your follow-up is due but not booked" message per reachable channel.

    `visit` describes the follow-up that was due (cancelled or missed); its start is the due date, so the
    key makes the message go once per missing follow-up. It waits out quiet hours.
    """
    now = require_aware(now, "now")
    due = _quiet_period(now, prefs)[1] if _is_quiet(now, prefs) else now
    kind = "follow_up_unbooked"
    return [PlannedReminder(kind, c, due, _key(visit, kind, c)) for c in prefs.reachable_channels()]


def _notice_due(visit: VisitFacts, prefs: RecipientPrefs, now: datetime) -> datetime:
    """Now, or the end of the quiet hours `now` is in unless that is within 2 hours of the visit."""
    if _is_quiet(now, prefs):
        wake = _quiet_period(now, prefs)[1]
        if wake <= visit.start - _CANCEL_QUIET_MARGIN:
            return wake
    return now


def plan_ride_missing_notice(
    visit: VisitFacts, prefs: RecipientPrefs, now: datetime
) -> list[PlannedReminder]:
    """Plan one "we have no ride home on file" message per reachable channel; it waits out quiet hours
    unless that would be within 2 hours of the visit."""
    now = require_aware(now, "now")
    if now >= visit.start:
        return []
    due = _notice_due(visit, prefs, now)
    return [
        PlannedReminder("ride_missing", c, due, _key(visit, "ride_missing", c))
        for c in prefs.reachable_channels()
    ]


def plan_booking_confirmation(
    first: VisitFacts, prefs: RecipientPrefs, now: datetime
) -> list[PlannedReminder]:
    """Plan one booking confirmation per reachable channel about the first visit of what was booked (a
    series' confirmation lists every visit when it is sent). Due now; it waits out quiet hours unless
    that would be within 2 hours of the visit."""
    now = require_aware(now, "now")
    if now >= first.start:
        return []
    due = _notice_due(first, prefs, now)
    kind = ReminderKind.CONFIRMATION
    return [PlannedReminder(kind, c, due, _key(first, kind, c)) for c in prefs.reachable_channels()]


_MOVED_FROM = ":from:"


def plan_move_notice(
    visit: VisitFacts, old_start: datetime, prefs: RecipientPrefs, now: datetime
) -> list[PlannedReminder]:
    """Plan one "your visit has moved" notice per reachable channel, due now (quiet hours as for a booking
    confirmation). The old start travels in the key, where `moved_from` reads it back for the message."""
    now = require_aware(now, "now")
    old_start = require_aware(old_start, "old_start")
    if now >= visit.start or old_start == visit.start:
        return []
    due = _notice_due(visit, prefs, now)
    kind = ReminderKind.MOVED
    return [
        PlannedReminder(kind, c, due, f"{_key(visit, kind, c)}{_MOVED_FROM}{old_start.isoformat()}")
        for c in prefs.reachable_channels()
    ]


def moved_from(key: str) -> datetime | None:
    """The old start (UTC) a move notice's key carries, or None for any other key. The outbox may append
    ":v<sequence>" to the key."""
    if _MOVED_FROM not in key:
        return None
    stamp = key.split(_MOVED_FROM, 1)[1].split(":v", 1)[0]
    try:
        return require_aware(datetime.fromisoformat(stamp), "old_start")
    except ValueError:
        return None


def digest_due_at(day: date, tz: str, at: time = time(7, 0)) -> datetime:
    """The UTC instant of the provider digest: wall time `at` (default 07:00) on local `day` in `tz`."""
    return utc_at(day, at, tz)


# --- wording ------------------------------------------------------------------------------------------


class DrivingRule(StrEnum):
    """Which no-driving rule follows a visit; the message templates word each one."""

    AFTER_SLEEP = "after_sleep"  # esketamine: not until the next day, after a night's restful sleep
    HOURS_24 = "hours_24"  # ketamine: 24 hours, never shortened by a DST change
    AFTER_VISIT = "after_visit"  # a dose whose drug is not known: not home from the visit


@dataclass(frozen=True)
class NoDriving:
    """The no-driving rule after a dose; `until` is the instant driving may resume (AFTER_SLEEP: the start
    of the local day after the visit, shown as a day only; AFTER_VISIT: the end of the visit)."""

    rule: DrivingRule
    until: datetime


def no_driving_until(drug: str | None, end: datetime, tz: str) -> NoDriving:
    """The no-driving rule after a dose ending at `end` at a location in `tz`.

    Ketamine: 24 hours, counted as the later of 24 elapsed hours and the same clock time the next day, so a
    DST change never shortens it. ValueError for a drug without a rule.
    """
    end = require_aware(end, "end")
    if drug is None:
        return NoDriving(DrivingRule.AFTER_VISIT, end)
    if drug == "esketamine":
        next_day = to_local(end, tz).date() + timedelta(days=1)
        return NoDriving(DrivingRule.AFTER_SLEEP, utc_at(next_day, time(0), tz))
    if drug == "ketamine":
        until = max(end + timedelta(hours=24), shift_wall(end, timedelta(days=1), tz))
        return NoDriving(DrivingRule.HOURS_24, until)
    raise ValueError(f"no driving rule for drug {drug!r}")


@dataclass(frozen=True)
class Guidance:
    """What a message about a visit tells the patient to do, as instants; the templates word and format
    them in the location's zone and locale. Fasting and ride apply to doses only; `stay_until` is the end
    of a dose's monitored recovery. A virtual visit has its `join_url`, and messages say "Join: <link>"
    where they would say when to arrive and where."""

    arrive_by: datetime
    food_stop: datetime | None
    liquid_stop: datetime | None
    needs_ride: bool
    no_driving: NoDriving | None
    stay_until: datetime | None
    join_url: str | None = None


def visit_guidance(visit: VisitFacts) -> Guidance:
    """Arrival, fasting cut-offs, the ride rule and the end of monitoring of one visit."""
    dose = visit.kind == VisitKind.DOSE
    food = visit.fasting_food_minutes if dose else 0
    liquid = visit.fasting_liquid_minutes if dose else 0
    return Guidance(
        arrive_by=visit.start - timedelta(minutes=visit.arrival_minutes_before),
        food_stop=visit.start - timedelta(minutes=food) if food else None,
        liquid_stop=visit.start - timedelta(minutes=liquid) if liquid else None,
        needs_ride=dose and visit.needs_ride,
        no_driving=no_driving_until(visit.drug, visit.end, visit.timezone) if dose else None,
        stay_until=visit.end if dose else None,
        join_url=visit.join_url,
    )


def sms_is_neutral(text: str) -> bool:
    """True when `text` contains none of `SMS_FORBIDDEN_WORDS` (case-insensitive)."""
    lowered = text.lower()
    return not any(word in lowered for word in SMS_FORBIDDEN_WORDS)


def sms_sender_name(name: str) -> str:
    """The clinic's name as an SMS starts with it: "Your clinic" when the name itself names a treatment."""
    name = name.strip()[:_SMS_NAME_MAX].rstrip()
    return name if name and sms_is_neutral(name) else "Your clinic"


def visit_skip_reason(kind: str, status: str, start: datetime, now: datetime) -> str | None:
    """Why a reminder about a visit must not go out any more, judged from the visit's state when it is sent.

    A cancellation notice goes whatever the state. The next-day check (`check_in`) asks how a visit that
    took place went, so it goes after a completed visit and never after a cancelled or missed one (nor one
    left checked in). Everything else announces a visit that has not begun: it goes only while the visit is
    open and before its start.
    """
    if kind in (ReminderKind.CANCELLATION, ReminderKind.FOLLOW_UP_UNBOOKED):
        return None
    state = VisitStatus(status)
    if kind == ReminderKind.CHECK_IN:
        return None if state == VisitStatus.COMPLETED else f"the visit is {state.label}"
    if not state.is_open:
        return f"the visit is {state.label}"
    if start <= require_aware(now, "now"):
        return "the visit has already started"
    return None


# --- provider digest ----------------------------------------------------------------------------------


def provider_digest(
    provider_name: str,
    day: date,
    tz: str,
    doses: list[DigestVisit],
    follow_ups: list[DigestVisit],
    overdue: list[DigestOverdue],
    missing_rides: list[DigestVisit],
) -> Digest:
    """A provider's morning e-mail for local `day` in `tz` as values: what needs attention, then the schedule.

    Visits show their local time in `tz`, with the date when they are on another day (e.g. tomorrow's missing
    rides); each visit section is sorted by start. Overdue items keep the caller's order.
    """
    zone(tz)

    def lines(visits: list[DigestVisit]) -> tuple[DigestLine, ...]:
        local = [(to_local(v.start, tz), v) for v in sorted(visits, key=lambda v: v.start)]
        return tuple(DigestLine(at, at.date() != day, v.patient_label, v.kind, v.note) for at, v in local)

    # attention items first: a missing ride or overdue monitoring is what the provider must act on today
    sections: tuple[tuple[DigestSection, tuple[DigestLine | DigestOverdue, ...]], ...] = (
        (DigestSection.MISSING_RIDES, lines(missing_rides)),
        (DigestSection.OVERDUE, tuple(overdue)),
        (DigestSection.DOSES, lines(doses)),
        (DigestSection.FOLLOW_UPS, lines(follow_ups)),
    )
    return Digest(
        provider_name=provider_name,
        day=day,
        timezone=tz,
        sections=sections,
        doses=len(doses),
        follow_ups=len(follow_ups),
        attention=len(missing_rides) + len(overdue),
    )


__all__ = [
    "CHANNELS",
    "MESSAGE_KINDS",
    "SMS_FORBIDDEN_WORDS",
    "SMS_MAX_CHARS",
    "VISIT_KINDS",
    "Digest",
    "DigestLine",
    "DigestOverdue",
    "DigestSection",
    "DigestVisit",
    "DrivingRule",
    "Guidance",
    "Message",
    "NoDriving",
    "OverdueKind",
    "PlannedReminder",
    "RecipientPrefs",
    "ReminderKind",
    "VisitFacts",
    "digest_due_at",
    "in_quiet_hours",
    "moved_from",
    "no_driving_until",
    "plan_booking_confirmation",
    "plan_cancellation_notice",
    "plan_move_notice",
    "plan_visit_reminders",
    "provider_digest",
    "sms_is_neutral",
    "sms_sender_name",
    "visit_guidance",
    "visit_skip_reason",
]
