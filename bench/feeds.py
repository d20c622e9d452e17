"""Feed benchmark: serving a patient's feed through gunicorn, and rendering a large feed.

Serving: a patient with 40 visits (a Spravato induction and a maintenance series) on PostgreSQL, and the
patient feed served by `wsgi:app` under gunicorn with 2 workers, against a bare Flask route that answers the
same bytes and headers from memory (bench/bare_feed_app.py, also gunicorn with 2 workers). `wrk` measures
requests per second for a 200 (the rendered feed comes from the app's cache) and for a 304 (If-None-Match
with the ETag), in alternating rounds; the median round counts. Every feed fetch still checks the token,
reads the feed's stored version with it (one statement) and queues an audit row (written in batches by the
worker's background writer): that is part of the cost being measured.
Target: the feed serves at least 40% of the bare route's requests per second, for the 200 and for the 304.

Rendering: 1,000 visits rendered by `clinic.domain.ical` (FeedEvent, FeedCalendar, render_feed; no HTTP byte
cache) against the same events serialized with bare icalendar (Calendar, Event, to_ical; one VTIMEZONE
built once outside the timing); both give the same bytes, and the progress notes say whether they still do.
Target: at most 1.5 times as long. The render is timed with the VTIMEZONE cache warm (as in a running app)
and cleared before each run.

Needs PostgreSQL and `wrk` (`apt-get install wrk`). Environment: BENCH_DATABASE_URL (the database name gets
a `_feeds` suffix; dropped and re-created), BENCH_FEED_SECONDS (per measurement, default 3),
BENCH_FEED_ROUNDS (default 3), BENCH_FEED_CONNECTIONS (default 8), BENCH_RENDER_RUNS (default 7),
BENCH_GUNICORN_THREADS (threads per worker instead of gunicorn.conf.py's; above 1: gthread workers).
"""

import gc
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from time import perf_counter
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen
from zoneinfo import ZoneInfo

from gunicorn.config import KNOWN_SETTINGS
from icalendar import Calendar, Event, Timezone, vDuration
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.common import (
    BenchUnavailable,
    Row,
    database_url,
    disposing,
    env_int,
    median,
    migrated_app,
    progress,
)
from clinic.domain import ical
from clinic.domain.ical import FeedCalendar, FeedEvent, render_feed
from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.models.patient import Patient
from clinic.services.feeds import issue_feed
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic

