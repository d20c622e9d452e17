"""Therapy sessions of a protocol: validated like the rest of it, stored as JSON, and placed by the planner
around the doses without a chair, with the provider free, or reported as conflicts."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.domain.localtime import local_date_of, utc_at
from clinic.domain.planning import (
    PROVIDER_BUSY,
    Interval,
    LocationRules,
    PatientRules,
    ProviderRules,
    Resources,
    SeriesRequest,
    plan_series,
)
from clinic.domain.protocols import (
    BUILTIN_PROTOCOLS,
    Phase,
    ProtocolError,
    protocol_from_dict,
    protocol_to_dict,
    remaining_protocol,
)
from clinic.domain.therapy import IntegrationRule, PreparationRule
from clinic.domain.visits import Modality, VisitKind, modality_refusal

NY = "America/New_York"
WEEKDAYS = {day: [(time(8), time(18))] for day in range(5)}
NOW = datetime(2027, 1, 1, tzinfo=UTC)
IV = BUILTIN_PROTOCOLS["iv-ketamine-induction"]  # Mon/Wed/Fri, six infusions


def _spec(**changes):
    return replace(IV, **changes)


def _plan(spec, *, provider_visits=(), start=date(2027, 3, 1), closures=(), doses_before=0):
    return plan_series(
        SeriesRequest(spec, start, time(9), doses_before),
        LocationRules(NY, WEEKDAYS, frozenset(closures)),
        ProviderRules(WEEKDAYS, max_concurrent=2, visits=provider_visits),
        Resources({1: [], 2: []}),
        PatientRules(),
        NOW,
    )


def test_therapy_rules_are_validated_naming_the_field():
    with pytest.raises(ProtocolError) as error:
        PreparationRule(min_days_before=5, max_days_before=3)
    assert error.value.field == "max_days_before"
    with pytest.raises(ProtocolError) as error:
        IntegrationRule(every_doses=0)
    assert error.value.field == "every_doses"
    definition = {**protocol_to_dict(IV), "integration": {"within_days": 2, "modality": "zoom"}}
    with pytest.raises(ProtocolError) as error:
        protocol_from_dict(definition)
    assert error.value.field == "integration.modality"
    with pytest.raises(ProtocolError) as error:
        protocol_from_dict({**protocol_to_dict(IV), "preparation": {"days": 3}})
    assert error.value.field == "preparation.days"


def test_a_protocol_with_sessions_round_trips_through_json():
    spec = _spec(
        preparation=PreparationRule(2, 10, 90, Modality.VIRTUAL), integration=IntegrationRule(3, 2, 45)
    )
    again = protocol_from_dict(protocol_to_dict(spec))
    assert again == spec and again.preparation.modality is Modality.VIRTUAL
    assert protocol_to_dict(IV)["integration"] is None and protocol_from_dict(protocol_to_dict(IV)) == IV


def test_sessions_are_placed_around_the_doses_without_a_chair():
    spec = _spec(preparation=PreparationRule(), integration=IntegrationRule(within_days=3, every_doses=2))
    plan = _plan(spec)
    assert plan.ok
    doses = [o for o in plan.occurrences if o.kind == VisitKind.DOSE]
    sessions = [o for o in plan.occurrences if o.kind.is_therapy]
    [preparation] = [o for o in sessions if o.kind == VisitKind.PREPARATION]
    # Sunday is closed: the session before Monday's first infusion goes to the Friday before
    assert local_date_of(preparation.start, NY) == date(2027, 2, 26) and preparation.status == "moved"
    integration = [o for o in sessions if o.kind == VisitKind.INTEGRATION]
    assert [o.after_dose for o in integration] == [2, 4, 6]
    # the day after the dose, but the session after Friday's dose waits for Monday (the weekend is closed)
    assert [local_date_of(o.start, NY) for o in integration] == [
        date(2027, 3, 4),
        date(2027, 3, 9),
        date(2027, 3, 15),
    ]
    assert local_date_of(doses[1].start, NY) == date(2027, 3, 3)
    assert all(o.chair_id is None and o.end - o.start == timedelta(minutes=60) for o in sessions)
    # a re-plan after one dose counts on from it: now the 1st, 3rd and 5th of the rest are even doses
    rest = _plan(remaining_protocol(spec, 1), doses_before=1)
    assert [o.after_dose for o in rest.occurrences if o.kind == VisitKind.INTEGRATION] == [1, 3, 5]
    assert not [o for o in rest.occurrences if o.kind == VisitKind.PREPARATION]


def test_a_busy_provider_moves_a_session_and_no_free_slot_is_a_conflict():
    two_doses = (Phase(doses=2, per_week=3, min_gap_days=2, day_offsets=(0, 2)),)  # Monday, Wednesday
    spec = _spec(phases=two_doses, integration=IntegrationRule(within_days=1))
    busy = [Interval(utc_at(date(2027, 3, 2), time(8), NY), utc_at(date(2027, 3, 2), time(10), NY))]
    first = next(o for o in _plan(spec, provider_visits=busy).occurrences if o.kind == VisitKind.INTEGRATION)
    assert first.status == "moved" and first.start == utc_at(date(2027, 3, 2), time(10), NY)
    assert "Provider busy" in first.reasons[0]

    # the day after the first dose is closed and the window is one day: a conflict naming why
    plan = _plan(spec, closures=[date(2027, 3, 2)])
    assert not plan.ok
    [conflict] = plan.conflicts
    assert conflict.kind == VisitKind.INTEGRATION and conflict.after_dose == 1
    assert [rule.code for rule in conflict.broken_rules] == ["closed"]

    whole_day = [Interval(utc_at(date(2027, 3, 2), time(0), NY), utc_at(date(2027, 3, 3), time(0), NY))]
    plan = _plan(spec, provider_visits=whole_day)
    assert [r.code for r in plan.conflicts[0].broken_rules] == [PROVIDER_BUSY]


def test_modality_and_join_link_go_together():
    assert modality_refusal("integration", "virtual", "https://video.example.com/r/1") is None
    assert modality_refusal("integration", "in_person", None) is None
    assert modality_refusal("integration", "virtual", None)[0] == "join_url"
    assert modality_refusal("integration", "virtual", "http://video.example.com/r/1")[0] == "join_url"
    assert modality_refusal("consult", "virtual", "https://")[0] == "join_url"
    assert modality_refusal("dose", "virtual", "https://video.example.com/r/1")[0] == "modality"
    assert modality_refusal("consult", "in_person", "https://video.example.com/r/1")[0] == "join_url"
    assert modality_refusal("consult", "video", None)[0] == "modality"
