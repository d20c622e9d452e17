"""The monitoring plan of a treatment series: what must be measured or done when, and whether it was.

Plan timing (a dosing visit starts at check-in and holds the chair for the protocol's chair minutes)
- The dose is administered at visit start + the protocol's check-in minutes (15 for the built-ins): that
  is the deadline of everything "before the dose", because check-in is when the PHQ-9 and blood pressure
  are taken.
- PHQ-9 before every dose: counts when recorded for that visit, or within the 24 h before the visit start
  (up to the dose) without belonging to another dose; it is due from 24 h before the start, so a clinic can
  send the questionnaire the day before.
- Blood pressure `pre`: due at the visit start, deadline the dose. `post40` (esketamine only): due 40 minutes
  after the dose is administered (start + 15 + 40 minutes), deadline 20 minutes later. `discharge`: due
  15 minutes before the visit ends, deadline the visit end. IV ketamine has `pre` and `discharge` only.
- Sedation and dissociation (esketamine only): due at the dose, deadline the visit end.
- In-visit measurements (blood pressure, sedation, dissociation) count only when recorded for that visit.
- REMS patient monitoring form (protocols with `rems_required`): due at the visit end, deadline the end of
  the 7th local day after the session's date (`clinic.domain.rems_form.rems_form_due_by`, the form's own
  rule), on the location's clocks across a DST change too.
- REMS enrolment: deadline the start of the first dose; in time when enrolled on or before that local date
  (`clinic.domain.rems`), done but late when enrolled after it. It is due from 14 days before, so there is
  time to enrol.
- GAD-7 baseline: due from 24 h before the first dose, deadline the dose; a GAD-7 from up to 30 days before it
  (an intake), one recorded for the first visit, or the series' `baseline_gad7_at` counts.
- Follow-up visits (`protocol.follow_ups`): due at local midnight of (last dose's local date + days). A
  follow-up visit that holds its slot on a local date within 7 days either side matches (the rule of
  `clinic.domain.followups`); a completed one wins, else the nearest: completed -> done, booked in the future
  -> upcoming. Otherwise the item is due (it needs booking or is happening) until the end of the 3rd local day
  after the due date, then overdue. The PHQ-9 and GAD-7 of a follow-up are due from 24 h before the matched
  visit until its end, or over the follow-up's due/grace period while none is booked; they count when recorded
  for the matched visit or, unattached to a dose, after the last dose within the follow-up window.
- Doses: cancelled ones are skipped; a no-show has no items and yields a `PlanNote`. The first and last dose
  are the first and last that happened or are planned.

Status at `now`: `done` when done by `now` (even if late: `done_at` stays, see `PlanItem.late`), else
`upcoming` before `upcoming_until` (the due time; a follow-up visit's booked start), `due` until `deadline`
inclusive, `overdue` after it. Evidence recorded after `now` is ignored, so a plan can be replayed as it stood
at any moment.

The standing plan (`standing_plan`) is the plan with every piece of evidence counted, whenever recorded.
Nothing else in a plan depends on `now`, so `item.at(now)` of its items equals the plan at `now`: a stored
standing plan stays right while time passes and needs computing again only when its facts change.

A series is active, and its plan worth showing, while `now` is before `active_until(...)`: until 200 days
after its start date and 45 days after its latest visit (follow-ups are visits of the series, and the
latest deadline after a visit, the REMS form, is a week later).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple

from clinic.domain.followups import FollowUpWindow, follow_up_matches, follow_up_window
from clinic.domain.localtime import IsoWording, TimeWording, local_date_of, utc_at, zone
from clinic.domain.monitoring.measurements import (
    BP_TIMEPOINTS,
    MEASUREMENT_INSTRUMENTS,
    MeasurementError,
    _aware,
)
from clinic.domain.protocols import FollowUpRule, ProtocolSpec
from clinic.domain.rems import is_rems_enrolled_for
from clinic.domain.rems_form import rems_form_due_by
from clinic.domain.visits import VisitStatus


class PlanItemStatus(StrEnum):
    """Where a plan item stands at `now` (item_status)."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"


PLAN_STATUSES = tuple(PlanItemStatus)

_VISIT_STATUSES = frozenset(VisitStatus)
_PHQ9_WINDOW = timedelta(hours=24)
_POST40_AFTER_DOSE = timedelta(minutes=40)
_POST40_GRACE = timedelta(minutes=20)
_DISCHARGE_LEAD = timedelta(minutes=15)
_ENROLMENT_LEAD = timedelta(days=14)
_BASELINE_LOOKBACK = timedelta(days=30)
_FOLLOW_UP_GRACE_DAYS = 3
ACTIVE_LOOKBACK = timedelta(days=200)
RECENT_VISIT = timedelta(days=45)
# The moment the standing plan is computed at: after any evidence a clinic will ever record.
_END_OF_TIME = datetime(9000, 1, 1, tzinfo=UTC)


