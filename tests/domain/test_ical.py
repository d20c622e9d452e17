"""iCalendar feeds: calendar properties, timezones, events, determinism, alarms and the feed window."""

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from icalendar import Calendar

from clinic.domain import ical
from clinic.domain.ical import (
    PRODID,
    FeedAlarm,
    FeedCalendar,
    FeedEvent,
    feed_etag,
    feed_window,
    in_window,
    keep_cancelled,
    render_feed,
)
from clinic.domain.localtime import utc_at
from tests.feeds.icaljs import read_with_icaljs

NY = "America/New_York"
LONDON = "Europe/London"
MODIFIED = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
DESCRIPTION = (
    "Preparation: no food for 2 hours, no liquids for 30 minutes before.\n"
    "Ride home: Jane Doe, +1 555 0100; pickup 11:30, taxi, not driving"
)


def visit(
    uid: str = "appt-1@clinic",
    day: date = date(2027, 3, 15),
    at: time = time(9, 0),
    tz: str = NY,
    minutes: int = 150,
    **changes,
) -> FeedEvent:
    start = utc_at(day, at, tz)
    values = {
        "uid": uid,
        "sequence": 0,
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "timezone": tz,
        "summary": "Clinic visit",
        "location": "Main Street Clinic, 1 Main St, Springfield",
        "description": DESCRIPTION,
        "status": "CONFIRMED",
        "last_modified": MODIFIED,
    }
    values.update(changes)
    return FeedEvent(**values)


def feed(*events: FeedEvent, name: str = "My visits", **changes) -> bytes:
    return render_feed(FeedCalendar(name, events, **changes))


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def unfolded(body: bytes) -> str:
    return body.replace(b"\r\n ", b"").decode()


def events_of(body: bytes) -> dict:
    return {str(event["UID"]): event for event in parse(body).walk("VEVENT")}


def expand(body: bytes, start: date, end: date) -> list:
    return recurring_ical_events.of(parse(body)).between(start, end)


# calendar ---------------------------------------------------------------------------------------------------


def test_calendar_properties():
    body = feed(visit(), name="Visits at Main Street")
    cal = parse(body)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["NAME"]) == "Visits at Main Street"
    assert str(cal["X-WR-CALNAME"]) == "Visits at Main Street"
    assert cal.refresh_interval == timedelta(hours=1)
    lines = unfolded(body).split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines


def test_calendar_has_no_method_and_no_uid():
    cal = parse(feed(visit()))
    assert "METHOD" not in cal
    assert "UID" not in cal
    lines = unfolded(feed(visit())).split("\r\n")
    assert not any(line.startswith("METHOD") for line in lines)
    # The only UID lines are the events' own.
    assert [line for line in lines if line.startswith("UID")] == ["UID:appt-1@clinic"]


def test_refresh_interval_follows_the_calendar():
    lines = unfolded(feed(visit(), refresh=timedelta(minutes=30))).split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in lines
    assert "X-PUBLISHED-TTL:PT30M" in lines


def test_empty_calendar_is_a_valid_feed():
    cal = parse(feed())
    assert str(cal["X-WR-CALNAME"]) == "My visits"
    assert cal.walk("VEVENT") == []
    assert cal.walk("VTIMEZONE") == []


def test_lines_are_folded_at_75_octets_with_crlf():
    long_text = "Préparation à jeun — " * 30 + "; " + "ride, " * 40
    body = feed(visit(description=long_text, location="Clinique Sainte-Hélène, " * 10))
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was long enough to fold
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    assert str(events_of(body)["appt-1@clinic"]["DESCRIPTION"]) == long_text


# timezones --------------------------------------------------------------------------------------------------


