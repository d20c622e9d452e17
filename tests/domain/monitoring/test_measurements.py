"""Measurements: validation and scoring of PHQ-9, GAD-7, blood pressure, sedation and dissociation."""

import pytest

from clinic.domain.monitoring import (
    MEASUREMENT_INSTRUMENTS,
    BloodPressure,
    Dissociation,
    Gad7Result,
    MeasurementError,
    Phq9Result,
    Sedation,
    check_blood_pressure,
    check_dissociation,
    check_sedation,
    score_gad7,
    score_phq9,
)


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "none-minimal"),
        (4, "none-minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_severity_bands(total, severity):
    items = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    items += [0] * (9 - len(items))
    result = score_phq9(items)
    assert (result.total, result.severity) == (total, severity)


def test_phq9_item9_is_the_last_item():
    result = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 2])
    assert result == Phq9Result(total=2, item9=2, severity="none-minimal")
    assert score_phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]).item9 == 0


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([0] * 8, "items"),
        ([0] * 10, "items"),
        ([], "items"),
        ("000000000", "items"),
        (None, "items"),
        ([0, 0, 0, 4, 0, 0, 0, 0, 0], "items[3]"),
        ([0, 0, 0, 0, 0, 0, 0, 0, -1], "items[8]"),
        ([0, 0, True, 0, 0, 0, 0, 0, 0], "items[2]"),
        ([0, 1.0, 0, 0, 0, 0, 0, 0, 0], "items[1]"),
        (["1", 0, 0, 0, 0, 0, 0, 0, 0], "items[0]"),
    ],
)
def test_phq9_validation_names_the_field(items, field):
    with pytest.raises(MeasurementError) as caught:
        score_phq9(items)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_phq9_error_message_counts_items_from_one():
    with pytest.raises(MeasurementError, match=r"items\[8\]: item 9 must be between 0 and 3"):
        score_phq9([0] * 8 + [5])


def test_phq9_result_from_stored_values_derives_and_checks_severity():
    assert Phq9Result(total=12, item9=1).severity == "moderate"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=12, item9=1, severity="mild")
    assert caught.value.field == "severity"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=1, item9=2)
    assert caught.value.field == "item9"
    with pytest.raises(MeasurementError) as caught:
        Phq9Result(total=28, item9=0)
    assert caught.value.field == "total"


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_severity_bands(total, severity):
    items = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    items += [0] * (7 - len(items))
    assert score_gad7(items) == Gad7Result(total=total, severity=severity)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([0] * 9, "items"),
        ([0] * 6, "items"),
        ([0, 0, 0, 0, 0, 0, 4], "items[6]"),
        ([0, None, 0, 0, 0, 0, 0], "items[1]"),
    ],
)
def test_gad7_validation_names_the_field(items, field):
    with pytest.raises(MeasurementError) as caught:
        score_gad7(items)
    assert caught.value.field == field


def test_blood_pressure_accepts_the_range_edges():
    assert check_blood_pressure(300, 200, "pre") == BloodPressure(300, 200, "pre")
    assert check_blood_pressure(50, 30, "discharge").diastolic == 30
    assert check_blood_pressure(120, 80, "post40").timepoint == "post40"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "timepoint", "field"),
    [
        (49, 30, "pre", "systolic"),
        (301, 80, "pre", "systolic"),
        (120.5, 80, "pre", "systolic"),
        (True, 80, "pre", "systolic"),
        (120, 29, "pre", "diastolic"),
        (250, 201, "pre", "diastolic"),
        (120, "80", "pre", "diastolic"),
        (80, 80, "pre", "diastolic"),
        (80, 90, "pre", "diastolic"),
        (120, 80, "post30", "timepoint"),
        (120, 80, None, "timepoint"),
        (120, 80, "PRE", "timepoint"),
    ],
)
def test_blood_pressure_validation_names_the_field(systolic, diastolic, timepoint, field):
    with pytest.raises(MeasurementError) as caught:
        check_blood_pressure(systolic, diastolic, timepoint)
    assert caught.value.field == field


def test_sedation_is_moaas_0_to_5():
    assert check_sedation(5) == Sedation(5)
    assert check_sedation(0).moaas == 0
    for bad in (-1, 6, True, 4.5):
        with pytest.raises(MeasurementError) as caught:
            check_sedation(bad)
        assert caught.value.field == "moaas"


def test_dissociation_is_the_cadss_total_0_to_92():
    assert check_dissociation(92) == Dissociation(92)
    assert check_dissociation(0).cadss_total == 0
    for bad in (-1, 93, False, "10"):
        with pytest.raises(MeasurementError) as caught:
            check_dissociation(bad)
        assert caught.value.field == "cadss_total"


def test_instruments():
    assert MEASUREMENT_INSTRUMENTS == ("phq9", "gad7", "bp", "sedation", "dissociation")
