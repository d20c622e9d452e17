"""Typed commands of the session use cases: frozen dataclasses the API schemas (`@post_load`) and the web
forms build, so a use case never reads a loose dict."""

from dataclasses import dataclass

from clinic.domain.session import DoseInput


@dataclass(frozen=True)
class CheckIn:
    """Check a patient in; `override_reason` lets them in without a ride home (audited)."""

    override_reason: str | None = None


@dataclass(frozen=True)
class UndoCheckIn:
    """Undo a check-in made by mistake, saying why (audited)."""

    reason: str


@dataclass(frozen=True)
class Discharge:
    """Discharge a patient; `override_reason` passes the rules the actor may override (audited)."""

    override_reason: str | None = None


# The dose of a session, as staff enter it (mg, lot, devices, when given, and why when it corrects one).
RecordDose = DoseInput