def _check_status(status: str) -> None:
    if status not in _VISIT_STATUSES:
        raise MeasurementError("status", f"must be one of {', '.join(VisitStatus)}")


def _span(start: datetime, end: datetime | None) -> tuple[datetime, datetime | None]:
    start = _aware(start, "start")
    if end is None:
        return start, None
    end = _aware(end, "end")
    if end <= start:
        raise MeasurementError("end", "must be after start")
    return start, end


@dataclass(frozen=True)
class DoseFacts:
    """One dosing visit of the series; `end` None means start + the protocol's chair minutes."""

    appointment_id: int
    start: datetime
    status: str
    dose_number: int
    end: datetime | None = None

    def __post_init__(self) -> None:
        _check_status(self.status)
        start, end = _span(self.start, self.end)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class VisitFacts:
    """A follow-up visit booked or held; `end` None means start + the follow-up rule's minutes."""

    appointment_id: int
    start: datetime
    status: str
    end: datetime | None = None

    def __post_init__(self) -> None:
        _check_status(self.status)
        start, end = _span(self.start, self.end)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True, kw_only=True)
class SeriesFacts:
    """A treatment series as the monitoring plan sees it; `timezone` is the location's IANA zone, and
    `wording` writes the times in the plan's notes as the location's staff read them (default: one way for
    every locale)."""

    protocol: ProtocolSpec
    doses: Sequence[DoseFacts]
    timezone: str
    follow_ups: Sequence[VisitFacts] = ()
    rems_enrolled_on: date | None = None
    # a GAD-7 taken outside the recorded measurements (an intake form), when the series knows of one
    baseline_gad7_at: datetime | None = None
    wording: TimeWording | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        try:
            zone(self.timezone)
        except ValueError as exc:
            raise MeasurementError("timezone", f"unknown timezone {self.timezone!r}") from exc
        object.__setattr__(self, "doses", tuple(self.doses))
        object.__setattr__(self, "follow_ups", tuple(self.follow_ups))
        if self.baseline_gad7_at is not None:
            object.__setattr__(self, "baseline_gad7_at", _aware(self.baseline_gad7_at, "baseline_gad7_at"))


@dataclass(frozen=True)
class RecordedMeasurement:
    """That a measurement was recorded (values are not needed for the plan); `timepoint` only for bp."""

    instrument: str
    timepoint: str | None
    appointment_id: int | None
    recorded_at: datetime

    def __post_init__(self) -> None:
        if self.instrument not in MEASUREMENT_INSTRUMENTS:
            raise MeasurementError("instrument", f"must be one of {', '.join(MEASUREMENT_INSTRUMENTS)}")
        if self.instrument == "bp" and self.timepoint not in BP_TIMEPOINTS:
            raise MeasurementError("timepoint", f"must be one of {', '.join(BP_TIMEPOINTS)}")
        if self.instrument != "bp" and self.timepoint is not None:
            raise MeasurementError("timepoint", "only blood pressure has a timepoint")
        object.__setattr__(self, "recorded_at", _aware(self.recorded_at, "recorded_at"))


@dataclass(frozen=True)
class FormSubmission:
    """A REMS patient monitoring form submitted for a dosing visit."""

    appointment_id: int
    submitted_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "submitted_at", _aware(self.submitted_at, "submitted_at"))


# --- monitoring plan: result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One thing to measure or do; `key` is unique and stable within a series' plan."""

    code: str
    label: str
    due_at: datetime
    deadline: datetime
    appointment_id: int | None
    status: str
    done_at: datetime | None
    key: str
    # Upcoming before this moment: the due time, or a follow-up visit's booked start; None: never upcoming.
    upcoming_until: datetime | None

    @property
    def late(self) -> bool:
        """True when the item was done after its deadline."""
        return self.done_at is not None and self.done_at > self.deadline

    def at(self, now: datetime) -> PlanItem:
        """This item as it stands at `now`: evidence recorded later does not count yet."""
        done_at = self.done_at if self.done_at is not None and self.done_at <= now else None
        return replace(
            self, done_at=done_at, status=item_status(now, self.upcoming_until, self.deadline, done_at)
        )


