from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from clinic.domain.plausible import (
    CALENDAR_INSTANTS,
    birth_dates,
    is_place_timezone,
    rems_enrolment_dates,
    today_anywhere,
    visit_days,
    visit_instants,
)

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


def test_visits_lie_between_two_years_back_and_three_years_ahead():
    span = visit_instants(NOW)
    assert span.earliest == datetime(2025, 3, 1, 15, tzinfo=UTC)
    assert span.latest == datetime(2030, 3, 1, 15, tzinfo=UTC)
    assert span.latest in span and span.earliest in span
    assert span.latest + timedelta(seconds=1) not in span
    assert visit_days(NOW).earliest == date(2025, 3, 1) and visit_days(NOW).latest == date(2030, 3, 1)


def test_the_window_from_a_leap_day_ends_on_the_last_day_of_february():
    leap_day = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert visit_instants(leap_day).latest == datetime(2031, 2, 28, 12, tzinfo=UTC)


def test_instants_far_out_of_the_calendar_compare_without_overflowing():
    too_early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    too_late = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1)))
    assert too_early not in CALENDAR_INSTANTS and too_late not in CALENDAR_INSTANTS
    assert too_early not in visit_instants(NOW) and too_late not in visit_instants(NOW)


def test_today_is_the_latest_date_anywhere():
    assert today_anywhere(NOW) == date(2027, 3, 2)  # already 05:00 on 2 March at UTC+14
    assert today_anywhere(datetime(2027, 3, 1, 9, 59, tzinfo=UTC)) == date(2027, 3, 1)


def test_dates_of_birth_and_rems_enrolments():
    assert date(1900, 1, 1) in birth_dates(NOW) and date(1899, 12, 31) not in birth_dates(NOW)
    assert date(2027, 3, 2) in birth_dates(NOW) and date(2027, 3, 3) not in birth_dates(NOW)
    rems = rems_enrolment_dates(NOW)
    assert date(2019, 3, 5) in rems and date(2019, 3, 4) not in rems
    assert date(2027, 3, 3) not in rems


@pytest.mark.parametrize("name", ["America/New_York", "UTC", "Pacific/Kiritimati", "Asia/Kolkata"])
def test_iana_zones_of_places_are_timezones(name):
    assert is_place_timezone(name)


@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "posixrules", "/etc/localtime", "../UTC", "utc", "America/New_York ", ""]
)
def test_machine_files_placeholders_and_paths_are_not(name):
    assert not is_place_timezone(name)
