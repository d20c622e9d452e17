"""Therapy sessions a protocol adds around its doses: a preparation session before the first dose and
integration sessions after doses. They are part of the protocol's data (clinic.domain.protocols) and are
booked, moved and cancelled with the series; they hold no chair and need no ride and no fasting.

Each rule is validated on construction (ProtocolError names the field), like the rest of a protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from clinic.domain.protocol_error import ProtocolError
from clinic.domain.visits import Modality

THERAPY_MINUTES = 60
MAX_SESSION_MINUTES = 480
# How far from its dose a session may be placed.
MAX_DAYS_AWAY = 28
MAX_EVERY_DOSES = 52


def _check(rule: Any) -> None:
    if not 1 <= rule.duration_minutes <= MAX_SESSION_MINUTES:
        raise ProtocolError("duration_minutes", f"must be between 1 and {MAX_SESSION_MINUTES}")
    if rule.modality not in tuple(Modality):
        raise ProtocolError("modality", f"must be one of {', '.join(Modality)}")
    object.__setattr__(rule, "modality", Modality(rule.modality))


@dataclass(frozen=True)
class PreparationRule:
    """One preparation session between `min_days_before` and `max_days_before` days before the first dose
    (the planner tries the day closest to the dose first), at the series' time of day."""

    min_days_before: int = 1
    max_days_before: int = 14
    duration_minutes: int = THERAPY_MINUTES
    modality: Modality = Modality.IN_PERSON

    def __post_init__(self) -> None:
        if not 1 <= self.min_days_before <= MAX_DAYS_AWAY:
            raise ProtocolError("min_days_before", f"must be between 1 and {MAX_DAYS_AWAY}")
        if not self.min_days_before <= self.max_days_before <= MAX_DAYS_AWAY:
            raise ProtocolError("max_days_before", f"must be between min_days_before and {MAX_DAYS_AWAY}")
        _check(self)

    @property
    def days_before(self) -> range:
        """Days before the first dose to try, nearest first."""
        return range(self.min_days_before, self.max_days_before + 1)


@dataclass(frozen=True)
class IntegrationRule:
    """An integration session within `within_days` days after every `every_doses`-th dose (1: after each),
    the day after the dose first, at the series' time of day."""

    within_days: int = 2
    every_doses: int = 1
    duration_minutes: int = THERAPY_MINUTES
    modality: Modality = Modality.IN_PERSON

    def __post_init__(self) -> None:
        if not 1 <= self.within_days <= MAX_DAYS_AWAY:
            raise ProtocolError("within_days", f"must be between 1 and {MAX_DAYS_AWAY}")
        if not 1 <= self.every_doses <= MAX_EVERY_DOSES:
            raise ProtocolError("every_doses", f"must be between 1 and {MAX_EVERY_DOSES}")
        _check(self)

    @property
    def days_after(self) -> range:
        """Days after the dose to try, nearest first."""
        return range(1, self.within_days + 1)

    def follows(self, dose_number: int) -> bool:
        """Whether the dose with this 1-based number in its series gets an integration session."""
        return dose_number >= 1 and dose_number % self.every_doses == 0


TherapyRule = PreparationRule | IntegrationRule


def rule_fields(factory: type[TherapyRule]) -> tuple[tuple[str, type, Any], ...]:
    """(name, JSON type, default) of each field of a rule, for reading it from JSON."""
    return tuple((f.name, str if f.name == "modality" else int, f.default) for f in fields(factory))


def rule_to_dict(rule: TherapyRule | None) -> dict[str, Any] | None:
    """The JSON form of a rule (None stays None)."""
    if rule is None:
        return None
    return {
        f.name: str(getattr(rule, f.name)) if f.name == "modality" else getattr(rule, f.name)
        for f in fields(rule)
    }