def test_one_vtimezone_per_zone_without_comment():
    body = feed(
        visit("a@clinic"),
        visit("b@clinic", day=date(2027, 3, 16)),
        visit("c@clinic", tz=LONDON),
        visit("d@clinic", tz=LONDON, day=date(2027, 4, 2)),
    )
    timezones = parse(body).walk("VTIMEZONE")
    assert sorted(str(tz["TZID"]) for tz in timezones) == [NY, LONDON]
    for tz in timezones:
        assert "COMMENT" not in tz
        for part in tz.subcomponents:
            assert "COMMENT" not in part
    assert "COMMENT" not in unfolded(body)


def test_every_tzid_has_its_vtimezone():
    body = feed(visit("a@clinic"), visit("b@clinic", tz=LONDON))
    cal = parse(body)
    assert cal.get_missing_tzids() == set()
    defined = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    used = set(re.findall(r"^DT(?:START|END);TZID=([^:;]+):", unfolded(body), flags=re.MULTILINE))
    assert used == defined == {NY, LONDON}
    for event in cal.walk("VEVENT"):
        assert event["DTSTART"].params["TZID"] in defined
        assert event["DTEND"].params["TZID"] in defined


def test_times_are_local_with_tzid():
    body = feed(visit(), visit("b@clinic", tz=LONDON, at=time(14, 0)))
    text = unfolded(body)
    assert "DTSTART;TZID=America/New_York:20270315T090000\r\n" in text
    assert "DTEND;TZID=America/New_York:20270315T113000\r\n" in text
    assert "DTSTART;TZID=Europe/London:20270315T140000\r\n" in text


def test_a_utc_location_still_gets_a_tzid():
    body = feed(visit(tz="Etc/UTC"))
    assert "DTSTART;TZID=Etc/UTC:20270315T090000\r\n" in unfolded(body)
    assert parse(body).get_missing_tzids() == set()


def test_vtimezone_rules_agree_with_zoneinfo_across_the_years_spanned():
    # Clients that read the embedded VTIMEZONE instead of mapping the IANA name must land on the same instant.
    events = [
        visit("winter@clinic", day=date(2026, 12, 30)),
        visit("new-year@clinic", day=date(2027, 12, 31), at=time(23, 0)),  # ends in 2028
        visit("before@clinic", day=date(2027, 3, 13)),
        visit("after@clinic", day=date(2027, 3, 14), at=time(3, 30)),
        visit("fall@clinic", day=date(2027, 11, 7), at=time(1, 0)),
    ]
    body = feed(*events)
    (vtimezone,) = parse(body).walk("VTIMEZONE")
    embedded = vtimezone.to_tz(lookup_tzid=False)
    real = ZoneInfo(NY)
    for event in events:
        for instant in (event.start, event.end):
            local = instant.astimezone(real)
            from_vtimezone = local.replace(tzinfo=embedded)
            assert from_vtimezone.utcoffset() == local.utcoffset(), (event.uid, local)
    onsets = set()
    for part in vtimezone.subcomponents:
        assert "RDATE" not in part  # ical.js ignores DTSTART when RDATE is present
        rule = part.get("RRULE")
        rule_text = _text(rule) if rule else None
        onsets.update(
            list(rrulestr(rule_text + ";COUNT=6", dtstart=part.DTSTART)) if rule_text else [part.DTSTART]
        )
    assert min(onsets).date() <= date(2026, 12, 30)
    # Every DST change of the years spanned is in the rules, up to the 2028 one after the last visit, each at
    # the wall time it happens at under the old offset (02:00 both ways in New York).
    assert {
        datetime(2027, 3, 14, 2),
        datetime(2027, 11, 7, 2),
        datetime(2028, 3, 12, 2),
        datetime(2028, 11, 5, 2),
    } <= onsets


def _text(value) -> str:
    written = value.to_ical()
    return written.decode() if isinstance(written, bytes) else written