@dataclass(frozen=True)
class PlanNote:
    """Something the provider should know that is not a task, such as a missed dose."""

    code: str
    message: str
    appointment_id: int | None
    at: datetime


@dataclass(frozen=True)
class MonitoringPlan:
    """The plan at a moment: items ordered by due time, and notes."""

    items: tuple[PlanItem, ...]
    notes: tuple[PlanNote, ...]

    def with_status(self, status: str) -> tuple[PlanItem, ...]:
        """The items in `status`."""
        return tuple(i for i in self.items if i.status == status)


def item_status(
    now: datetime, upcoming_until: datetime | None, deadline: datetime, done_at: datetime | None
) -> str:
    """Status of a task at `now`: done (by `now`) wins, else upcoming before `upcoming_until` (None: never),
    due to the deadline inclusive, then overdue."""
    if done_at is not None and done_at <= now:
        return PlanItemStatus.DONE
    if upcoming_until is not None and now < upcoming_until:
        return PlanItemStatus.UPCOMING
    return PlanItemStatus.DUE if now <= deadline else PlanItemStatus.OVERDUE


def active_until(start_date: date, latest_visit_start: datetime | None) -> datetime | None:
    """The moment a series stops being active (active while `now` is before it; see the module notes); None
    when it has no visit at all, so is never active."""
    if latest_visit_start is None:
        return None
    lookback_ends = datetime.combine(start_date + ACTIVE_LOOKBACK + timedelta(days=1), time(0), UTC)
    return min(lookback_ends, latest_visit_start + RECENT_VISIT)


def standing_plan(
    series: SeriesFacts,
    measurements: Iterable[RecordedMeasurement],
    rems_forms: Iterable[FormSubmission],
) -> MonitoringPlan:
    """The plan with all evidence counted; its items' `at(now)` give the plan at any `now` (module notes)."""
    return monitoring_plan(series, measurements, rems_forms, _END_OF_TIME)


def plan_items(
    series: SeriesFacts,
    measurements: Iterable[RecordedMeasurement],
    rems_forms: Iterable[FormSubmission],
    now: datetime,
) -> list[PlanItem]:
    """The monitoring plan items of `series` at `now` (aware), ordered by due time; see the module notes."""
    return list(monitoring_plan(series, measurements, rems_forms, now).items)


def monitoring_plan(
    series: SeriesFacts,
    measurements: Iterable[RecordedMeasurement],
    rems_forms: Iterable[FormSubmission],
    now: datetime,
) -> MonitoringPlan:
    """The monitoring plan of `series` at `now` (aware): items and notes such as no-show doses."""
    now = _aware(now, "now")
    builder = _PlanBuilder(series, measurements, rems_forms, now)
    return builder.build()


class FollowUpMatch(NamedTuple):
    """A follow-up of the protocol (`rule`), due on the local `due_date` (at `due_at`, local midnight), and
    the follow-up visit that counts for it, if any."""

    rule: FollowUpRule
    due_date: date
    due_at: datetime
    window: FollowUpWindow
    visit: VisitFacts | None


def _counting_doses(series: SeriesFacts) -> list[DoseFacts]:
    """The doses that happened or are planned, in order: cancelled ones and no-shows do not count."""
    doses = sorted(series.doses, key=lambda d: (d.start, d.dose_number))
    return [d for d in doses if d.status not in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW)]


def match_follow_ups(series: SeriesFacts, last: DoseFacts) -> list[FollowUpMatch]:
    """Each follow-up of the protocol after the `last` dose, with the visit of `series` that counts for it: of
    the visits in its window (clinic.domain.followups) a completed one settles it, else the one nearest the
    due date; a visit counts for one follow-up at most."""
    tz = zone(series.timezone)
    last_date = local_date_of(last.start, tz)
    used: set[int] = set()
    matches = []
    for rule in series.protocol.follow_ups:
        due_date = last_date + timedelta(days=rule.days_after_last_dose)
        due_at = utc_at(due_date, time(0), tz)
        window = follow_up_window(due_at, tz)
        candidates = [
            v
            for v in series.follow_ups
            if v.appointment_id not in used and follow_up_matches(window, v.start, v.status)
        ]
        visit = min(
            candidates,
            key=lambda v: (
                v.status != VisitStatus.COMPLETED,
                abs(local_date_of(v.start, tz) - due_date),
                v.start,
            ),
            default=None,
        )
        if visit is not None:
            used.add(visit.appointment_id)
        matches.append(FollowUpMatch(rule, due_date, due_at, window, visit))
    return matches


