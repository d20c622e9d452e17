"""Protocols as data: built-ins, parameters, validation and the JSON round trip."""

import json

import pytest

from clinic.domain.protocols import (
    BUILTIN_PROTOCOLS,
    FollowUpRule,
    Phase,
    ProtocolError,
    ProtocolSpec,
    build_protocol,
    protocol_from_dict,
    protocol_from_json,
    protocol_to_dict,
    stored_protocol,
)


def test_builtin_codes():
    assert set(BUILTIN_PROTOCOLS) == {
        "spravato-induction",
        "spravato-maintenance",
        "iv-ketamine-induction",
        "iv-ketamine-booster",
    }


def test_spravato_induction():
    spec = BUILTIN_PROTOCOLS["spravato-induction"]
    assert spec.drug == "esketamine"
    assert spec.chair_kind == "spravato_room"
    assert spec.total_doses == 12
    assert spec.chair_minutes == 15 + 15 + 120
    assert (spec.fasting_food_minutes, spec.fasting_liquid_minutes) == (120, 30)
    assert spec.rems_required and spec.needs_ride
    assert [f.days_after_last_dose for f in spec.follow_ups] == [7, 28]
    assert spec.max_span_days is None
    assert [day for _, day in spec.dose_days()] == [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]
    assert [phase for phase, _ in spec.dose_days()] == [0] * 8 + [1] * 4
    assert [p.min_gap_days for p in spec.phases] == [3, 5]


def test_iv_induction():
    spec = BUILTIN_PROTOCOLS["iv-ketamine-induction"]
    assert spec.chair_kind == "infusion_chair"
    assert spec.chair_minutes == 15 + 40 + 60
    assert spec.total_doses == 6
    assert spec.no_consecutive_days and spec.max_span_days == 21
    assert not spec.rems_required
    assert (spec.fasting_food_minutes, spec.fasting_liquid_minutes) == (360, 120)
    assert [day for _, day in spec.dose_days()] == [0, 2, 4, 7, 9, 11]
    assert [f.days_after_last_dose for f in spec.follow_ups] == [7, 28]


def test_booster_and_maintenance_have_no_follow_ups():
    assert BUILTIN_PROTOCOLS["iv-ketamine-booster"].total_doses == 1
    assert BUILTIN_PROTOCOLS["iv-ketamine-booster"].follow_ups == ()
    assert BUILTIN_PROTOCOLS["spravato-maintenance"].follow_ups == ()
    assert BUILTIN_PROTOCOLS["spravato-maintenance"].rems_required


def test_maintenance_parameters():
    spec = build_protocol("spravato-maintenance", {"interval_weeks": 2, "doses": 3})
    assert spec.total_doses == 3
    assert [day for _, day in spec.dose_days()] == [0, 14, 28]
    assert build_protocol("spravato-maintenance") == BUILTIN_PROTOCOLS["spravato-maintenance"]
    assert BUILTIN_PROTOCOLS["spravato-maintenance"].parameter_defaults == {"interval_weeks": 1, "doses": 4}


def test_iv_fasting_is_a_clinic_setting():
    spec = build_protocol("iv-ketamine-booster", {"fasting_food_minutes": 480, "fasting_liquid_minutes": 60})
    assert (spec.fasting_food_minutes, spec.fasting_liquid_minutes) == (480, 60)
    assert BUILTIN_PROTOCOLS["iv-ketamine-booster"].fasting_food_minutes == 360


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("nope", {}, "protocol"),
        ("spravato-maintenance", {"interval_weeks": 3}, "interval_weeks"),
        ("spravato-maintenance", {"doses": 0}, "doses"),
        ("spravato-maintenance", {"doses": "4"}, "doses"),
        ("spravato-maintenance", {"doses": True}, "doses"),
        ("spravato-induction", {"doses": 4}, "doses"),
        ("iv-ketamine-induction", {"fasting_food_minutes": -1}, "fasting_food_minutes"),
    ],
)
def test_build_protocol_errors_name_the_field(code, params, field):
    with pytest.raises(ProtocolError) as info:
        build_protocol(code, params)
    assert info.value.field == field
    assert info.value.message
    assert isinstance(info.value, ValueError)


def test_custom_protocols_are_looked_up_after_builtins():
    custom = {
        "short-iv": protocol_from_dict(
            {
                **protocol_to_dict(BUILTIN_PROTOCOLS["iv-ketamine-booster"]),
                "code": "short-iv",
                "name": "Short IV",
            }
        )
    }
    assert build_protocol("short-iv", custom=custom).name == "Short IV"


@pytest.mark.parametrize("code", sorted(BUILTIN_PROTOCOLS))
def test_json_round_trip(code):
    spec = BUILTIN_PROTOCOLS[code]
    data = json.loads(json.dumps(protocol_to_dict(spec)))
    assert protocol_from_dict(data) == spec


@pytest.mark.parametrize("code", sorted(BUILTIN_PROTOCOLS))
def test_a_stored_protocol_is_parsed_once_per_content_whatever_its_key_order(code):
    data = json.loads(json.dumps(protocol_to_dict(BUILTIN_PROTOCOLS[code])))
    reordered = dict(reversed(list(data.items())))
    spec = stored_protocol(data)
    assert spec == BUILTIN_PROTOCOLS[code]
    assert stored_protocol(reordered) is spec  # one shared, frozen spec
    assert protocol_from_json(json.dumps(data)) == spec