@pytest.mark.parametrize(
    ("tz", "parts"),
    [
        (
            NY,
            {
                ("DAYLIGHT", "20260308T020000", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "-0500", "-0400"),
                ("STANDARD", "20261101T020000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", "-0400", "-0500"),
            },
        ),
        (
            "Australia/Sydney",
            {
                ("STANDARD", "20260405T030000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4", "+1100", "+1000"),
                ("DAYLIGHT", "20261004T020000", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", "+1000", "+1100"),
            },
        ),
        (
            LONDON,
            {
                ("DAYLIGHT", "20260329T010000", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "+0000", "+0100"),
                ("STANDARD", "20261025T020000", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "+0100", "+0000"),
            },
        ),
        ("Asia/Kolkata", {("STANDARD", "19700101T000000", None, "+0530", "+0530")}),
    ],
)
def test_vtimezone_has_one_yearly_rule_per_change_with_the_onset_under_the_old_offset(tz, parts):
    body = feed(visit(day=date(2027, 3, 15), tz=tz), visit("later@clinic", day=date(2028, 3, 1), tz=tz))
    (vtimezone,) = parse(body).walk("VTIMEZONE")
    written = {
        (
            part.name,
            _text(part["DTSTART"]),
            _text(part["RRULE"]) if "RRULE" in part else None,
            _text(part["TZOFFSETFROM"]),
            _text(part["TZOFFSETTO"]),
        )
        for part in vtimezone.subcomponents
    }
    assert written == parts
    assert "RDATE" not in unfolded(body)


def test_a_rule_that_ends_inside_the_years_covered_gets_an_until():
    # Mexico City dropped DST after October 2022: the daylight rule stops there, the standard part holds on.
    mexico = "America/Mexico_City"
    body = feed(visit(day=date(2022, 3, 15), tz=mexico), visit("b@clinic", day=date(2023, 6, 1), tz=mexico))
    (vtimezone,) = parse(body).walk("VTIMEZONE")
    embedded = vtimezone.to_tz(lookup_tzid=False)
    real = ZoneInfo("America/Mexico_City")
    moment = datetime(2021, 1, 1, 12, tzinfo=UTC)
    while moment < datetime(2024, 1, 1, tzinfo=UTC):
        local = moment.astimezone(real)
        assert local.replace(tzinfo=embedded).utcoffset() == local.utcoffset(), local
        moment += timedelta(days=5)
    assert "UNTIL=" in unfolded(body)


def _ambiguous(instant: datetime, tz: str) -> bool:
    local = instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return (
        local.replace(tzinfo=ZoneInfo(tz), fold=0).utcoffset()
        != local.replace(tzinfo=ZoneInfo(tz), fold=1).utcoffset()
    )


def test_ical_js_reads_every_instant_across_two_spring_forwards_in_three_zones():
    # ical.js (Thunderbird) computes instants from the embedded VTIMEZONE, so it catches a wrong onset or a
    # part it ignores; the window spans the 2027 and 2028 spring-forward changes.
    events = []
    for tz in (NY, "Australia/Sydney", "Asia/Kolkata"):
        day = date(2027, 1, 2)
        while day < date(2028, 12, 31):
            for at in (time(1, 30), time(2, 30), time(9, 0), time(23, 30)):
                events.append(visit(f"{tz}-{day}-{at}@clinic", day=day, at=at, tz=tz, minutes=90))
            day += timedelta(days=11)
        for change in (
            date(2027, 3, 14),
            date(2028, 3, 12),
            date(2027, 4, 4),
            date(2028, 4, 2),
            date(2027, 10, 3),
            date(2028, 10, 1),
            date(2027, 11, 7),
            date(2028, 11, 5),
        ):
            for at in (time(0, 30), time(1, 30), time(3, 0), time(4, 0), time(12, 0)):
                events.append(visit(f"{tz}-{change}-{at}-change@clinic", day=change, at=at, tz=tz))
    body = feed(*events)
    read = read_with_icaljs(body)
    assert len(read) == len(events)
    checked = 0
    for event in events:
        start, end, tzid = read[event.uid]
        assert tzid == event.timezone
        # A wall time in the repeated hour of a fall-back is ambiguous in any TZID-based feed: RFC 5545 says
        # the first occurrence, ical.js the second. Visits never fall there; only unambiguous ones count.
        if not _ambiguous(event.start, event.timezone):
            assert start == event.start, event.uid
            checked += 1
        if not _ambiguous(event.end, event.timezone):
            assert end == event.end, event.uid
            checked += 1
    assert checked > 2 * len(events) - 10
    # The icalendar library, reading the same VTIMEZONEs instead of the IANA names, agrees too.
    for calendar_zone in parse(body).walk("VTIMEZONE"):
        embedded = calendar_zone.to_tz(lookup_tzid=False)
        for event in events:
            if event.timezone == str(calendar_zone["TZID"]):
                local = event.start.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=embedded)
                assert local.astimezone(UTC) == event.start, event.uid


