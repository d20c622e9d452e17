"""What is going on at the demo clinic when it is seeded: today's floor, yesterday's sessions, series under
way and the things staff must chase.

Times are relative to `now`, rounded down to five minutes (`t` below), in the location's timezone:

- the floor now: a Spravato patient mid-induction whose two hours of monitoring are over and every discharge
  rule met (ready, Spravato room), a Spravato maintenance patient dosed 50 minutes ago whose blood pressure
  at 40 minutes is overdue (monitoring), an infusion patient discharged 5 minutes ago, one checked in and
  waiting for the infusion, one arriving in half an hour; earlier today an infusion at 07:00 and a consult
  the patient did not come to, later today an intake consult;
- yesterday: two Spravato sessions (one with a blood pressure above the discharge limit at 40 minutes, so
  the provider has an alert) whose REMS monitoring forms are due, and an infusion;
- under way: the mid-induction patient's series started 17 days ago with PHQ-9 scores falling dose by dose;
  an infusion series whose patient missed the follow-up a week after the last dose (overdue, not rebooked);
- coming up: an infusion tomorrow morning with no ride home yet (at risk), an infusion series starting
  tomorrow with a video integration session after each infusion, and a Spravato series in three days for
  a patient whose REMS enrolment is still due.

Every step is a use case called at the instant it happened (see clinic.services.demo_sessions).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from clinic.domain.transport import TransportStatus
from clinic.models.appointment import Appointment
from clinic.models.chair import Chair
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.services.demo_sessions import (
    SEDATION_AWAKE,
    Demo,
    bp,
    dissociation,
    phq9,
)

NOON = time(12)
# The demo clinic's own protocol with integration sessions (seeded with the clinic), and their video room.
THERAPY_PROTOCOL = "iv-ketamine-integration"
VIDEO_ROOM = "https://video.example.com/riverside/integration"


@dataclass(frozen=True)
class Cast:
    """The demo's patients (by first name) and clinicians."""

    patients: dict[str, Patient]
    prescriber: Provider  # the demo provider login's own provider
    second_prescriber: Provider
    nurse: Provider
    infusion_chairs: list[Chair]


def anchor(now: datetime) -> datetime:
    """`now` rounded down to five minutes: the floor's visits start on the clock's usual marks."""
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def seed_activity(demo: Demo, cast: Cast, now: datetime) -> None:
    """Fill the demo clinic with the visits described in the module docstring."""
    t = anchor(now)
    _mid_induction(demo, cast, t)
    _maintenance(demo, cast, t)
    discharged = _infusion_series(demo, cast, t)
    _infusions_today(demo, cast, t, [c for c in cast.infusion_chairs if c.id != discharged.chair_id])
    _yesterday(demo, cast)
    _missed_follow_up(demo, cast)
    _coming_up(demo, cast, now)


def _doses(visits: list[Appointment]) -> list[Appointment]:
    return [v for v in visits if v.kind == "dose"]


def _mid_induction(demo: Demo, cast: Cast, t: datetime) -> None:
    """Avery, Spravato induction since 17 days ago: dose 6 today, ready to go home."""
    start = t - minutes(140)
    visits = demo.book_series(
        cast.patients["Avery"],
        cast.prescriber,
        "spravato-induction",
        demo.at(-17, demo.local_time(start)),
        demo.at(-19, NOON),
    )
    doses = _doses(visits)
    for number, (visit, score) in enumerate(zip(doses[:5], (22, 20, 17, 15, 13), strict=True)):
        demo.spravato_session(
            visit, 56 if number == 0 else 84, phq9_total=score, gad7_total=14 if number == 0 else None
        )
        if number < 4:  # the forms of the first four sessions are sent the next morning; the fifth's is due
            demo.submit_form(visit, demo.at(demo.day_of(visit.start_at) + 1, time(9)))
    today = doses[5]
    demo.confirm_ride(today)
    demo.check_in(today, start - minutes(10))
    demo.measure(today, phq9(11), start - minutes(8))
    demo.measure(today, bp("pre", 126, 80), start - minutes(5))
    given = start + minutes(15)
    demo.dose(today, 84, given)
    demo.measure(today, SEDATION_AWAKE, given + minutes(30))
    demo.measure(today, dissociation(6), given + minutes(30))
    demo.measure(today, bp("post40", 134, 84), given + minutes(41))
    demo.measure(today, bp("discharge", 124, 78), given + minutes(105))
    demo.ride(today, TransportStatus.VERIFIED, t - minutes(3))


def _maintenance(demo: Demo, cast: Cast, t: datetime) -> None:
    """Riley, weekly Spravato maintenance: dosed 50 minutes ago, the blood pressure at 40 minutes overdue."""
    start = t - minutes(65)
    visits = demo.book_series(
        cast.patients["Riley"],
        cast.prescriber,
        "spravato-maintenance",
        demo.at(-14, demo.local_time(start)),
        demo.at(-16, NOON),
    )
    doses = _doses(visits)
    for number, (visit, score) in enumerate(zip(doses[:2], (12, 10), strict=True)):
        demo.spravato_session(visit, 84, phq9_total=score, gad7_total=9 if number == 0 else None)
        demo.submit_form(visit, demo.at(demo.day_of(visit.start_at) + 1, time(9)))
    today = doses[2]
    demo.confirm_ride(today)
    demo.check_in(today, start - minutes(7))
    demo.measure(today, phq9(9), start - minutes(5))
    demo.measure(today, bp("pre", 132, 84), start - minutes(3))
    given = start + minutes(15)
    demo.dose(today, 84, given)
    demo.measure(today, SEDATION_AWAKE, given + minutes(22))
    demo.measure(today, dissociation(8), given + minutes(22))