def questionnaire_follow_ups(series: SeriesFacts) -> frozenset[int]:
    """The follow-up visits at which the plan of `series` asks for the PHQ-9 and the GAD-7 (answered or not):
    those counting for a follow-up of the protocol after the last dose that happened or is planned."""
    counting = _counting_doses(series)
    if not counting:
        return frozenset()
    return frozenset(m.visit.appointment_id for m in match_follow_ups(series, counting[-1]) if m.visit)


class _PlanBuilder:
    def __init__(
        self,
        series: SeriesFacts,
        measurements: Iterable[RecordedMeasurement],
        rems_forms: Iterable[FormSubmission],
        now: datetime,
    ) -> None:
        self.series = series
        self.spec = series.protocol
        self.tz = zone(series.timezone)
        self.words: TimeWording = series.wording or IsoWording(self.tz)
        self.now = now
        # evidence recorded after `now` did not exist yet: the plan is replayable at any moment
        self.records = [m for m in measurements if m.recorded_at <= now]
        self.forms = [f for f in rems_forms if f.submitted_at <= now]
        self.dose_ids = frozenset(d.appointment_id for d in series.doses)
        self.items: list[PlanItem] = []
        self.notes: list[PlanNote] = []

    def build(self) -> MonitoringPlan:
        doses = sorted(self.series.doses, key=lambda d: (d.start, d.dose_number))
        counting = _counting_doses(self.series)
        for dose in doses:
            if dose.status == VisitStatus.NO_SHOW:
                self._note_no_show(dose)
        for dose in counting:
            self._dose_items(dose)
        if counting:
            self._first_dose_items(counting[0])
            self._follow_up_items(counting[-1])
        # sort is stable: items due together keep the order of a visit (before, during, after)
        self.items.sort(key=lambda i: (i.due_at, i.deadline))
        return MonitoringPlan(tuple(self.items), tuple(self.notes))

    def _add(
        self,
        code: str,
        key: str,
        label: str,
        due_at: datetime,
        deadline: datetime,
        appointment_id: int | None,
        done_at: datetime | None,
        *,
        visit_start: datetime | None = None,
        is_visit: bool = False,
    ) -> None:
        # An item waits for its due time; a follow-up visit (`is_visit`) for its booked start, or for nothing
        # while none is booked.
        until = visit_start if is_visit else due_at
        self.items.append(
            PlanItem(
                code=code,
                label=label,
                due_at=due_at,
                deadline=deadline,
                appointment_id=appointment_id,
                status=item_status(self.now, until, deadline, done_at),
                done_at=done_at,
                key=key,
                upcoming_until=until,
            )
        )

    def _recorded(
        self,
        instrument: str,
        *,
        appointment_id: int | None,
        timepoint: str | None = None,
        window: tuple[datetime, datetime] | None = None,
    ) -> datetime | None:
        """Earliest matching record: for the visit, or (unattached to a dose) inside the window."""
        times = []
        for r in self.records:
            if r.instrument != instrument or r.timepoint != timepoint:
                continue
            for_visit = appointment_id is not None and r.appointment_id == appointment_id
            # a record belonging to another dose is that dose's evidence, whatever its time
            in_window = (
                window is not None
                and r.appointment_id not in self.dose_ids
                and window[0] <= r.recorded_at <= window[1]
            )
            if for_visit or in_window:
                times.append(r.recorded_at)
        return min(times, default=None)

    def _end(self, dose: DoseFacts) -> datetime:
        return dose.end or dose.start + timedelta(minutes=self.spec.chair_minutes)

    def _dosing_at(self, dose: DoseFacts) -> datetime:
        return dose.start + timedelta(minutes=self.spec.check_in_minutes)

    def _note_no_show(self, dose: DoseFacts) -> None:
        self.notes.append(
            PlanNote(
                code="dose_no_show",
                message=(
                    f"Dose {dose.dose_number} on {self.words.moment(dose.start)} was a no-show: "
                    "no monitoring was due for it; review the series with the prescriber."
                ),
                appointment_id=dose.appointment_id,
                at=dose.start,
            )
        )

    def _dose_items(self, dose: DoseFacts) -> None:
        n, aid = dose.dose_number, dose.appointment_id
        start, dosing_at, end = dose.start, self._dosing_at(dose), self._end(dose)
        esketamine = self.spec.drug == "esketamine"

        opens = start - _PHQ9_WINDOW
        done = self._recorded("phq9", appointment_id=aid, window=(opens, dosing_at))
        self._add(
            "phq9_pre_dose", f"phq9_pre_dose@{n}", f"PHQ-9 before dose {n}", opens, dosing_at, aid, done
        )

        def bp(timepoint: str, label: str, due_at: datetime, deadline: datetime) -> None:
            done = self._recorded("bp", appointment_id=aid, timepoint=timepoint)
            self._add(f"bp_{timepoint}", f"bp_{timepoint}@{n}", label, due_at, deadline, aid, done)

        bp("pre", f"Blood pressure before dose {n}", start, dosing_at)
        if esketamine:
            post40 = dosing_at + _POST40_AFTER_DOSE
            bp("post40", f"Blood pressure 40 minutes after dose {n}", post40, post40 + _POST40_GRACE)
            for instrument, label in (
                ("sedation", "Sedation (MOAA/S)"),
                ("dissociation", "Dissociation (CADSS)"),
            ):
                done = self._recorded(instrument, appointment_id=aid)
                self._add(
                    instrument, f"{instrument}@{n}", f"{label} after dose {n}", dosing_at, end, aid, done
                )
        bp("discharge", f"Blood pressure at discharge after dose {n}", end - _DISCHARGE_LEAD, end)

        if self.spec.rems_required:
            done = min((f.submitted_at for f in self.forms if f.appointment_id == aid), default=None)
            # The form's own rule: on time through the 7th local day after the session's date.
            due_by = rems_form_due_by(local_date_of(start, self.tz))
            deadline = utc_at(due_by + timedelta(days=1), time(0), self.tz)
            label = f"REMS patient monitoring form for dose {n}"
            self._add("rems_monitoring_form", f"rems_monitoring_form@{n}", label, end, deadline, aid, done)

    def _first_dose_items(self, first: DoseFacts) -> None:
        dosing_at = self._dosing_at(first)
        lookback = (first.start - _BASELINE_LOOKBACK, dosing_at)
        done = self._recorded("gad7", appointment_id=first.appointment_id, window=lookback)
        known = self.series.baseline_gad7_at
        if known is not None and known <= self.now:
            done = known if done is None else min(done, known)
        opens = first.start - _PHQ9_WINDOW
        self._add(
            "gad7_baseline", "gad7_baseline", "GAD-7 baseline", opens, dosing_at, first.appointment_id, done
        )

        if self.spec.rems_required:
            enrolled = self.series.rems_enrolled_on
            done = None
            # an enrolment dated in the future of `now` has not happened yet
            if enrolled is not None and enrolled <= local_date_of(self.now, self.tz):
                done = utc_at(enrolled, time(0), self.tz)
                # a date has no hour: enrolled on the day of the first dose is in time, so not late
                if is_rems_enrolled_for(enrolled, local_date_of(first.start, self.tz)):
                    done = min(done, first.start)
            self._add(
                "rems_enrolment",
                "rems_enrolment",
                "REMS patient enrolment before the first dose",
                first.start - _ENROLMENT_LEAD,
                first.start,
                None,
                done,
            )

    def _follow_up_items(self, last: DoseFacts) -> None:
        last_end = self._end(last)
        for rule, due_date, due_at, window, visit in match_follow_ups(self.series, last):
            days = rule.days_after_last_dose
            # overdue once the last grace day is over on local clocks
            deadline = utc_at(due_date + timedelta(days=_FOLLOW_UP_GRACE_DAYS + 1), time(0), self.tz)
            visit_id = visit.appointment_id if visit else None

            # completed: done; booked: upcoming until it starts; unbooked (or happening now) and not late
            # yet: it needs doing, so it is due from the start, not upcoming
            done = visit.start if visit is not None and visit.status == VisitStatus.COMPLETED else None
            self._add(
                "follow_up_visit",
                f"follow_up_visit@{days}d",
                f"Follow-up visit {days} days after the last dose",
                due_at,
                deadline,
                visit_id,
                done,
                visit_start=visit.start if visit is not None else None,
                is_visit=True,
            )

            if visit is not None:
                q_due = visit.start - _PHQ9_WINDOW
                q_deadline = visit.end or visit.start + timedelta(minutes=rule.duration_minutes)
            else:
                q_due, q_deadline = due_at, deadline
            answered = (max(last_end, window.start), window.end)
            for instrument, name in (("phq9", "PHQ-9"), ("gad7", "GAD-7")):
                done = self._recorded(instrument, appointment_id=visit_id, window=answered)
                self._add(
                    f"{instrument}_follow_up",
                    f"{instrument}_follow_up@{days}d",
                    f"{name} at the {days}-day follow-up",
                    q_due,
                    q_deadline,
                    visit_id,
                    done,
                )