REPO = Path(__file__).resolve().parent.parent
WORKERS = 2
FEED_VISITS = 40
MAINTENANCE_DOSES = 26  # with the induction's 12 doses and 2 follow-ups: 40 visits
SERVE_TARGET = 0.40
RENDER_VISITS = 1000
RENDER_TARGET = 1.5
STARTUP_TIMEOUT_SECONDS = 60
WARM_UP_SECONDS = 1
NEW_YORK = "America/New_York"
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
# wrk's own summary, machine-readable: requests, microseconds, bytes, then the error counts.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end
"""
WRK_SUMMARY = re.compile(r"^WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", re.MULTILINE)
# Headers that belong to one response, not to the feed.
HOP_HEADERS = {
    "date",
    "server",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "x-request-id",
}


def run() -> list[Row]:
    seconds = env_int("BENCH_FEED_SECONDS", 3)
    rounds = env_int("BENCH_FEED_ROUNDS", 3)
    connections = env_int("BENCH_FEED_CONNECTIONS", 8)
    runs = env_int("BENCH_RENDER_RUNS", 7)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchUnavailable("the feed benchmark needs wrk (apt-get install wrk)")
    serving = _serving(wrk, seconds, rounds, connections)
    return serving + _rendering(runs)


# --- serving ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    bytes: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _feeds_database_url() -> str:
    url = make_url(database_url())
    return url.set(database=f"{url.database}_feeds").render_as_string(hide_password=False)


def _serving(wrk: str, seconds: int, rounds: int, connections: int) -> list[Row]:
    url = _feeds_database_url()
    with tempfile.TemporaryDirectory(prefix="clinic-bench-feeds-") as workdir:
        work = Path(workdir)
        now = datetime.now(UTC)  # gunicorn runs on the real clock
        app = migrated_app(url, str(work / "instance"), now)
        with disposing(app), app.app_context():
            path = _seed(now)
        script = work / "summary.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")},
            "CLINIC_ENV": "development",
            "DATABASE_URL": url,
            "CLINIC_INSTANCE_PATH": str(work / "instance"),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_STORAGE_URI": "memory://",
            "NOTIFY_BACKEND": "file",
        }
        with _gunicorn("wsgi:app", env, work / "feed-gunicorn.log", "/healthz") as feed_base:
            body, headers = _fetch(feed_base + path)
            visits = body.count(b"BEGIN:VEVENT")
            if visits != FEED_VISITS:
                raise RuntimeError(f"the benchmark feed has {visits} visits, not {FEED_VISITS}")
            (work / "feed.ics").write_bytes(body)
            (work / "headers.json").write_text(json.dumps(headers), encoding="utf-8")
            bare_env = {
                **env,
                "BARE_FEED_BODY": str(work / "feed.ics"),
                "BARE_FEED_HEADERS": str(work / "headers.json"),
            }
            with _gunicorn(
                "bench.bare_feed_app:app", bare_env, work / "bare-gunicorn.log", path
            ) as bare_base:
                bare_body, bare_headers = _fetch(bare_base + path)
                if bare_body != body or bare_headers != headers:
                    raise RuntimeError("the bare route does not answer the feed's bytes and headers")
                etag = headers["ETag"]
                for base in (feed_base, bare_base):
                    _expect_not_modified(base + path, etag)
                progress(
                    f"feeds: {len(body):,} bytes, {visits} visits; {rounds} rounds of {seconds} s with "
                    f"{connections} connections per figure"
                )
                measured = _measure(
                    wrk, script, feed_base + path, bare_base + path, etag, seconds, rounds, connections
                )
        with disposing(app), app.app_context():
            audited = db.session.scalar(select(func.count()).where(AuditEvent.action == "feed.fetch"))
        served = sum(
            load.requests for name, loads in measured.items() if name.startswith("feed") for load in loads
        )
        progress(f"feeds: {audited:,} fetches audited ({served:,} measured, the rest warm-up and checks)")
        token = path.removeprefix("/feeds/").removesuffix(".ics")
        if token in (work / "feed-gunicorn.log").read_text(encoding="utf-8", errors="replace"):
            raise RuntimeError("the feed token appears in gunicorn's log")
    return _serving_rows(measured, len(body))


def _seed(now: datetime) -> str:
    """The clinic, a patient with FEED_VISITS visits in the feed's window, and the path of their feed."""
    clinic = make_clinic()
    patient = db.session.get(Patient, clinic["patient_id"])
    patient.rems_enrolled_on = now.date() - timedelta(days=1)
    first_monday = now.date() + timedelta(days=7 - now.weekday() + 7)
    base = {
        "patient_id": clinic["patient_id"],
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_time": clock_time(9),
    }
    # The induction's last follow-up is 11 weeks after its start; maintenance starts the week after.
    create_series(
        {**base, "protocol": "spravato-induction", "start_date": first_monday, "parameters": {}},
        FACTORY_ACTOR,
        now,
    )
    create_series(
        {
            **base,
            "protocol": "spravato-maintenance",
            "start_date": first_monday + timedelta(weeks=12),
            "parameters": {"doses": MAINTENANCE_DOSES},
        },
        FACTORY_ACTOR,
        now,
    )
    issued = issue_feed("patient", clinic["patient_id"], FACTORY_ACTOR, now)
    db.session.commit()
    return "/feeds/" + issued.url.split("/feeds/", 1)[1]


def _control_socket_args() -> list[str]:
    """Newer gunicorn opens a control socket at a fixed path in the home directory; two servers side by
    side would fight over it."""
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def _threads_args() -> list[str]:
    """BENCH_GUNICORN_THREADS overrides gunicorn.conf.py's threads per worker (above 1: gthread workers), to
    compare worker models with everything else alike."""
    if os.environ.get("BENCH_GUNICORN_THREADS", "").strip():
        return ["--threads", str(env_int("BENCH_GUNICORN_THREADS", 1))]
    return []