def _infusion_series(demo: Demo, cast: Cast, t: datetime) -> Appointment:
    """Jordan, IV ketamine induction: infusion 5 of 6 today, discharged five minutes ago."""
    start = t - minutes(110)
    visits = demo.book_series(
        cast.patients["Jordan"],
        cast.second_prescriber,
        "iv-ketamine-induction",
        demo.at(-9, demo.local_time(start)),
        demo.at(-11, NOON),
    )
    doses = _doses(visits)
    for number, (visit, score) in enumerate(zip(doses[:4], (19, 17, 15, 14), strict=True)):
        demo.infusion_session(visit, 35, phq9_total=score, gad7_total=12 if number == 0 else None)
    today = doses[4]
    demo.confirm_ride(today)
    demo.check_in(today, start - minutes(8))
    demo.measure(today, phq9(12), start - minutes(6))
    demo.measure(today, bp("pre", 122, 78), start - minutes(4))
    given = start + minutes(15)
    demo.dose(today, 35, given)
    demo.measure(today, bp("discharge", 120, 76), given + minutes(73))
    demo.discharge(today, t - minutes(5))
    return today


def _infusions_today(demo: Demo, cast: Cast, t: datetime, chairs: list[Chair]) -> None:
    """Single infusions in the other chairs, and consults without a chair."""
    patients, nurse = cast.patients, cast.nurse
    waiting = demo.book_visit(
        patients["Morgan"], cast.second_prescriber, "dose", t, demo.at(-6, NOON), chair_id=chairs[0].id
    )
    demo.confirm_ride(waiting)
    demo.check_in(waiting, t - minutes(8))
    demo.measure(waiting, phq9(9), t - minutes(6))
    demo.measure(waiting, bp("pre", 118, 76), t - minutes(4))

    arriving = demo.book_visit(
        patients["Casey"],
        cast.second_prescriber,
        "dose",
        t + minutes(30),
        demo.at(-4, NOON),
        chair_id=chairs[1].id,
    )
    demo.confirm_ride(arriving)

    early = demo.book_visit(
        patients["Emerson"],
        cast.second_prescriber,
        "dose",
        demo.at(0, time(7)),
        demo.at(-5, NOON),
        chair_id=chairs[2].id,
    )
    demo.infusion_session(early, 40, phq9_total=8)

    missed = demo.book_visit(patients["Sawyer"], nurse, "consult", demo.at(0, time(8)), demo.at(-3, NOON))
    demo.no_show(missed, demo.at(0, time(8, 20)))
    demo.book_visit(patients["Rowan"], nurse, "consult", t + minutes(120), demo.at(-2, NOON))


def _yesterday(demo: Demo, cast: Cast) -> None:
    """Two Spravato sessions whose REMS forms are due (one raised a blood-pressure alert), an infusion."""
    spravato = {"protocol": "spravato-maintenance"}
    high = demo.book_visit(
        cast.patients["Taylor"], cast.prescriber, "dose", demo.at(-1, time(10)), demo.at(-8, NOON), **spravato
    )
    demo.spravato_session(high, 84, phq9_total=14, post40=(164, 98))
    usual = demo.book_visit(
        cast.patients["Jamie"],
        cast.prescriber,
        "dose",
        demo.at(-1, time(13, 30)),
        demo.at(-8, NOON),
        **spravato,
    )
    demo.spravato_session(usual, 56, phq9_total=9)
    infusion = demo.book_visit(
        cast.patients["Skyler"],
        cast.second_prescriber,
        "dose",
        demo.at(-1, time(9)),
        demo.at(-7, NOON),
        protocol="iv-ketamine-booster",
    )
    demo.infusion_session(infusion, 35, phq9_total=10)


def _missed_follow_up(demo: Demo, cast: Cast) -> None:
    """Drew finished an infusion series 17 days ago and did not come to the follow-up a week later."""
    visits = demo.book_series(
        cast.patients["Drew"],
        cast.prescriber,
        "iv-ketamine-induction",
        demo.at(-28, time(11)),
        demo.at(-30, NOON),
    )
    doses = _doses(visits)
    for number, (visit, score) in enumerate(zip(doses, (20, 18, 15, 13, 12, 10), strict=True)):
        demo.infusion_session(visit, 40, phq9_total=score, gad7_total=13 if number == 0 else None)
    follow_up = next(v for v in visits if v.kind == "follow_up")
    demo.no_show(follow_up, follow_up.start_at + minutes(30))


def _coming_up(demo: Demo, cast: Cast, now: datetime) -> None:
    """Tomorrow's infusion without a ride, a series starting tomorrow, a Spravato series awaiting REMS."""
    patients = cast.patients
    demo.book_visit(
        patients["Quinn"],
        cast.second_prescriber,
        "dose",
        demo.at(1, time(10)),
        demo.at(-3, NOON),
        protocol="iv-ketamine-booster",
    )
    starting = demo.book_series(
        patients["Hayden"],
        cast.second_prescriber,
        THERAPY_PROTOCOL,
        demo.at(1, time(9)),
        now - timedelta(hours=2),
        join_url=VIDEO_ROOM,
    )
    demo.ride(starting[0], TransportStatus.CONFIRMED, now - minutes(30))
    demo.book_series(
        patients["Finley"],
        cast.prescriber,
        "spravato-induction",
        demo.at(3, time(11)),
        now - timedelta(hours=1),
        rems_override_reason="Enrolment form signed at intake; the REMS enrolment is confirmed before dose 1",
    )
