"""Treatment protocols as plain data: phases of dosing visits, visit timing, fasting and follow-up rules.

A protocol is a template; `build_protocol` applies a clinic's parameters to a built-in one, and
`protocol_from_dict` / `protocol_to_dict` store a clinic's own protocols as JSON. Every ProtocolSpec is
validated on construction, so a spec that exists is internally consistent: its default dose pattern keeps
the minimum gaps, the per-week counts, the no-consecutive-days rule and the maximum span.
`stored_protocol` / `protocol_from_json` read a stored protocol through a cache keyed by its content: every
series keeps its own snapshot, but most snapshots are equal, and a ProtocolSpec is immutable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Any, TypedDict

from clinic.domain.protocol_error import ProtocolError
from clinic.domain.therapy import IntegrationRule, PreparationRule, rule_fields, rule_to_dict

DRUGS = ("esketamine", "ketamine")
CHAIR_KINDS = ("spravato_room", "infusion_chair")

# Parameters a protocol may expose: top-level timing/fasting fields, or fields of the LAST phase (the
# open-ended one, e.g. maintenance), under a public name.
FIELD_PARAMETERS = (
    "check_in_minutes",
    "dosing_minutes",
    "monitoring_minutes",
    "fasting_food_minutes",
    "fasting_liquid_minutes",
)
PHASE_PARAMETERS = {"doses": "doses", "interval_weeks": "every_weeks"}

_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Phase:
    """A block of dosing visits: `doses` visits at `day_offsets` within every `every_weeks`-th week."""

    doses: int
    per_week: int
    min_gap_days: int
    day_offsets: tuple[int, ...]
    every_weeks: int = 1

    def __post_init__(self) -> None:
        for name in ("doses", "per_week", "min_gap_days", "every_weeks"):
            if getattr(self, name) < 1:
                raise ProtocolError(name, "must be at least 1")
        offsets = self.day_offsets
        if not offsets:
            raise ProtocolError("day_offsets", "needs at least one day")
        if any(not 0 <= o <= 6 for o in offsets) or list(offsets) != sorted(set(offsets)):
            raise ProtocolError("day_offsets", "must be increasing days 0..6 of the week")
        if len(offsets) > self.per_week:
            raise ProtocolError("day_offsets", f"more days than per_week ({self.per_week})")
        days = self.dose_days()
        if any(b - a < self.min_gap_days for a, b in pairwise(days)):
            raise ProtocolError("day_offsets", f"default days are closer than {self.min_gap_days} days")

    @property
    def weeks(self) -> int:
        """Weeks from this phase's start to the start of the next phase (the week after its last week)."""
        dosing_weeks = -(-self.doses // len(self.day_offsets))
        return (dosing_weeks - 1) * self.every_weeks + 1

    def dose_days(self) -> tuple[int, ...]:
        """Default day of each dose counted from the phase start."""
        n = len(self.day_offsets)
        return tuple(7 * (k // n) * self.every_weeks + self.day_offsets[k % n] for k in range(self.doses))


@dataclass(frozen=True)
class FollowUpRule:
    """A monitoring visit `days_after_last_dose` after the last dose of the series."""

    days_after_last_dose: int
    duration_minutes: int = 30

    def __post_init__(self) -> None:
        if self.days_after_last_dose < 1:
            raise ProtocolError("days_after_last_dose", "must be at least 1")
        if self.duration_minutes < 1:
            raise ProtocolError("duration_minutes", "must be at least 1")


@dataclass(frozen=True)
class Parameter:
    """A setting a clinic may choose when it uses the protocol (an integer within bounds)."""

    name: str
    default: int
    minimum: int
    maximum: int
    description: str = ""

    def __post_init__(self) -> None:
        if self.name not in FIELD_PARAMETERS and self.name not in PHASE_PARAMETERS:
            raise ProtocolError("name", f"{self.name!r} is not a parameter a protocol can expose")
        if not self.minimum <= self.default <= self.maximum:
            raise ProtocolError("default", "must be between minimum and maximum")


class CheckTime(StrEnum):
    """When a session check is due: before the dose, some minutes after it, or before discharge."""

    BEFORE_DOSE = "before_dose"
    AFTER_DOSE = "after_dose"
    BEFORE_DISCHARGE = "before_discharge"


# What a session check can ask for (the in-visit measurements) and the blood pressure timepoints.
CHECK_INSTRUMENTS = ("bp", "sedation", "dissociation")
BP_CHECK_TIMEPOINTS = ("pre", "post40", "discharge")


@dataclass(frozen=True)
class SessionCheck:
    """A measurement the dosing session needs before discharge (`name` is what staff see: "bp_post40")."""

    name: str
    instrument: str
    timepoint: str | None = None
    when: CheckTime = CheckTime.AFTER_DOSE
    minutes_after_dose: int = 0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ProtocolError("name", "must not be empty")
        if self.instrument not in CHECK_INSTRUMENTS:
            raise ProtocolError("instrument", f"must be one of {', '.join(CHECK_INSTRUMENTS)}")
        if self.instrument == "bp" and self.timepoint not in BP_CHECK_TIMEPOINTS:
            raise ProtocolError("timepoint", f"must be one of {', '.join(BP_CHECK_TIMEPOINTS)}")
        if self.instrument != "bp" and self.timepoint is not None:
            raise ProtocolError("timepoint", "only blood pressure checks have a timepoint")
        if self.when not in tuple(CheckTime):
            raise ProtocolError("when", f"must be one of {', '.join(CheckTime)}")
        object.__setattr__(self, "when", CheckTime(self.when))
        if self.minutes_after_dose < 0:
            raise ProtocolError("minutes_after_dose", "must not be negative")


# The vital-sign numbers of the session rules, in the order their JSON lists them.
VITAL_SIGN_LIMITS = (
    "discharge_max_systolic",
    "discharge_max_diastolic",
    "discharge_min_moaas",
    "recheck_minutes",
    "confirm_dose_above_systolic",
    "confirm_dose_above_diastolic",
    "urgent_systolic",
    "urgent_diastolic",
    "alert_moaas_at_or_below",
)


@dataclass(frozen=True, kw_only=True)
class SessionRules:
    """The rules of a dosing session: when check-in opens, which doses are allowed, which checks are needed
    and the vital signs a patient must be within to go home. The minimum monitoring after the dose is the
    protocol's `monitoring_minutes`."""

    check_in_opens_minutes: int = 60
    # Allowed doses in mg (empty: any dose within min..max).
    dose_mg_options: tuple[int, ...] = ()
    dose_mg_min: int = 1
    dose_mg_max: int = 200
    # One device per this many mg (Spravato: a 28 mg nasal spray device); None: not counted.
    mg_per_device: int | None = None
    checks: tuple[SessionCheck, ...] = ()
    # Discharge needs the last blood pressure at or under these and the last MOAA/S at or above the minimum;
    # a blood pressure after the dose above them makes a re-check due every `recheck_minutes`.
    discharge_max_systolic: int = 160
    discharge_max_diastolic: int = 100
    discharge_min_moaas: int = 5
    recheck_minutes: int = 15
    # A blood pressure before the dose above these asks the prescriber to confirm before dosing.
    confirm_dose_above_systolic: int = 140
    confirm_dose_above_diastolic: int = 90
    # A blood pressure at or above these raises an urgent alert to the prescriber, at any timepoint.
    urgent_systolic: int = 180
    urgent_diastolic: int = 110
    # A MOAA/S at or below this raises an alert (and discharge waits for `discharge_min_moaas`).
    alert_moaas_at_or_below: int = 3

    def __post_init__(self) -> None:
        for name in ("check_in_opens_minutes", *VITAL_SIGN_LIMITS):
            if getattr(self, name) < 0:
                raise ProtocolError(name, "must not be negative")
        if self.recheck_minutes < 5:
            raise ProtocolError("recheck_minutes", "must be at least 5")
        if self.urgent_systolic <= self.discharge_max_systolic:
            raise ProtocolError("urgent_systolic", "must be above discharge_max_systolic")
        if self.urgent_diastolic <= self.discharge_max_diastolic:
            raise ProtocolError("urgent_diastolic", "must be above discharge_max_diastolic")
        if self.confirm_dose_above_systolic >= self.urgent_systolic:
            raise ProtocolError("confirm_dose_above_systolic", "must be below urgent_systolic")
        if self.confirm_dose_above_diastolic >= self.urgent_diastolic:
            raise ProtocolError("confirm_dose_above_diastolic", "must be below urgent_diastolic")
        if not 0 <= self.alert_moaas_at_or_below < self.discharge_min_moaas:
            raise ProtocolError("alert_moaas_at_or_below", "must be between 0 and discharge_min_moaas - 1")
        if not 1 <= self.dose_mg_min <= self.dose_mg_max:
            raise ProtocolError("dose_mg_min", "must be at least 1 and at most dose_mg_max")
        if any(not self.dose_mg_min <= mg <= self.dose_mg_max for mg in self.dose_mg_options):
            raise ProtocolError("dose_mg_options", "must lie between dose_mg_min and dose_mg_max")
        if self.mg_per_device is not None and self.mg_per_device < 1:
            raise ProtocolError("mg_per_device", "must be at least 1")
        if not 0 <= self.discharge_min_moaas <= 5:
            raise ProtocolError("discharge_min_moaas", "must be between 0 and 5")
        names = [check.name for check in self.checks]
        if len(names) != len(set(names)):
            raise ProtocolError("checks", "names must be unique")


_BP_PRE = SessionCheck("bp_pre", "bp", "pre", CheckTime.BEFORE_DOSE)
_BP_DISCHARGE = SessionCheck("bp_discharge", "bp", "discharge", CheckTime.BEFORE_DISCHARGE)
# Defaults by drug, for protocols that do not give their own session rules.
DEFAULT_SESSION_RULES = {
    # Spravato label and REMS: 56 or 84 mg (28 mg in some patients), one 28 mg device per 28 mg; blood
    # pressure before the dose, about 40 minutes after it and before discharge; sedation and dissociation
    # assessed during the two hours of monitoring.
    "esketamine": SessionRules(
        dose_mg_options=(28, 56, 84),
        dose_mg_min=28,
        dose_mg_max=84,
        mg_per_device=28,
        checks=(
            _BP_PRE,
            SessionCheck("bp_post40", "bp", "post40", CheckTime.AFTER_DOSE, 40),
            _BP_DISCHARGE,
            SessionCheck("sedation", "sedation", None, CheckTime.AFTER_DOSE),
            SessionCheck("dissociation", "dissociation", None, CheckTime.AFTER_DOSE),
        ),
    ),
    # IV ketamine: a weight-based dose (typically 0.5-1 mg/kg) within the clinic's range; blood pressure
    # before the infusion and before discharge.
    "ketamine": SessionRules(dose_mg_min=1, dose_mg_max=200, checks=(_BP_PRE, _BP_DISCHARGE)),
}


@dataclass(frozen=True, kw_only=True)
class ProtocolSpec:
    """A treatment template. The chair is held for check-in + dosing + monitoring."""

    code: str
    name: str
    drug: str
    chair_kind: str
    phases: tuple[Phase, ...]
    check_in_minutes: int
    dosing_minutes: int
    monitoring_minutes: int
    needs_ride: bool = True
    fasting_food_minutes: int
    fasting_liquid_minutes: int
    rems_required: bool
    follow_ups: tuple[FollowUpRule, ...] = ()
    max_span_days: int | None = None
    no_consecutive_days: bool = False
    parameters: tuple[Parameter, ...] = ()
    # None: the defaults of the drug (DEFAULT_SESSION_RULES).
    session: SessionRules | None = None
    # Therapy sessions booked with the series (clinic.domain.therapy); None: none.
    preparation: PreparationRule | None = None
    integration: IntegrationRule | None = None

    def __post_init__(self) -> None:
        if self.session is None and self.drug in DEFAULT_SESSION_RULES:
            object.__setattr__(self, "session", DEFAULT_SESSION_RULES[self.drug])
        _validate(self)

    @property
    def rules(self) -> SessionRules:
        """The session rules (the drug's defaults unless the protocol gives its own)."""
        assert self.session is not None  # set on construction for every valid drug
        return self.session

    @property
    def chair_minutes(self) -> int:
        """Minutes a dosing visit holds its chair."""
        return self.check_in_minutes + self.dosing_minutes + self.monitoring_minutes

    @property
    def total_doses(self) -> int:
        """Number of dosing visits in the series."""
        return sum(p.doses for p in self.phases)

    def dose_days(self) -> tuple[tuple[int, int], ...]:
        """(phase index, default day counted from the series start) of every dose; phases run back to back."""
        result: list[tuple[int, int]] = []
        phase_start = 0
        for index, phase in enumerate(self.phases):
            result.extend((index, phase_start + day) for day in phase.dose_days())
            phase_start += 7 * phase.weeks
        return tuple(result)

    def parameter(self, name: str) -> Parameter | None:
        """The accepted parameter called `name`, or None."""
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def parameter_defaults(self) -> dict[str, int]:
        """Accepted parameter names and their defaults."""
        return {p.name: p.default for p in self.parameters}


def _validate(spec: ProtocolSpec) -> None:
    if not _CODE_RE.match(spec.code):
        raise ProtocolError("code", "lowercase letters, digits and dashes, at most 64")
    if not spec.name.strip():
        raise ProtocolError("name", "must not be empty")
    if spec.drug not in DRUGS:
        raise ProtocolError("drug", f"must be one of {', '.join(DRUGS)}")
    if spec.chair_kind not in CHAIR_KINDS:
        raise ProtocolError("chair_kind", f"must be one of {', '.join(CHAIR_KINDS)}")
    if not spec.phases:
        raise ProtocolError("phases", "needs at least one phase")
    for name in FIELD_PARAMETERS:
        if getattr(spec, name) < 0:
            raise ProtocolError(name, "must not be negative")
    if spec.chair_minutes < 1:
        raise ProtocolError("dosing_minutes", "a dosing visit must hold the chair for at least a minute")
    if spec.max_span_days is not None and spec.max_span_days < 0:
        raise ProtocolError("max_span_days", "must not be negative")
    names = [p.name for p in spec.parameters]
    if len(names) != len(set(names)):
        raise ProtocolError("parameters", "names must be unique")
    days = spec.dose_days()
    for (pa, da), (pb, db) in pairwise(days):
        # Where phases meet, the looser of the two gaps applies: the transition is deliberately tighter.
        need = min(spec.phases[pa].min_gap_days, spec.phases[pb].min_gap_days)
        if db - da < need or (spec.no_consecutive_days and db - da < 2):
            raise ProtocolError("phases", f"default doses on days {da} and {db} are too close")
    if spec.max_span_days is not None and days[-1][1] - days[0][1] > spec.max_span_days:
        raise ProtocolError("max_span_days", "the default dose pattern is longer than the maximum span")


def apply_parameters(spec: ProtocolSpec, params: Mapping[str, Any]) -> ProtocolSpec:
    """Return `spec` with the given parameters applied; ProtocolError names the offending parameter."""
    # Field names only known at run time, passed on to dataclasses.replace.
    changes: dict[str, Any] = {}
    phase_changes: dict[str, Any] = {}
    for name, value in params.items():
        accepted = spec.parameter(name)
        if accepted is None:
            raise ProtocolError(name, f"not a parameter of {spec.code}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(name, "must be an integer")
        if not accepted.minimum <= value <= accepted.maximum:
            raise ProtocolError(name, f"must be between {accepted.minimum} and {accepted.maximum}")
        if name in PHASE_PARAMETERS:
            phase_changes[PHASE_PARAMETERS[name]] = value
        else:
            changes[name] = value
    try:
        if phase_changes:
            last = replace(spec.phases[-1], **phase_changes)
            return replace(spec, phases=(*spec.phases[:-1], last), **changes)
        return replace(spec, **changes) if changes else spec
    except ProtocolError as exc:
        field = next(iter(params)) if len(params) == 1 else "parameters"
        raise ProtocolError(field, exc.message) from exc


class _VisitShape(TypedDict):
    """The ProtocolSpec fields that the built-in protocols of one drug share."""

    chair_kind: str
    check_in_minutes: int
    dosing_minutes: int
    monitoring_minutes: int
    fasting_food_minutes: int
    fasting_liquid_minutes: int
    rems_required: bool


_SPRAVATO_VISIT: _VisitShape = {
    "chair_kind": "spravato_room",
    "check_in_minutes": 15,  # check-in and blood pressure before the dose
    "dosing_minutes": 15,
    "monitoring_minutes": 120,  # REMS: at least two hours of monitored observation
    "fasting_food_minutes": 120,
    "fasting_liquid_minutes": 30,
    "rems_required": True,
}
_IV_VISIT: _VisitShape = {
    "chair_kind": "infusion_chair",
    "check_in_minutes": 15,
    "dosing_minutes": 40,
    "monitoring_minutes": 60,
    "fasting_food_minutes": 360,
    "fasting_liquid_minutes": 120,
    "rems_required": False,
}
_IV_FASTING_PARAMETERS = (
    Parameter("fasting_food_minutes", 360, 0, 1440, "No food for this many minutes before the infusion"),
    Parameter("fasting_liquid_minutes", 120, 0, 1440, "No liquids for this many minutes before the infusion"),
)

BUILTIN_PROTOCOLS: dict[str, ProtocolSpec] = {
    spec.code: spec
    for spec in (
        ProtocolSpec(
            code="spravato-induction",
            name="Spravato induction",
            drug="esketamine",
            phases=(
                Phase(doses=8, per_week=2, min_gap_days=3, day_offsets=(0, 3)),
                Phase(doses=4, per_week=1, min_gap_days=5, day_offsets=(0,)),
            ),
            follow_ups=(FollowUpRule(7), FollowUpRule(28)),
            **_SPRAVATO_VISIT,
        ),
        ProtocolSpec(
            code="spravato-maintenance",
            name="Spravato maintenance",
            drug="esketamine",
            phases=(Phase(doses=4, per_week=1, min_gap_days=5, day_offsets=(0,)),),
            parameters=(
                Parameter("interval_weeks", 1, 1, 2, "1 = weekly, 2 = every other week"),
                Parameter("doses", 4, 1, 52, "Number of maintenance doses to plan"),
            ),
            **_SPRAVATO_VISIT,
        ),
        ProtocolSpec(
            code="iv-ketamine-induction",
            name="IV ketamine induction",
            drug="ketamine",
            phases=(Phase(doses=6, per_week=3, min_gap_days=2, day_offsets=(0, 2, 4)),),
            follow_ups=(FollowUpRule(7), FollowUpRule(28)),
            max_span_days=21,
            no_consecutive_days=True,
            parameters=_IV_FASTING_PARAMETERS,
            **_IV_VISIT,
        ),
        ProtocolSpec(
            code="iv-ketamine-booster",
            name="IV ketamine booster",
            drug="ketamine",
            phases=(Phase(doses=1, per_week=1, min_gap_days=1, day_offsets=(0,)),),
            no_consecutive_days=True,
            parameters=_IV_FASTING_PARAMETERS,
            **_IV_VISIT,
        ),
    )
}


def build_protocol(
    code: str,
    params: Mapping[str, Any] | None = None,
    *,
    custom: Mapping[str, ProtocolSpec] | None = None,
) -> ProtocolSpec:
    """Return protocol `code` (built-in first, then `custom`) with `params` applied.

    Raises ProtocolError with field "protocol" for an unknown code, or the parameter's name for a bad value.
    """
    spec = BUILTIN_PROTOCOLS.get(code) or (custom or {}).get(code)
    if spec is None:
        raise ProtocolError("protocol", f"unknown protocol {code!r}")
    return apply_parameters(spec, params or {})


def protocol_to_dict(spec: ProtocolSpec) -> dict[str, Any]:
    """Return a JSON-ready dict of `spec`; `protocol_from_dict` turns it back into an equal spec."""
    return {
        "code": spec.code,
        "name": spec.name,
        "drug": spec.drug,
        "chair_kind": spec.chair_kind,
        "phases": [
            {
                "doses": p.doses,
                "per_week": p.per_week,
                "min_gap_days": p.min_gap_days,
                "day_offsets": list(p.day_offsets),
                "every_weeks": p.every_weeks,
            }
            for p in spec.phases
        ],
        "check_in_minutes": spec.check_in_minutes,
        "dosing_minutes": spec.dosing_minutes,
        "monitoring_minutes": spec.monitoring_minutes,
        "needs_ride": spec.needs_ride,
        "fasting_food_minutes": spec.fasting_food_minutes,
        "fasting_liquid_minutes": spec.fasting_liquid_minutes,
        "rems_required": spec.rems_required,
        "follow_ups": [
            {"days_after_last_dose": f.days_after_last_dose, "duration_minutes": f.duration_minutes}
            for f in spec.follow_ups
        ],
        "max_span_days": spec.max_span_days,
        "no_consecutive_days": spec.no_consecutive_days,
        "parameters": [
            {
                "name": p.name,
                "default": p.default,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "description": p.description,
            }
            for p in spec.parameters
        ],
        "session": _session_to_dict(spec.rules),
        "preparation": rule_to_dict(spec.preparation),
        "integration": rule_to_dict(spec.integration),
    }


def _session_to_dict(rules: SessionRules) -> dict[str, Any]:
    return {
        "check_in_opens_minutes": rules.check_in_opens_minutes,
        "dose_mg_options": list(rules.dose_mg_options),
        "dose_mg_min": rules.dose_mg_min,
        "dose_mg_max": rules.dose_mg_max,
        "mg_per_device": rules.mg_per_device,
        "checks": [
            {
                "name": c.name,
                "instrument": c.instrument,
                "timepoint": c.timepoint,
                "when": c.when.value,
                "minutes_after_dose": c.minutes_after_dose,
            }
            for c in rules.checks
        ],
        **{name: getattr(rules, name) for name in VITAL_SIGN_LIMITS},
    }


_MISSING = object()
_SPEC_FIELDS = (
    "code",
    "name",
    "drug",
    "chair_kind",
    "phases",
    *FIELD_PARAMETERS,
    "needs_ride",
    "rems_required",
    "follow_ups",
    "max_span_days",
    "no_consecutive_days",
    "parameters",
    "session",
    "preparation",
    "integration",
)
_SESSION_FIELDS = (
    "check_in_opens_minutes",
    "dose_mg_options",
    "dose_mg_min",
    "dose_mg_max",
    "mg_per_device",
    "checks",
    *VITAL_SIGN_LIMITS,
)


class _Reader:
    """Strict field access on untrusted JSON; errors carry the dotted path of the field."""

    def __init__(self, data: Any, path: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise ProtocolError(path or "protocol", "must be an object")
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ProtocolError(self._join(path, str(unknown[0])), "unknown field")
        self.data = data
        self.path = path

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name

    def field(self, name: str) -> str:
        return self._join(self.path, name)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        if name not in self.data:
            if default is _MISSING:
                raise ProtocolError(self.field(name), "is required")
            return default
        value = self.data[name]
        if value is None and default is None:
            return None
        # bool is an int subclass; a JSON true must not pass as a number
        if (isinstance(value, bool) and bool not in _kinds(kind)) or not isinstance(value, kind):
            raise ProtocolError(self.field(name), f"must be {_kind_name(kind)}")
        return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "an integer", str: "a string", bool: "true or false", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in _kinds(kind))


def _int_list(reader: _Reader, name: str) -> tuple[int, ...]:
    values = reader.get(name, list)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise ProtocolError(reader.field(name), "must be a list of integers")
    return tuple(values)


def _objects(reader: _Reader, name: str) -> list[tuple[str, Any]]:
    items = reader.get(name, list, [])
    return [(f"{reader.field(name)}[{i}]", item) for i, item in enumerate(items)]


def _build(path: str, factory: Any, **kwargs: Any) -> Any:
    try:
        return factory(**kwargs)
    except ProtocolError as exc:
        raise ProtocolError(f"{path}.{exc.field}" if path else exc.field, exc.message) from exc


def _therapy(reader: _Reader, name: str, factory: Any) -> Any:
    """A therapy rule (clinic.domain.therapy) from its JSON object; absent or null: None."""
    if reader.data.get(name) is None:
        return None
    path = reader.field(name)
    spec = rule_fields(factory)
    t = _Reader(reader.data[name], path, tuple(field for field, _, _ in spec))
    return _build(path, factory, **{field: t.get(field, kind, default) for field, kind, default in spec})


def protocol_from_dict(data: Mapping[str, Any]) -> ProtocolSpec:
    """Build and validate a ProtocolSpec from its JSON form; ProtocolError names the bad field's path."""
    r = _Reader(data, "", _SPEC_FIELDS)
    phases = []
    for path, item in _objects(r, "phases"):
        p = _Reader(item, path, ("doses", "per_week", "min_gap_days", "day_offsets", "every_weeks"))
        phases.append(
            _build(
                path,
                Phase,
                doses=p.get("doses", int),
                per_week=p.get("per_week", int),
                min_gap_days=p.get("min_gap_days", int),
                day_offsets=_int_list(p, "day_offsets"),
                every_weeks=p.get("every_weeks", int, 1),
            )
        )
    follow_ups = []
    for path, item in _objects(r, "follow_ups"):
        f = _Reader(item, path, ("days_after_last_dose", "duration_minutes"))
        follow_ups.append(
            _build(
                path,
                FollowUpRule,
                days_after_last_dose=f.get("days_after_last_dose", int),
                duration_minutes=f.get("duration_minutes", int, 30),
            )
        )
    parameters = []
    for path, item in _objects(r, "parameters"):
        q = _Reader(item, path, ("name", "default", "minimum", "maximum", "description"))
        parameters.append(
            _build(
                path,
                Parameter,
                name=q.get("name", str),
                default=q.get("default", int),
                minimum=q.get("minimum", int),
                maximum=q.get("maximum", int),
                description=q.get("description", str, ""),
            )
        )
    session = _session_from_dict(r.data["session"], "session") if r.data.get("session") is not None else None
    return _build(
        "",
        ProtocolSpec,
        code=r.get("code", str),
        name=r.get("name", str),
        drug=r.get("drug", str),
        chair_kind=r.get("chair_kind", str),
        phases=tuple(phases),
        check_in_minutes=r.get("check_in_minutes", int),
        dosing_minutes=r.get("dosing_minutes", int),
        monitoring_minutes=r.get("monitoring_minutes", int),
        needs_ride=r.get("needs_ride", bool, True),
        fasting_food_minutes=r.get("fasting_food_minutes", int),
        fasting_liquid_minutes=r.get("fasting_liquid_minutes", int),
        rems_required=r.get("rems_required", bool),
        follow_ups=tuple(follow_ups),
        max_span_days=r.get("max_span_days", int, None),
        no_consecutive_days=r.get("no_consecutive_days", bool, False),
        parameters=tuple(parameters),
        session=session,
        preparation=_therapy(r, "preparation", PreparationRule),
        integration=_therapy(r, "integration", IntegrationRule),
    )


# Distinct stored protocols kept parsed: each clinic protocol and each set of a series' parameters is one.
PARSED_PROTOCOLS_KEPT = 512


@lru_cache(maxsize=PARSED_PROTOCOLS_KEPT)
def protocol_from_json(text: str) -> ProtocolSpec:
    """`protocol_from_dict` of a protocol's JSON text, parsed once per distinct text (a bad one raises each
    time: only results are cached). The spec is shared between callers, which is safe: it is frozen."""
    return protocol_from_dict(json.loads(text))


def stored_protocol(data: Mapping[str, Any]) -> ProtocolSpec:
    """`protocol_from_dict` of a stored protocol (a series' snapshot, a clinic's definition), parsed once per
    distinct content: the cache key is its canonical JSON, which costs a fraction of a parse."""
    try:
        key = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        # Not plain JSON (never so when read from the database): parse it, uncached.
        return protocol_from_dict(data)
    return protocol_from_json(key)


def _session_from_dict(data: Any, path: str) -> SessionRules:
    """Session rules from JSON; a field left out takes SessionRules' default."""
    r = _Reader(data, path, _SESSION_FIELDS)
    checks = []
    for check_path, item in _objects(r, "checks"):
        c = _Reader(item, check_path, ("name", "instrument", "timepoint", "when", "minutes_after_dose"))
        checks.append(
            _build(
                check_path,
                SessionCheck,
                name=c.get("name", str),
                instrument=c.get("instrument", str),
                timepoint=c.get("timepoint", str, None),
                when=c.get("when", str, CheckTime.AFTER_DOSE.value),
                minutes_after_dose=c.get("minutes_after_dose", int, 0),
            )
        )
    defaults = SessionRules()
    options = _int_list(r, "dose_mg_options") if "dose_mg_options" in r.data else ()
    return _build(
        path,
        SessionRules,
        check_in_opens_minutes=r.get("check_in_opens_minutes", int, defaults.check_in_opens_minutes),
        dose_mg_options=options,
        dose_mg_min=r.get("dose_mg_min", int, defaults.dose_mg_min),
        dose_mg_max=r.get("dose_mg_max", int, defaults.dose_mg_max),
        mg_per_device=r.get("mg_per_device", int, None),
        checks=tuple(checks),
        **{name: r.get(name, int, getattr(defaults, name)) for name in VITAL_SIGN_LIMITS},
    )


def remaining_protocol(spec: ProtocolSpec, doses_given: int) -> ProtocolSpec:
    """The part of `spec` left to plan after `doses_given` doses (to re-plan a series after a missed dose).

    Whole phases already given are dropped and a phase given in part keeps its remaining doses; follow-ups
    and integration sessions stay (they follow doses), the preparation session goes once a dose was given.
    The weekly pattern restarts from the new start date.
    """
    if not 0 <= doses_given < spec.total_doses:
        raise ProtocolError("doses_given", f"must be between 0 and {spec.total_doses - 1}")
    phases = []
    skip = doses_given
    for phase in spec.phases:
        if skip >= phase.doses:
            skip -= phase.doses
            continue
        phases.append(replace(phase, doses=phase.doses - skip))
        skip = 0
    preparation = spec.preparation if doses_given == 0 else None
    return replace(spec, phases=tuple(phases), preparation=preparation)