def test_vtimezone_is_built_once_per_zone_and_year_range():
    ical._vtimezone.cache_clear()
    events = [
        visit(
            f"appt-{i}@clinic", day=date(2027, 1, 1) + timedelta(days=i % 300), tz=(NY if i % 2 else LONDON)
        )
        for i in range(1000)
    ]
    first = render_feed(FeedCalendar("My visits", events))
    assert ical._vtimezone.cache_info().misses == 2
    assert render_feed(FeedCalendar("My visits", events)) == first
    assert ical._vtimezone.cache_info().misses == 2
    assert ical._vtimezone.cache_info().hits >= 2


# events -----------------------------------------------------------------------------------------------------


def test_event_properties():
    event = visit(sequence=3)
    body = feed(event)
    parsed = events_of(body)["appt-1@clinic"]
    assert int(parsed["SEQUENCE"]) == 3
    assert parsed.decoded("DTSTAMP") == MODIFIED
    assert parsed.decoded("LAST-MODIFIED") == MODIFIED
    assert parsed.decoded("DTSTART") == event.start
    assert parsed.decoded("DTEND") == event.end
    assert str(parsed["SUMMARY"]) == "Clinic visit"
    assert str(parsed["LOCATION"]) == "Main Street Clinic, 1 Main St, Springfield"
    assert str(parsed["DESCRIPTION"]) == DESCRIPTION
    assert str(parsed["STATUS"]) == "CONFIRMED"
    lines = unfolded(body).split("\r\n")
    assert "DTSTAMP:20261201T153000Z" in lines
    assert "LAST-MODIFIED:20261201T153000Z" in lines


def test_last_modified_in_another_offset_is_written_in_utc():
    body = feed(visit(last_modified=datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=-5)))))
    lines = unfolded(body).split("\r\n")
    assert "DTSTAMP:20261201T153000Z" in lines
    assert "LAST-MODIFIED:20261201T153000Z" in lines


def test_description_with_commas_semicolons_and_newlines_round_trips():
    text = "Line one, with a comma; and a semicolon\nLine two: back\\slash\n\nLine four"
    body = feed(visit(description=text, location="Clinic; Suite 2, 1 Main St"))
    parsed = events_of(body)["appt-1@clinic"]
    assert str(parsed["DESCRIPTION"]) == text
    assert str(parsed["LOCATION"]) == "Clinic; Suite 2, 1 Main St"
    (occurrence,) = expand(body, date(2027, 3, 15), date(2027, 3, 16))
    assert str(occurrence["DESCRIPTION"]) == text


def test_uids_are_unique_and_stable():
    events = [visit(f"appt-{i}@clinic", day=date(2027, 3, 1) + timedelta(days=i)) for i in range(20)]
    body = feed(*events)
    uids = [str(event["UID"]) for event in parse(body).walk("VEVENT")]
    assert sorted(uids) == sorted(event.uid for event in events)
    assert len(set(uids)) == len(uids)


def test_duplicate_uids_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        FeedCalendar("My visits", [visit("same@clinic"), visit("same@clinic", day=date(2027, 3, 16))])


