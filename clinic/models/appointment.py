"""Appointment: one visit (a dose, a follow-up, a preparation or integration session or a consult), in person
or virtual."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, Index, Numeric, String, false, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.domain.protocols import SessionRules
from clinic.domain.session import DoseInput, check_dose
from clinic.domain.visits import (
    DOSE_GIVEN,
    HOLDS_SLOT,
    JOIN_URL_LENGTH,
    OPEN,
    Broken,
    Modality,
    TransitionRefused,
    VisitKind,
    VisitStatus,
    check_in_broken,
    in_order,
    no_show_refusal,
    require_reason,
    require_status,
    sql_list,
    undo_check_in_refusal,
)
from clinic.models.base import Base, JSONType, VocabularyType, vocabulary_check
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.series import Series

if TYPE_CHECKING:
    from clinic.models.transport import Transport

APPOINTMENT_KINDS = tuple(VisitKind)
_OPEN_DOSE = f"kind = 'dose' AND status IN ({sql_list(in_order(OPEN, VisitStatus))})"


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_chair_start", "chair_id", "start_at"),
        Index("ix_appointments_provider_start", "provider_id", "start_at"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
        Index("ix_appointments_location_start", "location_id", "start_at"),
        # The patients a provider treats (`treated_patients`), read from the index alone.
        Index("ix_appointments_provider_patient", "provider_id", "patient_id"),
        # The at-risk ride list and sweep: open dosing visits in the next hours, across all locations.
        Index(
            "ix_appointments_open_doses_start",
            "start_at",
            postgresql_where=text(_OPEN_DOSE),
            sqlite_where=text(_OPEN_DOSE),
        ),
        # The providers' REMS queues: the open forms of their patients, whatever the length of the history.
        Index(
            "ix_appointments_rems_form_open_patient",
            "patient_id",
            postgresql_where=text("rems_form_open"),
            sqlite_where=text("rems_form_open"),
        ),
        vocabulary_check("status", VisitStatus),
        vocabulary_check("modality", Modality),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable iCalendar UID: calendars match later versions of the visit by it.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    dose_number: Mapped[int | None]  # 1-based position among the doses of its series
    phase_index: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("chairs.id"))
    protocol_code: Mapped[str | None] = mapped_column(String(64))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[VisitStatus] = mapped_column(VocabularyType(VisitStatus), default=VisitStatus.SCHEDULED)
    modality: Mapped[Modality] = mapped_column(
        VocabularyType(Modality), default=Modality.IN_PERSON, server_default=Modality.IN_PERSON.value
    )
    # Where the patient joins a virtual visit (https); None for a visit in person.
    join_url: Mapped[str | None] = mapped_column(String(JOIN_URL_LENGTH))
    # Why the planner placed the visit away from its preferred slot, shown to staff.
    planning_note: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    checked_in_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Set when staff let a patient in without a ride, or out without a verified escort; shown on the visit.
    check_in_override_reason: Mapped[str | None] = mapped_column(String(500))
    discharge_override_reason: Mapped[str | None] = mapped_column(String(500))
    # The discharge rules a provider overrode (their codes), for the visit's page and the REMS form.
    discharge_overrides: Mapped[list | None] = mapped_column(JSONType)
    # When the current dose was given (the newest record in `doses`); monitoring runs from it.
    dose_given_at: Mapped[datetime | None]
    # A discharged REMS session whose monitoring form is not submitted yet: set at discharge, cleared on
    # submission, so the queues of forms to send read the open ones instead of every session ever held.
    rems_form_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    series: Mapped[Series | None] = relationship(back_populates="appointments")
    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    location: Mapped[Location] = relationship()
    chair: Mapped[Chair | None] = relationship()
    transport: Mapped["Transport | None"] = relationship(back_populates="appointment", uselist=False)
    doses: Mapped[list["Dose"]] = relationship(
        back_populates="appointment", order_by="Dose.id", foreign_keys="Dose.appointment_id"
    )

    @property
    def local_start(self) -> datetime:
        """The start in the location's wall-clock time (what staff and patients see)."""
        return self.start_at.astimezone(self.location.zone)

    @property
    def local_end(self) -> datetime:
        return self.end_at.astimezone(self.location.zone)

    @hybrid_property
    def is_open(self) -> bool:
        """Not begun: may still be moved, cancelled, checked in or marked as a no-show (SQL too)."""
        return self.status in OPEN

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(in_order(OPEN, VisitStatus))

    @hybrid_property
    def holds_slot(self) -> bool:
        """Holds its chair, its provider and the patient's time (SQL too)."""
        return self.status in HOLDS_SLOT

    @holds_slot.inplace.expression
    @classmethod
    def _holds_slot_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(in_order(HOLDS_SLOT, VisitStatus))

    @hybrid_property
    def dose_given(self) -> bool:
        """The patient came (checked in or completed): planners count the dose as given (SQL too)."""
        return self.status in DOSE_GIVEN

    @dose_given.inplace.expression
    @classmethod
    def _dose_given_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(in_order(DOSE_GIVEN, VisitStatus))

    @property
    def current_dose(self) -> "Dose | None":
        """The dose record in force (a correction supersedes the earlier one, which is kept)."""
        return next((d for d in reversed(self.doses) if d.superseded_at is None), None)

    # --- transitions: each is guarded by a rule of clinic.domain.visits and raises TransitionRefused ---

    def check_in(
        self, now: datetime, *, opens_before: timedelta, ride_refusal: str | None, override_reason: str | None
    ) -> bool:
        """Check the patient in at `now`; returns whether the ride rule was overridden (with a reason)."""
        require_status(VisitStatus(self.status), OPEN, "checked in")
        broken = check_in_broken(
            self.start_at, self.end_at, now, opens_before=opens_before, ride_refusal=ride_refusal
        )
        blocking = [b for b in broken if not (override_reason and b.code == "transport_missing")]
        if blocking:
            raise TransitionRefused(blocking[0].message, tuple(blocking))
        overridden = len(broken) > len(blocking)
        self.status, self.checked_in_at = VisitStatus.CHECKED_IN, now
        if overridden:
            self.check_in_override_reason = override_reason
        self.touch(now)
        return overridden

    def undo_check_in(self, now: datetime) -> datetime | None:
        """Undo a check-in made by mistake (before the dose); returns the check-in time it removed."""
        undo_check_in_refusal(VisitStatus(self.status), self.current_dose is not None)
        was = self.checked_in_at
        self.status, self.checked_in_at, self.check_in_override_reason = VisitStatus.SCHEDULED, None, None
        self.touch(now)
        return was

    def record_dose(
        self,
        rules: SessionRules,
        dose: DoseInput,
        now: datetime,
        *,
        recorded_by_id: int | None,
        recorded_by_label: str,
        confirmation_needed: Broken | None = None,
    ) -> "Dose":
        """Record the dose of a checked-in dosing visit, checked against the protocol's session rules; a
        later call corrects it with a reason (the earlier record is kept, marked superseded).

        `confirmation_needed` (a high blood pressure before the dose) holds the first dose until the
        command names the prescriber who confirmed it."""
        if self.kind != VisitKind.DOSE or self.status != VisitStatus.CHECKED_IN or self.checked_in_at is None:
            raise TransitionRefused(
                "A dose is recorded for a checked-in dosing visit",
                (Broken("not_checked_in", "Check the patient in before recording the dose"),),
            )
        previous = self.current_dose
        reason = require_reason(dose.correction_reason, "correction_reason") if previous else None
        confirmation = (dose.prescriber_confirmation or "").strip() or None
        if previous is None and confirmation_needed is not None and confirmation is None:
            raise TransitionRefused(confirmation_needed.message, (confirmation_needed,))
        entry = check_dose(
            rules, dose.dose_mg, dose.devices, dose.lot_number, dose.given_at, self.checked_in_at, now
        )
        if previous is not None:
            previous.superseded_at = now
        record = Dose(
            patient_id=self.patient_id,
            dose_mg=entry.dose_mg,
            devices=entry.devices,
            lot_number=entry.lot_number,
            given_at=entry.given_at,
            recorded_at=now,
            recorded_by_id=recorded_by_id,
            recorded_by_label=recorded_by_label,
            amends=previous,
            correction_reason=reason,
            prescriber_confirmation=confirmation,
        )
        self.doses.append(record)
        self.dose_given_at = entry.given_at
        self.touch(now)
        return record

    def discharge(
        self,
        now: datetime,
        broken: list[Broken],
        *,
        override_reason: str | None,
        may_override: frozenset[str],
        rems_session: bool = False,
    ) -> list[str]:
        """Discharge at `now` unless a broken rule stands; an override (with a reason) passes the rules in
        `may_override`. A REMS session (`rems_session`) then has its monitoring form open. Returns the codes
        overridden."""
        require_status(VisitStatus(self.status), frozenset({VisitStatus.CHECKED_IN}), "discharged")
        blocking = [b for b in broken if not (override_reason and b.code in may_override)]
        if blocking:
            raise TransitionRefused("The patient cannot be discharged yet", tuple(blocking))
        overridden = [b.code for b in broken]
        self.status, self.completed_at = VisitStatus.COMPLETED, now
        self.rems_form_open = rems_session
        if overridden:
            self.discharge_override_reason = override_reason
            self.discharge_overrides = overridden
        self.touch(now)
        return overridden

    def rems_form_submitted(self) -> None:
        """The session's REMS monitoring form was submitted: it leaves the queues of forms to send."""
        self.rems_form_open = False

    def cancel(self, reason: str, now: datetime) -> None:
        """Cancel an open visit."""
        require_status(VisitStatus(self.status), OPEN, "called off")
        self.status, self.cancel_reason = VisitStatus.CANCELLED, reason
        self.touch(now)

    def confirm(self, now: datetime) -> bool:
        """The patient confirmed they will come; True if that changed the status (confirming twice is fine).

        Calendars show a visit the same whether confirmed or not, so SEQUENCE stays."""
        require_status(VisitStatus(self.status), OPEN, "confirmed")
        if self.status == VisitStatus.CONFIRMED:
            return False
        self.status, self.updated_at = VisitStatus.CONFIRMED, now
        return True

    def mark_no_show(self, now: datetime) -> None:
        """Record that the patient did not come (once the visit's start has passed)."""
        no_show_refusal(VisitStatus(self.status), self.start_at, now)
        self.status = VisitStatus.NO_SHOW
        self.touch(now)

    @property
    def is_virtual(self) -> bool:
        """Held by video: no chair, ride, fasting or arrival; the patient joins through `join_url`."""
        return self.modality == Modality.VIRTUAL

    def touch(self, now: datetime) -> None:
        """Record a change calendars must notice: a higher SEQUENCE and a new modification time."""
        self.sequence += 1
        self.updated_at = now


class Dose(Base):
    """The dose given at a dosing visit. A correction adds a new row that amends the old one, which is kept
    (marked superseded), as measurement corrections are."""

    __tablename__ = "doses"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    dose_mg: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    devices: Mapped[int | None]
    lot_number: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_label: Mapped[str] = mapped_column(String(254), default="")
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("doses.id"))
    superseded_at: Mapped[datetime | None]
    correction_reason: Mapped[str | None] = mapped_column(String(500))
    prescriber_confirmation: Mapped[str | None] = mapped_column(String(500))

    appointment: Mapped[Appointment] = relationship(back_populates="doses", foreign_keys=[appointment_id])
    amends: Mapped["Dose | None"] = relationship(remote_side=[id])
