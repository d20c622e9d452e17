"""A patient's feed as real clients see it: gunicorn serves it, vdirsyncer syncs it into a local vdir and khal
lists it.

The series crosses the next daylight-saving change in New York, and the visits must stay at their local
times on both sides of it (and so move by an hour in UTC). A visit cancelled afterwards shows as cancelled
after the next sync. The server runs on the real clock, so the data is built relative to the real now.
Neither the access log nor the error log may carry the feed's token.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from clinic.extensions import db
from clinic.logredact import redact
from clinic.models.appointment import Appointment
from clinic.models.patient import Patient
from clinic.services.appointments import cancel_appointment
from clinic.services.feeds import issue_feed
from clinic.services.series import create_series
from tests.concurrency.conftest import GunicornServer
from tests.conftest import skip_or_fail
from tests.factories import FACTORY_ACTOR, make_clinic

NEW_YORK = ZoneInfo("America/New_York")
TOOL_TIMEOUT_SECONDS = 120
# Far enough ahead that the Monday before the change is still in the future and the series is bookable.
MIN_DAYS_AHEAD = 8
SEPARATOR = "|"
KHAL_FORMAT = SEPARATOR.join(("{start}", "{end}", "{status}", "{title}"))


def _tool(name: str) -> str:
    """The console script next to the interpreter (the venv's), else one on PATH; skip when missing."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed (pip install {name})")
    return found


def _noon_offset(day: date) -> timedelta | None:
    return datetime.combine(day, time(12), NEW_YORK).utcoffset()


def next_dst_change(today: date) -> date:
    """The first day at least MIN_DAYS_AHEAD after `today` on which New York's UTC offset differs from the
    day before."""
    day = today + timedelta(days=MIN_DAYS_AHEAD)
    while _noon_offset(day) == _noon_offset(day - timedelta(days=1)):
        day += timedelta(days=1)
    return day


def _run(command: list[str], env: dict[str, str], input_text: str = "") -> str:
    result = subprocess.run(
        command, env=env, input=input_text, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS
    )
    # The clients may echo the feed URL when they fail: keep the token out of the test report too.
    output = redact(f"$ {' '.join(command)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    assert result.returncode == 0, output
    return result.stdout


class Clients:
    """vdirsyncer and khal with their configuration, status and caches under one temporary directory."""

    def __init__(self, root: Path, feed_url: str) -> None:
        self.vdirsyncer = _tool("vdirsyncer")
        self.khal = _tool("khal")
        self.root = root
        self.vdir = root / "vdir"
        self.vdir.mkdir(parents=True)
        home = root / "home"
        self.env = {
            **{key: value for key, value in os.environ.items() if "proxy" not in key.lower()},
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
        }
        self.vdirsyncer_config = root / "vdirsyncer.conf"
        self.vdirsyncer_config.write_text(
            f"""[general]
status_path = "{root / "status"}/"

[pair clinic]
a = "feed"
b = "local"
collections = null
conflict_resolution = "a wins"

[storage feed]
type = "http"
url = "{feed_url}"

[storage local]
type = "filesystem"
path = "{self.vdir}/"
fileext = ".ics"
""",
            encoding="utf-8",
        )
        self.khal_configs = {name: self._khal_config(name) for name in ("America/New_York", "UTC")}

    def _khal_config(self, timezone: str) -> Path:
        label = timezone.replace("/", "_")
        path = self.root / f"khal-{label}.conf"
        path.write_text(
            f"""[calendars]
[[clinic]]
path = {self.vdir}/
type = calendar

[locale]
local_timezone = {timezone}
default_timezone = {timezone}
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M

[sqlite]
path = {self.root / f"khal-{label}.db"}
""",
            encoding="utf-8",
        )
        return path

    def sync(self) -> None:
        config = ["-c", str(self.vdirsyncer_config)]
        _run([self.vdirsyncer, *config, "discover"], self.env, input_text="y\n")
        _run([self.vdirsyncer, *config, "sync"], self.env)

    def khal_list(self, timezone: str, first: date, last: date) -> dict[str, tuple[str, str, str]]:
        """What khal lists from `first` to `last` with `timezone` as its local zone: start -> (end, status,
        title). vdirsyncer gives every item of an http storage a UID of its own (a hash of its content),
        so the start time is what identifies a visit here."""
        command = [
            self.khal,
            "-c",
            str(self.khal_configs[timezone]),
            "list",
            "--once",
            "--format",
            KHAL_FORMAT,
            "--day-format",
            "",
            first.isoformat(),
            last.isoformat(),
        ]
        events = {}
        for line in _run(command, self.env).splitlines():
            if SEPARATOR in line:
                start, end, status, title = line.split(SEPARATOR)
                assert start not in events, line
                events[start] = (end, status.strip(), title)
        return events

    def synced(self) -> list[Event]:
        """The event of each item vdirsyncer wrote into the vdir."""
        events = []
        for path in sorted(self.vdir.glob("*.ics")):
            found = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
            assert len(found) == 1, path.name
            events.extend(found)
        return events


def _book_series_across_dst(now: datetime) -> tuple[dict, date]:
    """A Spravato induction starting the Monday before the next DST change, at 09:00 New York time."""
    change = next_dst_change(now.astimezone(NEW_YORK).date())
    day_before = change - timedelta(days=1)
    start = day_before - timedelta(days=day_before.weekday())
    clinic = make_clinic()
    # The factory's enrolment date is fixed; the series here starts relative to the real today.
    db.session.get(Patient, clinic["patient_id"]).rems_enrolled_on = now.date() - timedelta(days=1)
    series = create_series(
        {
            "patient_id": clinic["patient_id"],
            "protocol": "spravato-induction",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start_date": start,
            "start_time": time(9),
            "parameters": {},
        },
        FACTORY_ACTOR,
        now,
    )
    db.session.commit()
    return {**clinic, "appointments": [a.id for a in series.appointments]}, change


@dataclass(frozen=True, order=True)
class Visit:
    start: datetime
    end: datetime
    kind: str
    id: int


def _visits(appointment_ids: list[int]) -> list[Visit]:
    appointments = (db.session.get(Appointment, id_) for id_ in appointment_ids)
    return sorted(Visit(a.start_at, a.end_at, a.kind, a.id) for a in appointments)


def _clock(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), NEW_YORK)


def _listing(visits: list[Visit], zone: tzinfo) -> dict[str, tuple[str, str, str]]:
    """What khal should list in `zone`: start -> (end, status, title)."""
    return {
        _clock(visit.start, zone): (_clock(visit.end, zone), "CONFIRMED", "Clinic visit") for visit in visits
    }


def test_vdirsyncer_and_khal_keep_local_times_across_dst_and_see_a_cancellation(
    app, gunicorn_server: GunicornServer, tmp_path: Path
):
    now = datetime.now(UTC)
    with app.app_context():
        booked, change = _book_series_across_dst(now)
        issued = issue_feed("patient", booked["patient_id"], FACTORY_ACTOR, now)
        db.session.commit()
        visits = _visits(booked["appointments"])
    doses = sorted(visit.start for visit in visits if visit.kind == "dose")
    assert len(visits) == 14 and len(doses) == 12
    token = issued.url.split("/feeds/", 1)[1].removesuffix(".ics")
    clients = Clients(tmp_path / "clients", f"{gunicorn_server.url}/feeds/{token}.ics")
    first = doses[0].astimezone(NEW_YORK).date()
    last = max(visit.end for visit in visits).astimezone(NEW_YORK).date() + timedelta(days=1)

    clients.sync()
    local = clients.khal_list("America/New_York", first, last)
    assert local == _listing(visits, NEW_YORK)
    assert {_clock(start, NEW_YORK)[11:] for start in doses} == {"09:00"}
    assert doses[0] < _midnight(change) < doses[-1], "the series must cross the DST change"
    # The same listing in UTC: the doses keep 09:00 in New York, so their UTC hour changes with the offset.
    assert clients.khal_list("UTC", first, last) == _listing(visits, UTC)
    utc_hours = {(start < _midnight(change), _clock(start, UTC)[11:]) for start in doses}
    assert len(utc_hours) == 2 and {before for before, _ in utc_hours} == {True, False}, utc_hours
    synced = clients.synced()
    assert len(synced) == 14
    assert {event["DTSTART"].dt.utcoffset() for event in synced} == {timedelta(hours=-5), timedelta(hours=-4)}
    assert {event["DTSTART"].params["TZID"] for event in synced} == {"America/New_York"}

    # Cancel the first dose after the change through the service layer, then sync again.
    with app.app_context():
        after_change = [v for v in visits if v.kind == "dose" and v.start > _midnight(change)]
        target = db.session.get(Appointment, after_change[0].id)
        cancelled = _clock(target.start_at, NEW_YORK)
        cancel_appointment(target, "Patient unwell", "this", FACTORY_ACTOR, datetime.now(UTC))
        db.session.commit()
    clients.sync()
    statuses = {_clock(event["DTSTART"].dt, NEW_YORK): str(event["STATUS"]) for event in clients.synced()}
    assert len(statuses) == 14
    assert statuses.pop(cancelled) == "CANCELLED"
    assert set(statuses.values()) == {"CONFIRMED"}
    local = clients.khal_list("America/New_York", first, last)
    expected = _listing(visits, NEW_YORK)
    expected[cancelled] = (expected[cancelled][0], "CANCELLED", "Cancelled: Clinic visit")
    assert local == expected

    log = gunicorn_server.log()
    assert log.count('"GET /feeds/[redacted].ics HTTP/1.1" 200') >= 2
    assert token not in log and token[:12] not in log