def test_events_are_ordered_by_start_then_uid():
    later = visit("a@clinic", day=date(2027, 3, 16))
    first_b = visit("b@clinic")
    first_a = visit("c@clinic", tz=LONDON, at=time(13, 0))  # 13:00 London == 09:00 New York
    assert first_a.start == first_b.start
    body = feed(later, first_a, first_b)
    assert [str(event["UID"]) for event in parse(body).walk("VEVENT")] == ["b@clinic", "c@clinic", "a@clinic"]


def test_dst_change_keeps_nine_oclock_local():
    # US clocks spring forward on 2027-03-14.
    body = feed(visit("before@clinic", day=date(2027, 3, 11)), visit("after@clinic", day=date(2027, 3, 15)))
    occurrences = {str(o["UID"]): o for o in expand(body, date(2027, 3, 10), date(2027, 3, 17))}
    before = occurrences["before@clinic"].start
    after = occurrences["after@clinic"].start
    assert before.timetz().replace(tzinfo=None) == time(9, 0)
    assert after.timetz().replace(tzinfo=None) == time(9, 0)
    assert before.utcoffset() == timedelta(hours=-5)
    assert after.utcoffset() == timedelta(hours=-4)
    assert before.astimezone(UTC).hour == 14
    assert after.astimezone(UTC).hour == 13
    assert occurrences["before@clinic"].end - before == timedelta(minutes=150)


def test_two_zones_expand_to_their_own_local_times():
    body = feed(visit("ny@clinic"), visit("london@clinic", tz=LONDON, at=time(10, 0)))
    occurrences = {str(o["UID"]): o.start for o in expand(body, date(2027, 3, 15), date(2027, 3, 16))}
    assert occurrences["ny@clinic"].utcoffset() == timedelta(hours=-4)
    assert occurrences["london@clinic"].utcoffset() == timedelta(0)  # BST only starts on 2027-03-28
    assert occurrences["london@clinic"].astimezone(UTC) == datetime(2027, 3, 15, 10, tzinfo=UTC)


def test_cancelled_event_keeps_status_cancelled():
    body = feed(visit(status="CANCELLED"), visit("b@clinic", status="TENTATIVE", day=date(2027, 3, 16)))
    events = events_of(body)
    assert str(events["appt-1@clinic"]["STATUS"]) == "CANCELLED"
    assert str(events["b@clinic"]["STATUS"]) == "TENTATIVE"
    statuses = {str(o["UID"]): str(o["STATUS"]) for o in expand(body, date(2027, 3, 1), date(2027, 4, 1))}
    assert statuses == {"appt-1@clinic": "CANCELLED", "b@clinic": "TENTATIVE"}


def test_a_moved_visit_shows_raised_sequence_and_new_times():
    original = visit(sequence=1)
    moved = dataclasses.replace(
        original,
        sequence=2,
        start=utc_at(date(2027, 3, 17), time(10, 0), NY),
        end=utc_at(date(2027, 3, 17), time(12, 30), NY),
        last_modified=MODIFIED + timedelta(days=3),
    )
    before, after = feed(original), feed(moved)
    parsed = events_of(after)["appt-1@clinic"]
    assert int(parsed["SEQUENCE"]) == 2
    assert parsed.decoded("DTSTART") == moved.start
    assert parsed.decoded("DTEND") == moved.end
    assert parsed.decoded("LAST-MODIFIED") == parsed.decoded("DTSTAMP") == MODIFIED + timedelta(days=3)
    assert "DTSTART;TZID=America/New_York:20270317T100000\r\n" in unfolded(after)
    assert feed_etag(before) != feed_etag(after)


# alarms -----------------------------------------------------------------------------------------------------


def test_no_valarm_without_opt_in():
    body = feed(visit())
    assert parse(body).walk("VALARM") == []
    assert "VALARM" not in unfolded(body)


FASTING = FeedAlarm(-timedelta(hours=2), "No food from now on")
PICKUP = FeedAlarm(timedelta(hours=1, minutes=30), "Ride home: pickup about 11:30 AM EDT")