@contextmanager
def _gunicorn(target: str, env: dict[str, str], log_path: Path, ready_path: str) -> Iterator[str]:
    """`target` under gunicorn with WORKERS workers on a free port; yields the base URL once
    `ready_path` answers 200. Started from the repository root, gunicorn reads its gunicorn.conf.py (access
    log, timeouts) as production does; the command line overrides the workers, the address and recycling."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        "127.0.0.1:0",
        # Recycling workers every ~2,000 requests (gunicorn.conf.py) would restart the bare route's workers
        # every second or so: not what is measured here.
        "--max-requests",
        "0",
        *_threads_args(),
        *_control_socket_args(),
        target,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield _wait_until_serving(process, log_path, ready_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen, log_path: Path, ready_path: str) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    base = None
    while time.monotonic() < deadline:
        log = log_path.read_text(encoding="utf-8", errors="replace")
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log[-3000:]}")
        if base is None:
            match = LISTENING.search(log)
            base = match.group(1) if match else None
        if base is not None:
            try:
                with urlopen(base + ready_path, timeout=2) as response:
                    if response.status == 200:
                        return base
            except (HTTPError, URLError, OSError):
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve {ready_path} within {STARTUP_TIMEOUT_SECONDS} s")


def _fetch(url: str) -> tuple[bytes, dict[str, str]]:
    with urlopen(url, timeout=10) as response:
        headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        return response.read(), headers


def _expect_not_modified(url: str, etag: str) -> None:
    try:
        with urlopen(Request(url, headers={"If-None-Match": etag}), timeout=10) as response:
            status = response.status
    except HTTPError as error:
        status = error.code
    if status != 304:
        raise RuntimeError(f"If-None-Match with the ETag answered {status}, not 304")


def _wrk(wrk: str, script: Path, url: str, etag: str | None, seconds: int, connections: int) -> Load:
    command = [wrk, "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s"]
    command += ["--script", str(script)]
    if etag is not None:
        command += ["--header", f"If-None-Match: {etag}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    found = WRK_SUMMARY.search(result.stdout)
    if result.returncode or found is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    requests, micros, size, connect, read, write, status, timeout = map(int, found.groups())
    errors = {"connect": connect, "read": read, "write": write, "status": status, "timeout": timeout}
    if any(errors.values()):
        # gunicorn's sync workers close every connection after the response; wrk may count a read error
        # for a connection closed between requests, but never a wrong status.
        progress(f"feeds: wrk reported errors {errors} for {requests} requests")
        if status or timeout:
            raise RuntimeError(f"wrk saw failed requests: {errors}")
    return Load(requests, micros / 1e6, size)


def _measure(
    wrk: str, script: Path, feed: str, bare: str, etag: str, seconds: int, rounds: int, connections: int
) -> dict[str, list[Load]]:
    figures: dict[str, tuple[str, str | None]] = {
        "feed 200": (feed, None),
        "bare 200": (bare, None),
        "feed 304": (feed, etag),
        "bare 304": (bare, etag),
    }
    for url, header in figures.values():  # connections made, caches filled, code paths warm in each worker
        _wrk(wrk, script, url, header, WARM_UP_SECONDS, connections)
    measured: dict[str, list[Load]] = {name: [] for name in figures}
    for _ in range(rounds):
        for name, (url, header) in figures.items():
            measured[name].append(_wrk(wrk, script, url, header, seconds, connections))
    return measured


def _serving_rows(measured: dict[str, list[Load]], body_size: int) -> list[Row]:
    rate = {name: median([load.rate for load in loads]) for name, loads in measured.items()}
    per_request = {
        name: sum(load.bytes for load in loads) / sum(load.requests for load in loads)
        for name, loads in measured.items()
    }
    for name in ("feed 304", "bare 304"):
        if per_request[name] > body_size / 2:
            raise RuntimeError(f"{name}: {per_request[name]:.0f} bytes per response; the 304s were not 304s")
    rows = []
    for status in ("200", "304"):
        feed, bare = rate[f"feed {status}"], rate[f"bare {status}"]
        share = feed / bare
        rows += [
            Row(f"bare route {status}, gunicorn {WORKERS} workers", f"{bare:.0f} req/s", "baseline", None),
            Row(
                f"feed {status}, {FEED_VISITS} visits, gunicorn {WORKERS} workers",
                f"{feed:.0f} req/s = {share:.0%}",
                f">= {SERVE_TARGET:.0%} of bare",
                share / SERVE_TARGET,
            ),
        ]
    return rows


# --- rendering ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """The plain data both renderers start from."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    cancelled: bool
    last_modified: datetime


LOCATION = "Riverside Clinic, 1 Main Street, Boston, MA"
CALENDAR_NAME = "Riverside Clinic · all chairs"
SLOTS = (clock_time(8), clock_time(10, 30), clock_time(13), clock_time(15, 30))


def _render_visits(count: int) -> list[Visit]:
    """Four visits each weekday from January 2027 on (so across both DST changes), every 15th cancelled."""
    zone = ZoneInfo(NEW_YORK)
    visits = []
    day = date(2027, 1, 4)
    while len(visits) < count:
        if day.weekday() < 5:
            for slot in SLOTS[: count - len(visits)]:
                n = len(visits)
                start = datetime.combine(day, slot, zone).astimezone(UTC)
                visits.append(
                    Visit(
                        uid=f"{uuid.UUID(int=n + 1, version=4)}@clinic",
                        sequence=n % 3,
                        start=start,
                        end=start + timedelta(minutes=150 if n % 2 == 0 else 30),
                        cancelled=n % 15 == 14,
                        last_modified=datetime(2026, 12, 1, 12, tzinfo=UTC) + timedelta(minutes=n),
                    )
                )
        day += timedelta(days=1)
    return visits


