"""The REMS enrolment rule: enrolled on or before the day of the first dose is in time."""

from datetime import date

import pytest

from clinic.domain.rems import is_rems_enrolled_for

FIRST_DOSE_DAY = date(2027, 3, 8)


@pytest.mark.parametrize(
    ("enrolled_on", "in_time"),
    [
        (date(2027, 3, 7), True),  # the day before
        (FIRST_DOSE_DAY, True),  # the same day: a date cannot say the enrolment came after the dose
        (date(2027, 3, 9), False),  # the day after
        (None, False),  # never
        (date(2026, 3, 8), True),  # long before
    ],
)
def test_enrolment_must_come_on_or_before_the_day_of_the_first_dose(enrolled_on, in_time):
    assert is_rems_enrolled_for(enrolled_on, FIRST_DOSE_DAY) is in_time
