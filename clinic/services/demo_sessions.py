"""The demo clinic's visits, each step taken through its use case at the instant it happened.

The demo is history replayed: a series is booked days before its first dose, a patient is checked in ten
minutes before the visit, the dose is given after the blood pressure, and so on, each use case called with
the past instant as its `now`. So every rule the app enforces holds for the demo data too (nothing is
written into a field behind a use case's back), and the audit trail reads like a real clinic's.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from clinic.domain.localtime import utc_at
from clinic.domain.transport import TransportStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.series import Series
from clinic.services.actor import Actor
from clinic.services.appointments import book_appointment, mark_no_show
from clinic.services.commands import CheckIn, Discharge, RecordDose
from clinic.services.monitoring import record_measurement, submit_rems_form
from clinic.services.protocols import visit_protocol
from clinic.services.series import create_series, series_appointments
from clinic.services.session import check_in, discharge, record_dose
from clinic.services.transport import update_transport

SPRAVATO_LOT = "ESK-2A7731"
KETAMINE_LOT = "KET-19C204"


def bp(timepoint: str, systolic: int, diastolic: int) -> dict[str, Any]:
    return {"instrument": "bp", "timepoint": timepoint, "systolic": systolic, "diastolic": diastolic}


def phq9(total: int, item9: int = 0) -> dict[str, Any]:
    """PHQ-9 answers adding up to `total` (item 9, thoughts of self-harm, as given)."""
    items, left = [], total - item9
    for _ in range(8):
        items.append(min(3, left))
        left -= items[-1]
    return {"instrument": "phq9", "items": [*items, item9]}


def gad7(total: int) -> dict[str, Any]:
    items, left = [], total
    for _ in range(7):
        items.append(min(3, left))
        left -= items[-1]
    return {"instrument": "gad7", "items": items}


SEDATION_AWAKE = {"instrument": "sedation", "moaas": 5}


def dissociation(cadss_total: int) -> dict[str, Any]:
    return {"instrument": "dissociation", "cadss_total": cadss_total}


@dataclass
class Demo:
    """The clinic being filled, the actor who fills it, and the location's calendar."""

    location: Location
    actor: Actor
    today: date

    def at(self, days: int, clock: time) -> datetime:
        """The instant of a local wall-clock time `days` after today (negative: before)."""
        return utc_at(self.today + timedelta(days=days), clock, self.location.zone)

    def local_time(self, instant: datetime) -> time:
        return instant.astimezone(self.location.zone).time()

    def day_of(self, instant: datetime) -> int:
        """How many local days after today the instant falls (negative: before)."""
        return (instant.astimezone(self.location.zone).date() - self.today).days

    # --- booking ---------------------------------------------------------------------------------

    def book_series(
        self,
        patient: Patient,
        provider: Provider,
        protocol: str,
        first: datetime,
        booked_at: datetime,
        **extra: Any,
    ) -> list[Appointment]:
        """Book a whole series starting at the instant `first`; its visits, first to last."""
        series: Series = create_series(
            {
                "patient_id": patient.id,
                "protocol": protocol,
                "location_id": self.location.id,
                "provider_id": provider.id,
                "start_date": first.astimezone(self.location.zone).date(),
                "start_time": self.local_time(first),
                "parameters": {},
                "default_ride": escort(patient),
                **extra,
            },
            self.actor,
            booked_at,
        )
        db.session.flush()
        return series_appointments(series)

    def book_visit(
        self,
        patient: Patient,
        provider: Provider,
        kind: str,
        start: datetime,
        booked_at: datetime,
        **extra: Any,
    ) -> Appointment:
        """Book one visit (a dose needs `chair_id` or `protocol` in `extra`)."""
        data = {
            "patient_id": patient.id,
            "kind": kind,
            "location_id": self.location.id,
            "provider_id": provider.id,
            "start": start,
            **extra,
        }
        return book_appointment(data, self.actor, booked_at)

    # --- the session, step by step -----------------------------------------------------------------

    def ride(self, visit: Appointment, status: TransportStatus, at: datetime) -> None:
        """The ride home as the desk records it: the escort's details with this status."""
        update_transport(visit, {**escort(visit.patient), "status": status}, self.actor, at)

    def confirm_ride(self, visit: Appointment) -> None:
        """The desk's call the afternoon before the visit: the ride home is confirmed."""
        unconfirmed = (TransportStatus.MISSING, TransportStatus.ARRANGED)
        if visit.transport is not None and visit.transport.status in unconfirmed:
            self.ride(visit, TransportStatus.CONFIRMED, self.at(self.day_of(visit.start_at) - 1, time(16)))

    def check_in(self, visit: Appointment, at: datetime) -> None:
        check_in(visit, CheckIn(), self.actor, at)

    def measure(self, visit: Appointment, data: dict[str, Any], at: datetime) -> None:
        record_measurement(visit, data, self.actor, at)

    def dose(self, visit: Appointment, dose_mg: int, at: datetime) -> None:
        spec = visit_protocol(visit)
        lot = SPRAVATO_LOT if spec is not None and spec.drug == "esketamine" else KETAMINE_LOT
        record_dose(visit, RecordDose(dose_mg=dose_mg, lot_number=lot), self.actor, at)

    def discharge(self, visit: Appointment, at: datetime) -> None:
        """The escort is at the desk, then the patient goes home."""
        self.ride(visit, TransportStatus.VERIFIED, at - timedelta(minutes=2))
        discharge(visit, Discharge(), self.actor, at)

    def no_show(self, visit: Appointment, at: datetime) -> None:
        mark_no_show(visit, self.actor, at)

    def submit_form(self, visit: Appointment, at: datetime) -> None:
        submit_rems_form(visit, f"RPM-{visit.id:06d}", self.actor, at)

    def spravato_session(
        self,
        visit: Appointment,
        dose_mg: int,
        *,
        phq9_total: int | None = None,
        gad7_total: int | None = None,
        post40: tuple[int, int] = (136, 86),
        cadss: int = 4,
    ) -> None:
        """A whole Spravato session: check-in and questionnaires, BP, the dose, the checks during the two
        hours of monitoring, then home with the escort. A post-dose BP above the discharge limit is
        re-checked until it is back under it, as the session rules ask."""
        start = visit.start_at
        self._arrive(visit, phq9_total, gad7_total, (128, 82))
        given = start + timedelta(minutes=15)
        self.dose(visit, dose_mg, given)
        self.measure(visit, SEDATION_AWAKE, given + timedelta(minutes=30))
        self.measure(visit, dissociation(cadss), given + timedelta(minutes=30))
        self.measure(visit, bp("post40", *post40), given + timedelta(minutes=41))
        if post40[0] > 160 or post40[1] > 100:
            self.measure(visit, bp("discharge", 148, 90), given + timedelta(minutes=57))
        self.measure(visit, bp("discharge", 126, 80), given + timedelta(minutes=106))
        self.discharge(visit, given + timedelta(minutes=122))

    def infusion_session(
        self,
        visit: Appointment,
        dose_mg: int,
        *,
        phq9_total: int | None = None,
        gad7_total: int | None = None,
    ) -> None:
        """A whole IV ketamine session: check-in, BP, the infusion, the BP before discharge, home."""
        self._arrive(visit, phq9_total, gad7_total, (124, 78))
        given = visit.start_at + timedelta(minutes=15)
        self.dose(visit, dose_mg, given)
        self.measure(visit, bp("discharge", 122, 76), given + timedelta(minutes=80))
        self.discharge(visit, given + timedelta(minutes=90))

    def _arrive(
        self,
        visit: Appointment,
        phq9_total: int | None,
        gad7_total: int | None,
        pressure: tuple[int, int],
    ) -> None:
        start = visit.start_at
        self.confirm_ride(visit)
        self.check_in(visit, start - timedelta(minutes=10))
        if phq9_total is not None:
            self.measure(visit, phq9(phq9_total), start - timedelta(minutes=8))
        if gad7_total is not None:
            self.measure(visit, gad7(gad7_total), start - timedelta(minutes=7))
        self.measure(visit, bp("pre", *pressure), start - timedelta(minutes=5))


def escort(patient: Patient) -> dict[str, str]:
    """Who takes the patient home: the emergency contact on file, else a driver from the family."""
    if patient.emergency_contact_name and patient.emergency_contact_phone:
        name, phone = patient.emergency_contact_name, patient.emergency_contact_phone
    else:
        name, phone = family_contact(patient.id, patient.last_name)
    return {"mode": "driver", "contact_name": name, "contact_phone": phone}


def family_contact(number: int, last_name: str) -> tuple[str, str]:
    """A made-up relative of the patient: name and phone."""
    return (
        f"{ESCORT_FIRST_NAMES[number % len(ESCORT_FIRST_NAMES)]} {last_name}",
        f"+1617555{2000 + number:04d}",
    )


ESCORT_FIRST_NAMES = ("Sam", "Alex", "Chris", "Robin", "Lee", "Jesse", "Kim")
