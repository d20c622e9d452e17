"""Plain views of planned and booked visits, in the location's local time, for answers and pages."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from clinic.domain.planning import CONFLICT, Occurrence, Rule
from clinic.domain.visits import KIND_LABELS, Modality, VisitKind


@dataclass(frozen=True)
class PlannedVisit:
    """An occurrence of a plan as staff see it: local times and the chair's name."""

    index: int
    kind: str
    dose_number: int | None
    phase_index: int | None
    start: datetime
    end: datetime
    original_start: datetime
    chair_id: int | None
    chair_name: str | None
    status: str
    reasons: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default=())
    modality: Modality = Modality.IN_PERSON
    # An integration session: the number of the dose it follows.
    after_dose: int | None = None

    @property
    def label(self) -> str:
        """What the visit is, as staff read it ("Dose 3", "Integration after dose 2", "Preparation")."""
        label = KIND_LABELS.get(self.kind, str(self.kind))
        if self.dose_number is not None:
            return f"{label} {self.dose_number}"
        return f"{label} after dose {self.after_dose}" if self.after_dose is not None else label


def planned_visits(
    occurrences: list[Occurrence], tz: ZoneInfo, chair_names: dict[int, str]
) -> list[PlannedVisit]:
    """The plan's visits in time order (each keeps its `index` in the plan), doses numbered in plan order."""
    visits = []
    dose_number = 0
    for occurrence in occurrences:
        is_dose = occurrence.kind == VisitKind.DOSE
        if is_dose:
            dose_number += 1
        visits.append(
            PlannedVisit(
                index=occurrence.index,
                kind=occurrence.kind,
                dose_number=dose_number if is_dose else None,
                phase_index=occurrence.phase_index,
                start=occurrence.start.astimezone(tz),
                end=occurrence.end.astimezone(tz),
                original_start=occurrence.original_start.astimezone(tz),
                chair_id=occurrence.chair_id,
                chair_name=chair_names.get(occurrence.chair_id) if occurrence.chair_id else None,
                status=occurrence.status,
                reasons=occurrence.reasons,
                rules=occurrence.broken_rules,
                modality=occurrence.modality,
                after_dose=occurrence.after_dose,
            )
        )
    return sorted(visits, key=lambda visit: (visit.start, visit.index))


def rule_dicts(rules: tuple[Rule, ...] | list[Rule]) -> list[dict[str, str]]:
    return [{"code": rule.code, "message": rule.message} for rule in rules]


def conflict_entries(visits: list[PlannedVisit]) -> list[dict]:
    """The conflicts of a plan as a 409 lists them."""
    return [
        {
            "index": visit.index,
            "kind": visit.kind,
            "dose_number": visit.dose_number,
            "start": visit.original_start.isoformat(),
            "rules": rule_dicts(visit.rules),
        }
        for visit in visits
        if visit.status == CONFLICT
    ]
