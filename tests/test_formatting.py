"""Times, dates and phone numbers as the people of a location read them."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from clinic.formatting import (
    Place,
    format_datetime,
    format_day,
    format_phone,
    format_time,
    format_time_range,
    region_of,
    zone_abbreviation,
)

UTC = ZoneInfo("UTC")
BOSTON = Place(ZoneInfo("America/New_York"), "en_US")
BERLIN = Place(ZoneInfo("Europe/Berlin"), "de_DE")
LONDON = Place(ZoneInfo("Europe/London"), "en_GB")


def test_a_us_clinic_reads_twelve_hour_times_in_its_own_zone():
    instant = datetime(2027, 3, 8, 19, 30, tzinfo=UTC)
    assert format_time(instant, BOSTON) == "2:30\u202fPM"
    assert format_datetime(instant, BOSTON) == "Mon, Mar 8, 2:30\u202fPM"
    assert format_day(instant, BOSTON) == "Mon, Mar 8, 2027"


def test_a_german_clinic_reads_twenty_four_hour_times_and_german_dates():
    instant = datetime(2027, 3, 8, 13, 30, tzinfo=UTC)
    assert format_time(instant, BERLIN) == "14:30"
    assert format_day(instant, BERLIN) == "Mo., 8. März 2027"
    assert format_day(date(2027, 3, 8), BERLIN, style="full") == "Montag, 8. März 2027"


def test_the_local_day_of_a_late_evening_visit_is_not_the_utc_day():
    instant = datetime(2027, 3, 9, 2, 0, tzinfo=UTC)  # 21:00 on the 8th in Boston
    assert format_day(instant, BOSTON, year=False) == "Mon, Mar 8"


def test_times_follow_daylight_saving_and_name_the_zone_it_is_in():
    before = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    after = datetime(2027, 3, 15, 15, 0, tzinfo=UTC)
    assert format_time(before, BOSTON) == "10:00\u202fAM"
    assert format_time(after, BOSTON) == "11:00\u202fAM"
    assert (zone_abbreviation(before, BOSTON), zone_abbreviation(after, BOSTON)) == ("EST", "EDT")


def test_a_stretch_of_a_day_is_written_as_the_locale_writes_intervals():
    start = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)
    end = datetime(2027, 3, 8, 16, 55, tzinfo=UTC)
    assert format_time_range(start, end, BOSTON) == "10:00\u2009–\u200911:55\u202fAM"
    assert format_time_range(start, end, LONDON) == "15:00–16:55"


def test_phone_numbers_of_the_clinics_country_are_written_nationally_and_others_internationally():
    assert format_phone("+16175550142", BOSTON) == "(617) 555-0142"
    assert format_phone("+493012345678", BOSTON) == "+49 30 12345678"
    assert format_phone("+493012345678", BERLIN) == "030 12345678"
    assert format_phone(None, BOSTON) == ""
    assert format_phone("+16175550142") == "+1 617-555-0142"


@pytest.mark.parametrize(
    "locale, region", [("en_US", "US"), ("de_DE", "DE"), ("de", "US"), ("nonsense", "US")]
)
def test_the_region_of_a_locale(locale, region):
    assert region_of(locale) == region


def test_a_missing_time_reads_as_a_dash():
    assert format_time(None, BOSTON) == format_datetime(None, BOSTON) == format_day(None, BOSTON) == "—"


def test_a_wall_clock_time_is_written_without_moving_it():
    assert format_time(time(14, 30), BOSTON) == "2:30\u202fPM"
    assert format_time(time(14, 30), BERLIN) == "14:30"


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "en_GB", "fr_FR", "ja_JP", "zh_TW", "ar_EG", "hi_IN"])
def test_times_read_the_same_at_every_minute_of_a_day_in_every_locale(locale):
    """Short times are kept per minute and locale (a board writes hundreds): each must read as Babel writes
    that instant, including locales whose pattern names midnight and noon, which are not kept."""
    from babel.dates import format_time as babel_format_time

    place = Place(ZoneInfo("America/New_York"), locale)
    day = datetime(2027, 3, 14, 5, 0, tzinfo=UTC)  # the day New York springs forward
    for minute in range(0, 24 * 60, 7):
        instant = day.replace(hour=minute // 60, minute=minute % 60)
        local = instant.astimezone(place.zone)
        assert format_time(instant, place) == babel_format_time(local, "short", locale=locale), instant
        assert format_time(instant, place) == format_time(instant, place)