def test_a_stored_protocol_that_differs_or_is_invalid_is_not_taken_from_the_cache():
    data = json.loads(json.dumps(protocol_to_dict(BUILTIN_PROTOCOLS["spravato-induction"])))
    stored_protocol(data)
    longer = {**data, "monitoring_minutes": 150}
    assert stored_protocol(longer).monitoring_minutes == 150
    as_text = {**data, "monitoring_minutes": "120"}  # the same number, but not an integer
    for _ in range(2):
        with pytest.raises(ProtocolError, match="monitoring_minutes"):
            stored_protocol(as_text)
        with pytest.raises(ProtocolError, match="monitoring_minutes"):
            protocol_from_json(json.dumps(as_text))


def test_custom_protocol_from_minimal_dict():
    spec = protocol_from_dict(
        {
            "code": "iv-weekly",
            "name": "IV weekly",
            "drug": "ketamine",
            "chair_kind": "infusion_chair",
            "phases": [{"doses": 4, "per_week": 1, "min_gap_days": 6, "day_offsets": [0]}],
            "check_in_minutes": 10,
            "dosing_minutes": 40,
            "monitoring_minutes": 60,
            "fasting_food_minutes": 240,
            "fasting_liquid_minutes": 60,
            "rems_required": False,
            "follow_ups": [{"days_after_last_dose": 14}],
        }
    )
    assert spec.chair_minutes == 110
    assert spec.follow_ups == (FollowUpRule(14, 30),)
    assert spec.needs_ride and not spec.no_consecutive_days


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "Bad Code"}, "code"),
        ({"drug": "aspirin"}, "drug"),
        ({"chair_kind": "sofa"}, "chair_kind"),
        ({"phases": []}, "phases"),
        (
            {"phases": [{"doses": 2, "per_week": 1, "min_gap_days": 3, "day_offsets": [0, 3]}]},
            "phases[0].day_offsets",
        ),
        (
            {"phases": [{"doses": 2, "per_week": 2, "min_gap_days": 4, "day_offsets": [0, 3]}]},
            "phases[0].day_offsets",
        ),
        (
            {"phases": [{"doses": "2", "per_week": 2, "min_gap_days": 3, "day_offsets": [0]}]},
            "phases[0].doses",
        ),
        ({"follow_ups": [{"days_after_last_dose": 0}]}, "follow_ups[0].days_after_last_dose"),
        ({"rems_required": 1}, "rems_required"),
        ({"max_span_days": 3}, "max_span_days"),
        ({"surprise": 1}, "surprise"),
        (
            {"parameters": [{"name": "colour", "default": 1, "minimum": 0, "maximum": 2}]},
            "parameters[0].name",
        ),
    ],
)
def test_from_dict_rejects_bad_definitions(change, field):
    data = {**protocol_to_dict(BUILTIN_PROTOCOLS["iv-ketamine-induction"]), **change}
    with pytest.raises(ProtocolError) as info:
        protocol_from_dict(data)
    assert info.value.field == field


def test_from_dict_requires_fields():
    data = protocol_to_dict(BUILTIN_PROTOCOLS["iv-ketamine-booster"])
    del data["drug"]
    with pytest.raises(ProtocolError, match="drug: is required"):
        protocol_from_dict(data)
    with pytest.raises(ProtocolError):
        protocol_from_dict(["not", "a", "mapping"])


def test_phases_run_back_to_back():
    spec = ProtocolSpec(
        code="two-phase",
        name="Two phase",
        drug="ketamine",
        chair_kind="infusion_chair",
        phases=(
            Phase(doses=3, per_week=2, min_gap_days=2, day_offsets=(0, 3)),
            Phase(doses=2, per_week=1, min_gap_days=5, day_offsets=(0,), every_weeks=2),
        ),
        check_in_minutes=0,
        dosing_minutes=40,
        monitoring_minutes=0,
        fasting_food_minutes=0,
        fasting_liquid_minutes=0,
        rems_required=False,
    )
    # phase 1 doses in weeks 0 and 1, so phase 2 starts in week 2 and repeats every other week
    assert spec.dose_days() == ((0, 0), (0, 3), (0, 7), (1, 14), (1, 28))


def test_specs_are_frozen():
    spec = BUILTIN_PROTOCOLS["spravato-induction"]
    with pytest.raises(AttributeError):
        spec.code = "x"  # type: ignore[misc]


def test_remaining_protocol_drops_the_doses_already_given():
    from clinic.domain.protocols import BUILTIN_PROTOCOLS, remaining_protocol

    spec = BUILTIN_PROTOCOLS["spravato-induction"]
    rest = remaining_protocol(spec, 3)
    assert [p.doses for p in rest.phases] == [5, 4]
    assert rest.total_doses == 9
    assert remaining_protocol(spec, 8).phases == spec.phases[1:]
    assert remaining_protocol(spec, 0) == spec
    with pytest.raises(ProtocolError):
        remaining_protocol(spec, 12)