def _description(visit: Visit) -> str:
    local = visit.start.astimezone(ZoneInfo(NEW_YORK))
    lines = [
        f"Please arrive by {(local - timedelta(minutes=15)):%H:%M}.",
        f"No food after {local - timedelta(hours=2):%H:%M}; "
        f"no liquids after {local - timedelta(minutes=30):%H:%M}.",
        f"Ride home: Sam Doe (confirmed), pickup about {(local + timedelta(minutes=150)):%H:%M}.",
    ]
    if visit.cancelled:
        lines.append("This visit is cancelled.")
    lines.append("Questions: +1 617 555 0100")
    return "\n".join(lines)


def _with_domain(visits: list[Visit], descriptions: list[str]) -> bytes:
    events = [
        FeedEvent(
            uid=visit.uid,
            sequence=visit.sequence,
            start=visit.start,
            end=visit.end,
            timezone=NEW_YORK,
            summary="Clinic visit",
            location=LOCATION,
            description=description,
            status="CANCELLED" if visit.cancelled else "CONFIRMED",
            last_modified=visit.last_modified,
        )
        for visit, description in zip(visits, descriptions, strict=True)
    ]
    return render_feed(FeedCalendar(CALENDAR_NAME, events))


def _with_bare_icalendar(visits: list[Visit], descriptions: list[str], vtimezone: Timezone) -> bytes:
    zone = ZoneInfo(NEW_YORK)
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", ical.PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("NAME", CALENDAR_NAME)
    calendar.add("X-WR-CALNAME", CALENDAR_NAME)
    calendar.add("REFRESH-INTERVAL", vDuration(ical.DEFAULT_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(ical.DEFAULT_REFRESH))
    calendar.add_component(vtimezone)
    for visit, description in zip(visits, descriptions, strict=True):
        event = Event()
        event.add("UID", visit.uid)
        event.add("SEQUENCE", visit.sequence)
        event.add("DTSTAMP", visit.last_modified)
        event.add("LAST-MODIFIED", visit.last_modified)
        event.add("DTSTART", visit.start.astimezone(zone))
        event.add("DTEND", visit.end.astimezone(zone))
        event.add("SUMMARY", "Clinic visit")
        event.add("LOCATION", LOCATION)
        event.add("DESCRIPTION", description)
        event.add("STATUS", "CANCELLED" if visit.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def _timed(operation: Callable[[], bytes]) -> tuple[float, bytes]:
    # A render leaves garbage behind; collected here, it is not charged to whichever render the collector
    # happens to run in (without this, two of the three renders of each round took 30% longer).
    gc.collect()
    started = perf_counter()
    body = operation()
    return perf_counter() - started, body


def _rendering(runs: int) -> list[Row]:
    visits = _render_visits(RENDER_VISITS)
    descriptions = [_description(visit) for visit in visits]
    last_year = max(visit.end for visit in visits).year
    vtimezone = Timezone.from_tzinfo(
        ZoneInfo(NEW_YORK), tzid=NEW_YORK, first_date=date(2027, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    vtimezone.pop("COMMENT", None)

    def cold() -> bytes:
        ical._vtimezone.cache_clear()
        return _with_domain(visits, descriptions)

    operations: dict[str, Callable[[], bytes]] = {
        "bare": lambda: _with_bare_icalendar(visits, descriptions, vtimezone),
        "warm": lambda: _with_domain(visits, descriptions),
        "cold": cold,
    }
    samples: dict[str, list[float]] = {name: [] for name in operations}
    bodies: dict[str, bytes] = {}
    for run_index in range(runs + 1):  # the first round warms up
        for name, operation in operations.items():
            elapsed, bodies[name] = _timed(operation)
            if run_index:
                samples[name].append(elapsed)
    for name, body in bodies.items():
        if body.count(b"BEGIN:VEVENT") != RENDER_VISITS:
            raise RuntimeError(f"the {name} render has {body.count(b'BEGIN:VEVENT')} events")
    same = "the same bytes" if bodies["bare"] == bodies["warm"] == bodies["cold"] else "DIFFERENT bytes"
    progress(
        f"feeds: {RENDER_VISITS} events render to {len(bodies['warm']):,} bytes, bare icalendar to "
        f"{len(bodies['bare']):,} ({same}); median of {runs} runs"
    )
    bare = median(samples["bare"])
    rows = [Row(f"bare icalendar, {RENDER_VISITS:,} events, median", f"{bare * 1000:.1f} ms", "baseline")]
    for name, label in (("warm", "VTIMEZONE cached"), ("cold", "VTIMEZONE cache cleared")):
        elapsed = median(samples[name])
        rows.append(
            Row(
                f"render {RENDER_VISITS:,} visits uncached ({label}), median",
                f"{elapsed * 1000:.1f} ms = {elapsed / bare:.2f}x",
                f"<= {RENDER_TARGET:g}x bare",
                elapsed / bare / RENDER_TARGET,
            )
        )
    return rows