def test_valarms_for_opted_in_alarms_before_and_after_the_start():
    body = feed(visit(alarms=(PICKUP, FASTING)))
    alarms = events_of(body)["appt-1@clinic"].walk("VALARM")
    assert [str(alarm["ACTION"]) for alarm in alarms] == ["DISPLAY", "DISPLAY"]
    assert [alarm.decoded("TRIGGER") for alarm in alarms] == [
        -timedelta(hours=2),
        timedelta(hours=1, minutes=30),
    ]
    assert [str(alarm["DESCRIPTION"]) for alarm in alarms] == [FASTING.description, PICKUP.description]
    lines = unfolded(body).split("\r\n")
    assert "TRIGGER:-PT2H" in lines
    assert "TRIGGER:PT1H30M" in lines


def test_alarm_order_and_repeats_do_not_change_the_bytes():
    one = feed(visit(alarms=(FASTING, PICKUP)))
    other = feed(visit(alarms=(PICKUP, FASTING, PICKUP)))
    assert one == other


def test_url_and_geo_only_when_given():
    body = feed(visit(url="https://maps.example/?q=1+Main+St", geo=(42.36, -71.06)))
    event = events_of(body)["appt-1@clinic"]
    assert str(event["URL"]) == "https://maps.example/?q=1+Main+St"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (42.36, -71.06)
    plain = unfolded(feed(visit()))
    assert "\r\nURL" not in plain and "GEO" not in plain


def test_cancelled_event_has_no_valarm():
    body = feed(visit(status="CANCELLED", alarms=(FASTING,)))
    assert parse(body).walk("VALARM") == []


# determinism and ETag ---------------------------------------------------------------------------------------


def test_identical_input_gives_identical_bytes():
    def build() -> bytes:
        return feed(
            visit("a@clinic", alarms=(FASTING,)),
            visit("b@clinic", tz=LONDON, day=date(2027, 6, 1)),
            visit("c@clinic", status="CANCELLED", day=date(2027, 2, 1)),
        )

    assert build() == build()
    assert feed_etag(build()) == feed_etag(build())


def test_input_order_does_not_change_the_bytes():
    events = [visit(f"appt-{i}@clinic", day=date(2027, 3, 1) + timedelta(days=i % 7)) for i in range(12)]
    assert feed(*events) == feed(*reversed(events))


def test_etag_is_strong_and_quoted():
    etag = feed_etag(feed(visit()))
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    assert not etag.startswith("W/")


@pytest.mark.parametrize(
    "change",
    [
        {"sequence": 1},
        {"start": utc_at(date(2027, 3, 15), time(9, 30), NY)},
        {"end": utc_at(date(2027, 3, 15), time(12, 0), NY)},
        {"timezone": "America/Detroit"},
        {"summary": "Clinic visit (updated)"},
        {"location": "Second Clinic, 2 Main St"},
        {"description": DESCRIPTION + " "},
        {"status": "CANCELLED"},
        {"last_modified": MODIFIED + timedelta(seconds=1)},
        {"alarms": (FASTING,)},
        {"url": "https://maps.example/?q=1"},
        {"geo": (42.36, -71.06)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_change_changes_the_etag(change):
    base = visit()
    assert feed_etag(feed(base)) != feed_etag(feed(dataclasses.replace(base, **change)))


def test_calendar_changes_change_the_etag():
    base = feed(visit())
    assert feed_etag(base) != feed_etag(feed(visit(), name="Other name"))
    assert feed_etag(base) != feed_etag(feed(visit(), refresh=timedelta(hours=2)))
    assert feed_etag(base) != feed_etag(feed(visit(), visit("b@clinic", day=date(2027, 3, 16))))


# validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"uid": " "}, "uid"),
        ({"sequence": -1}, "sequence"),
        ({"status": "confirmed"}, "status"),
        ({"status": "DELETED"}, "status"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"start": datetime(2027, 3, 15, 13)}, "aware"),
        ({"last_modified": datetime(2026, 12, 1)}, "aware"),
        ({"end": utc_at(date(2027, 3, 15), time(9, 0), NY)}, "after"),
        ({"alarms": (timedelta(minutes=5),)}, "FeedAlarm"),
        ({"alarms": (FeedAlarm(-timedelta(days=8), "Too early"),)}, "week"),
        ({"geo": (91.0, 0.0)}, "latitude"),
    ],
)
def test_invalid_events_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        visit(**change)


def test_times_are_kept_in_utc():
    event = visit(
        start=datetime(2027, 3, 15, 9, tzinfo=ZoneInfo(NY)),
        end=datetime(2027, 3, 15, 11, tzinfo=ZoneInfo(NY)),
    )
    assert event.start == datetime(2027, 3, 15, 13, tzinfo=UTC)
    assert event.start.tzinfo is UTC
    assert event.end.tzinfo is UTC


def test_invalid_calendars_are_rejected():
    with pytest.raises(ValueError, match="name"):
        FeedCalendar("", [])
    with pytest.raises(ValueError, match="refresh"):
        FeedCalendar("My visits", [], refresh=timedelta(0))


# window and grace -------------------------------------------------------------------------------------------

NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)


def test_feed_window_defaults():
    assert feed_window(NOW) == (NOW - timedelta(days=30), NOW + timedelta(days=365))
    assert feed_window(NOW, back=timedelta(days=7), ahead=timedelta(days=90)) == (
        NOW - timedelta(days=7),
        NOW + timedelta(days=90),
    )


def test_feed_window_is_in_utc():
    start, end = feed_window(datetime(2027, 3, 15, 8, tzinfo=ZoneInfo(NY)))
    assert start.tzinfo is UTC
    assert end - start == timedelta(days=395)
    assert start == NOW - timedelta(days=30)


def test_feed_window_rejects_naive_and_negative():
    with pytest.raises(ValueError, match="aware"):
        feed_window(datetime(2027, 3, 15, 12))
    with pytest.raises(ValueError, match="negative"):
        feed_window(NOW, back=-timedelta(days=1))


@pytest.mark.parametrize(
    ("start", "end", "inside"),
    [
        (timedelta(days=-31), timedelta(days=-30), False),  # ends exactly when the window starts
        (timedelta(days=-31), timedelta(days=-30, seconds=1), True),  # overlaps the start
        (timedelta(days=-30), timedelta(days=-30, hours=2), True),  # starts exactly at the window start
        (timedelta(0), timedelta(hours=2), True),
        (timedelta(days=365, seconds=-1), timedelta(days=365, hours=2), True),  # starts just before the end
        (timedelta(days=365), timedelta(days=365, hours=2), False),  # starts exactly when the window ends
        (timedelta(days=-40), timedelta(days=400), True),  # longer than the whole window
    ],
)
def test_in_window_edges(start, end, inside):
    assert in_window(NOW + start, NOW + end, feed_window(NOW)) is inside


def test_in_window_accepts_any_offset():
    window = feed_window(NOW)
    local_start = datetime(2027, 3, 15, 9, tzinfo=ZoneInfo(NY))
    assert in_window(local_start, local_start + timedelta(hours=2), window)


@pytest.mark.parametrize(
    ("age", "kept"),
    [
        (timedelta(0), True),
        (timedelta(days=14, seconds=-1), True),
        (timedelta(days=14), False),
        (timedelta(days=30), False),
        (timedelta(hours=-3), True),  # cancelled "in the future": clocks of two hosts disagree
    ],
)
def test_keep_cancelled_edges(age, kept):
    assert keep_cancelled(NOW - age, NOW) is kept


def test_keep_cancelled_custom_grace():
    assert keep_cancelled(NOW - timedelta(days=2), NOW, grace=timedelta(days=3))
    assert not keep_cancelled(NOW - timedelta(days=3), NOW, grace=timedelta(days=3))
    with pytest.raises(ValueError, match="aware"):
        keep_cancelled(datetime(2027, 3, 1), NOW)
