"""Load benchmark: `wsgi:app` under gunicorn with 2 workers on PostgreSQL, driven over loopback by a mix of
patient feed fetches, "Today" pages and bookings for a bounded time.

The clinic: four locations (Spravato rooms, infusion chairs and providers each, built by the booking
benchmark's helpers), 2,000 REMS-enrolled patients and 5,000 appointments on the weekdays from six weeks
before today to six weeks after it, 50 patients with a calendar feed, and a frontdesk user signed in twice:
a web session (through the real sign-in form, CSRF token included) and an API bearer token. gunicorn runs on
the real clock, so everything is created with the current time and every booking lies in the real future.

The load generator is a pool of threads, each with its own HTTP connection (gunicorn's sync workers close
it after every response, so every request opens a new one), each sending as fast as it is answered:

- 50% feed fetches, `GET /feeds/<token>.ics`, half of them with If-None-Match of the last ETag seen for
  that feed (a 304 unless a booking changed the feed since);
- 35% "Today" pages, `GET /today/?location_id=..&date=..` with the session cookie, a random weekday in
  the busy weeks;
- 15% bookings, `POST /api/v1/appointments`: a follow-up visit or a single dose, each on its own slot and
  patient after the busy weeks, so each can be booked; a 409 is an answer the API promises, not an error.

A 2xx, a 304 on a conditional fetch and a 409 on a booking count as answers; anything else (another status,
a 5xx, a dropped connection, a timeout) is an error, and the target is zero. The first seconds warm the
workers up (templates, feed caches, connection pools) and are not counted. There are no latency targets;
as an anchor, the same connections then ask only for /healthz for a few seconds: what the machine gives a
request that does almost nothing (on a busy machine both figures fall together).

Needs PostgreSQL. Environment: BENCH_DATABASE_URL (the database name gets a `_load` suffix; dropped and
re-created), BENCH_LOAD_SECONDS (measured, default 20), BENCH_LOAD_CONNECTIONS (default 16).
"""

import http.client
import itertools
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from http.cookies import SimpleCookie
from math import ceil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.booking import (
    APPOINTMENT_COLUMNS,
    HOLIDAYS,
    INFUSION_CHAIRS,
    PROVIDERS,
    SLOT_TIMES,
    SPRAVATO_ROOMS,
    Site,
    _build_clinic,
    appointment_row,
)
from bench.common import Row, database_url, disposing, env_int, migrated_app, ms, progress
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.audit import AuditEvent
from clinic.services.actor import Actor
from clinic.services.feeds import issue_feed
from tests.factories import DEFAULT_PASSWORD, bearer_for, make_user

REPO = Path(__file__).resolve().parent.parent
WORKERS = 2
LOCATIONS = 4
PATIENTS = 2_000
APPOINTMENTS = 5_000
DOSE_SHARE = 0.8
BUSY_WEEKS = 6  # background appointments from this many weeks before today to as many after it
FEEDS = 50
ACTOR = Actor(user=None, label="bench", trusted=True)
USER_EMAIL = "frontdesk@bench.example.org"
SEED = 20261121
MIX = {"feed": 50, "today": 35, "booking": 15}
LABELS = {"feed": "feed fetch", "today": "Today page", "booking": "booking", "healthz": "/healthz"}
# The anchor: the same connections asking only /healthz (one trivial query), the machine's round trip.
BASELINE = {"healthz": 1}
BASELINE_SECONDS = 4
WARM_UP_SECONDS = 3
REQUEST_TIMEOUT_SECONDS = 30
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:(\d+))")
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Bookings: follow-ups every half hour of the 08:00-18:00 day, doses in the chair slots of the day.
FOLLOW_UP_TIMES = tuple(clock_time(8 + n // 2, 30 * (n % 2)) for n in range(20))
CHAIRS_PER_SITE = SPRAVATO_ROOMS + INFUSION_CHAIRS
KEPT_ERRORS = 10


@dataclass(frozen=True)
class Seeded:
    sites: list[Site]
    busy_days: list[date]
    booking_days: list[date]
    feed_tokens: list[str]
    bearer: str
    at: datetime  # when the clinic was built: every booking of the load is created after it


@dataclass
class Tally:
    """What one load-generator thread saw."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0


@dataclass(frozen=True)
class Result:
    duration: float  # as asked; `seconds` also covers the requests under way at the deadline
    seconds: float
    connections: int
    tally: Tally


def run() -> list[Row]:
    seconds = env_int("BENCH_LOAD_SECONDS", 20)
    connections = env_int("BENCH_LOAD_CONNECTIONS", 16)
    url = _load_database_url()
    with tempfile.TemporaryDirectory(prefix="clinic-bench-load-") as workdir:
        work = Path(workdir)
        now = datetime.now(UTC)  # gunicorn runs on the real clock
        started = time.perf_counter()
        app = migrated_app(url, str(work / "instance"), now)
        with disposing(app), app.app_context():
            seeded = _seed(now)
        progress(f"load: database built in {time.perf_counter() - started:.1f} s")
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")},
            "GUNICORN_BIND": "127.0.0.1:0",
            "GUNICORN_WORKERS": str(WORKERS),
            # BENCH_GUNICORN_THREADS above 1: gthread workers, to compare worker models (as bench/feeds.py).
            **(
                {"GUNICORN_THREADS": os.environ["BENCH_GUNICORN_THREADS"]}
                if os.environ.get("BENCH_GUNICORN_THREADS", "").strip()
                else {}
            ),
            "GUNICORN_ACCESS_LOG": str(work / "access.log"),
            "CLINIC_ENV": "development",
            "DATABASE_URL": url,
            "CLINIC_INSTANCE_PATH": str(work / "instance"),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_STORAGE_URI": "memory://",
            "NOTIFY_BACKEND": "file",
        }
        log_path = work / "gunicorn.log"
        with _gunicorn(env, log_path) as port:
            cookie = _sign_in(port)
            generator = Generator(port, seeded, cookie)
            generator.check_each_kind()
            generator.drive(WARM_UP_SECONDS, connections)
            progress(f"load: {connections} connections for {seconds} s, mix {_mix_text()}")
            result = generator.drive(seconds, connections)
            baseline = generator.drive(BASELINE_SECONDS, connections, BASELINE)
        _report_problems([result, baseline], log_path, work / "access.log")
        with disposing(app), app.app_context():
            _check_database(generator, seeded)
    return _rows(result, baseline)


def _load_database_url() -> str:
    url = make_url(database_url())
    return url.set(database=f"{url.database}_load").render_as_string(hide_password=False)


def _mix_text() -> str:
    return ", ".join(f"{LABELS[kind]} {share}%" for kind, share in MIX.items())


# --- the clinic ---------------------------------------------------------------------------------------


def _seed(now: datetime) -> Seeded:
    sites = _build_clinic(LOCATIONS, PATIENTS)
    today = now.date()
    busy_days = _weekdays(today - timedelta(weeks=BUSY_WEEKS), today + timedelta(weeks=BUSY_WEEKS))
    _insert_background(sites, busy_days, now)
    # Bookings start a week after the busy weeks, on weekdays the clinic is open.
    first = today + timedelta(weeks=BUSY_WEEKS + 1)
    booking_days = _weekdays(first, first + timedelta(weeks=26))
    user = make_user("frontdesk", email=USER_EMAIL)
    bearer = bearer_for(user, now)["Authorization"]
    tokens = []
    for n in range(FEEDS):
        site = sites[n % len(sites)]
        # Spread over both halves of the location's patients: follow-up and dose bookings both reach feeds.
        patient_id = site.patients[(n // len(sites)) * 41 % len(site.patients)]
        issued = issue_feed("patient", patient_id, ACTOR, now)
        tokens.append(issued.url.rsplit("/feeds/", 1)[1].removesuffix(".ics"))
    db.session.commit()
    return Seeded(sites, busy_days, booking_days, tokens, bearer, now)


def _weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5 and day not in HOLIDAYS]


def _insert_background(sites: list[Site], days: list[date], now: datetime) -> None:
    """APPOINTMENTS visits with COPY: doses on distinct chair slots, the rest short visits; then ANALYZE."""
    rng = random.Random(SEED)
    connection = db.session.connection().connection.driver_connection
    statement = f"COPY appointments ({', '.join(APPOINTMENT_COLUMNS)}) FROM STDIN"
    slots = [
        (site, chair, day, slot)
        for site in sites
        for chair in range(CHAIRS_PER_SITE)
        for day in days
        for slot in SLOT_TIMES
    ]
    doses = round(APPOINTMENTS * DOSE_SHARE)
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for site, chair, day, slot in rng.sample(slots, doses):
            copy.write_row(_dose_row(rng, site, chair, day, slot, now))
        for _ in range(APPOINTMENTS - doses):
            site = rng.choice(sites)
            kind = rng.choices(("follow_up", "integration", "consult"), (50, 30, 20))[0]
            minutes = 30 if kind == "follow_up" else 60
            local = clock_time(*divmod(8 * 60 + 30 * rng.randrange((600 - minutes) // 30 + 1), 60))
            start = datetime.combine(rng.choice(days), local, site.zone).astimezone(UTC)
            protocol = "spravato-induction" if kind == "follow_up" else None
            copy.write_row(
                appointment_row(
                    rng, kind, site, rng.choice(site.providers), None, protocol, start, minutes, now
                )
            )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE"))


def _dose_row(rng: random.Random, site: Site, chair: int, day: date, slot: clock_time, now: datetime):
    start = datetime.combine(day, slot, site.zone).astimezone(UTC)
    if chair < SPRAVATO_ROOMS:
        chair_id, minutes = site.rooms[chair], 150
        protocol = rng.choice(("spravato-induction", "spravato-maintenance"))
    else:
        chair_id, minutes = site.chairs[chair - SPRAVATO_ROOMS], 115
        protocol = rng.choice(("iv-ketamine-induction", "iv-ketamine-booster"))
    provider_id = site.providers[chair % PROVIDERS]  # two doses per provider and slot: room for a third
    return appointment_row(rng, "dose", site, provider_id, chair_id, protocol, start, minutes, now)


# --- gunicorn -----------------------------------------------------------------------------------------


@contextmanager
def _gunicorn(env: dict[str, str], log_path: Path) -> Iterator[int]:
    """`gunicorn -c gunicorn.conf.py wsgi:app` (settings from `env`); yields its port once /healthz is 200."""
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield _wait_until_serving(process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen, log_path: Path) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    port = None
    while time.monotonic() < deadline:
        log = log_path.read_text(encoding="utf-8", errors="replace")
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log[-3000:]}")
        if port is None:
            match = LISTENING.search(log)
            port = int(match.group(2)) if match else None
        if port is not None:
            try:
                status, _, _ = _request(port, "GET", "/healthz")
                if status == 200:
                    return port
            except (OSError, http.client.HTTPException):
                pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve /healthz within {STARTUP_TIMEOUT_SECONDS} s")


def _request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or ():
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def _sign_in(port: int) -> str:
    """The Cookie header of a web session, through the sign-in form as a browser does it."""
    status, headers, page = _request(port, "GET", "/login")
    found = CSRF_FIELD.search(page.decode("utf-8", "replace"))
    if status != 200 or found is None:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token")
    cookies = _cookies(headers)
    form = urlencode({"csrf_token": found.group(1), "email": USER_EMAIL, "password": DEFAULT_PASSWORD})
    status, headers, _ = _request(
        port,
        "POST",
        "/login",
        body=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        },
    )
    cookies.update(_cookies(headers))
    if status != 302 or "session" not in cookies:
        raise RuntimeError(f"POST /login answered {status}, not a redirect with a session cookie")
    return f"session={cookies['session']}"


# --- the load generator -------------------------------------------------------------------------------


class Generator:
    """Sends the mix from many threads; every request is classified as an answer or an error."""

    def __init__(self, port: int, seeded: Seeded, cookie: str) -> None:
        self.port = port
        self.seeded = seeded
        self.cookie = cookie
        self.etags: dict[str, str] = {}
        self.bookings = itertools.count()  # next() is atomic: every booking gets its own slot
        self.booked = 0
        self.booked_lock = threading.Lock()

    # One request of each kind, built from a random source and a counter.

    def _feed(self, rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        token = rng.choice(self.seeded.feed_tokens)
        headers = {}
        etag = self.etags.get(token)
        if etag is not None and rng.random() < 0.5:
            headers["If-None-Match"] = etag
        return "GET", f"/feeds/{token}.ics", headers, None, {200, 304} if headers else {200}

    def _today(self, rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        site = rng.choice(self.seeded.sites)
        day = rng.choice(self.seeded.busy_days)
        query = urlencode({"location_id": site.location_id, "date": day.isoformat()})
        return "GET", f"/today/?{query}", {"Cookie": self.cookie}, None, {200}

    def _booking(self, _rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        body = json.dumps(self.booking_body(next(self.bookings))).encode()
        headers = {"Authorization": self.seeded.bearer, "Content-Type": "application/json"}
        return "POST", "/api/v1/appointments", headers, body, {201, 409}

    def booking_body(self, n: int) -> dict[str, Any]:
        """Booking n: locations in turn, then a follow-up or a dose in turn, each on a slot of its own.

        Follow-ups take the first half of the location's patients, doses the second, so a patient never
        has two bookings at once; within a day no patient comes twice.
        """
        sites = self.seeded.sites
        site = sites[n % len(sites)]
        dose = (n // len(sites)) % 2 == 1
        j = n // (2 * len(sites))
        half = len(site.patients) // 2
        days = self.seeded.booking_days
        if dose:
            chair = j % CHAIRS_PER_SITE
            slot = SLOT_TIMES[(j // CHAIRS_PER_SITE) % len(SLOT_TIMES)]
            day = days[(j // (CHAIRS_PER_SITE * len(SLOT_TIMES))) % len(days)]
            chair_id = site.rooms[chair] if chair < SPRAVATO_ROOMS else site.chairs[chair - SPRAVATO_ROOMS]
            return {
                "kind": "dose",
                "patient_id": site.patients[half + j % half],
                "location_id": site.location_id,
                "provider_id": site.providers[chair % PROVIDERS],
                "chair_id": chair_id,
                "start": datetime.combine(day, slot, site.zone).isoformat(),
            }
        day = days[(j // len(FOLLOW_UP_TIMES)) % len(days)]
        return {
            "kind": "follow_up",
            "patient_id": site.patients[j % half],
            "location_id": site.location_id,
            "provider_id": site.providers[j % PROVIDERS],
            "start": datetime.combine(day, FOLLOW_UP_TIMES[j % len(FOLLOW_UP_TIMES)], site.zone).isoformat(),
        }

    def _send(
        self, connection: http.client.HTTPConnection, kind: str, rng: random.Random, tally: Tally
    ) -> http.client.HTTPConnection:
        method, path, headers, body, expected = getattr(self, f"_{kind}")(rng)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.latencies[kind].append(time.perf_counter() - started)
            tally.statuses[(kind, type(error).__name__)] += 1
            self._error(tally, f"{LABELS[kind]}: {method} {_redact(path)}: {type(error).__name__}: {error}")
            connection.close()
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        tally.latencies[kind].append(time.perf_counter() - started)
        status = response.status
        tally.statuses[(kind, status)] += 1
        if status not in expected:
            request_id = response.headers.get("X-Request-ID", "-")
            snippet = content[:200].decode("utf-8", "replace").replace("\n", " ")
            self._error(
                tally,
                f"{LABELS[kind]}: {method} {_redact(path)} answered {status} "
                f"(request_id={request_id}): {snippet}",
            )
        elif kind == "feed" and status == 200:
            self.etags[path.removeprefix("/feeds/").removesuffix(".ics")] = response.headers["ETag"]
        elif kind == "booking" and status == 201:
            with self.booked_lock:
                self.booked += 1
        return connection

    @staticmethod
    def _error(tally: Tally, message: str) -> None:
        tally.error_count += 1
        if len(tally.errors) < KEPT_ERRORS:
            tally.errors.append(message)

    def check_each_kind(self) -> None:
        """One request of each kind must be answered as expected before any load."""
        tally = Tally()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        rng = random.Random(SEED)
        for kind in MIX:
            connection = self._send(connection, kind, rng, tally)
        connection.close()
        if tally.errors:
            raise RuntimeError("the app does not answer the load's requests:\n" + "\n".join(tally.errors))
        if tally.statuses[("booking", 201)] != 1:
            raise RuntimeError(f"the first booking was refused: {dict(tally.statuses)}")

    def _healthz(self, _rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        return "GET", "/healthz", {}, None, {200}

    def drive(self, seconds: float, connections: int, mix: dict[str, int] = MIX) -> Result:
        """`connections` threads send the mix until `seconds` have passed; each finishes its last request."""
        kinds, weights = list(mix), list(mix.values())
        tallies = [Tally() for _ in range(connections)]
        start_line = threading.Barrier(connections + 1)
        deadline = 0.0

        def work(index: int) -> None:
            rng = random.Random(SEED + index)
            tally = tallies[index]
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
            start_line.wait()
            while time.perf_counter() < deadline:
                connection = self._send(connection, rng.choices(kinds, weights)[0], rng, tally)
            connection.close()

        threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(connections)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        deadline = started + seconds
        start_line.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        total = Tally()
        for tally in tallies:
            for kind, samples in tally.latencies.items():
                total.latencies[kind].extend(samples)
            total.statuses.update(tally.statuses)
            total.errors.extend(tally.errors[: KEPT_ERRORS - len(total.errors)])
            total.error_count += tally.error_count
        return Result(seconds, elapsed, connections, total)


def _redact(path: str) -> str:
    """Feed tokens are secrets: never in a message."""
    return re.sub(r"/feeds/[^/]+\.ics", "/feeds/<token>.ics", path)


# --- after the run ------------------------------------------------------------------------------------


def _report_problems(results: list[Result], log_path: Path, access_path: Path) -> None:
    """Worker restarts, and for any error: the first messages, gunicorn's error lines and the 5xx lines."""
    log = log_path.read_text(encoding="utf-8", errors="replace")
    boots = log.count("Booting worker")
    if boots > WORKERS:
        progress(f"load: gunicorn started {boots - WORKERS} replacement worker(s) (max_requests restarts)")
    errors = sum(result.tally.error_count for result in results)
    if not errors:
        return
    progress(f"load: {errors} errors; the first ones:")
    for message in [message for result in results for message in result.tally.errors][:KEPT_ERRORS]:
        progress(f"  {message}")
    problems = [
        line
        for line in log.splitlines()
        if any(word in line for word in ("ERROR", "CRITICAL", "Traceback", "Error", "TIMEOUT", "exited"))
    ]
    for line in problems[:40]:
        progress(f"  gunicorn: {line}")
    if access_path.exists():
        failed = [
            line
            for line in access_path.read_text(encoding="utf-8", errors="replace").splitlines()
            if re.search(r'" 5\d\d ', line)
        ]
        for line in failed[:20]:
            progress(f"  access log: {line}")


def _check_database(generator: Generator, seeded: Seeded) -> None:
    """Every booking answered 201 left its visit and its audit row behind, and no other booking did."""
    stored = db.session.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.created_at > seeded.at)
    )
    audited = db.session.scalar(select(func.count()).where(AuditEvent.action == "appointment.book"))
    progress(f"load: {generator.booked:,} bookings answered 201; {stored:,} stored, {audited:,} audited")
    if not generator.booked == stored == audited:
        raise RuntimeError(
            f"{generator.booked} bookings answered 201, but {stored} visits were stored and {audited} audited"
        )


# --- the table ----------------------------------------------------------------------------------------


def _percentile(samples: Sequence[float], share: float) -> float:
    """Nearest rank: a value that was actually measured."""
    ordered = sorted(samples)
    return ordered[max(0, ceil(share * len(ordered)) - 1)]


def _rows(result: Result, baseline: Result) -> list[Row]:
    tally, seconds = result.tally, result.seconds
    total = sum(len(samples) for samples in tally.latencies.values())
    where = f"gunicorn {WORKERS} workers, {result.connections} conns, {result.duration:g} s"
    rows = [Row(f"load, all requests ({where})", f"{total / seconds:.0f} req/s", "-")]
    for kind in MIX:
        samples = tally.latencies[kind]
        if not samples:
            continue
        label = f"load, {LABELS[kind]} ({len(samples) / total:.0%} of requests)"
        rows += [
            Row(label, f"{len(samples) / seconds:.0f} req/s", "-"),
            Row(f"load, {LABELS[kind]} p50", ms(_percentile(samples, 0.50)), "-"),
            Row(f"load, {LABELS[kind]} p99", ms(_percentile(samples, 0.99)), "-"),
        ]
    feeds = len(tally.latencies["feed"])
    bookings = len(tally.latencies["booking"])
    rows += [
        Row("load, feed fetches answered 304", f"{tally.statuses[('feed', 304)]:,} of {feeds:,}", "-"),
        Row("load, bookings answered 409", f"{tally.statuses[('booking', 409)]:,} of {bookings:,}", "-"),
        Row(
            "load, errors (other statuses, 5xx, connection errors)",
            f"{tally.error_count + baseline.tally.error_count:,}",
            "0",
        ),
    ]
    probes = baseline.tally.latencies["healthz"]
    anchor = f"anchor: /healthz alone ({baseline.connections} conns, {baseline.duration:g} s)"
    rows += [
        Row(f"load, {anchor}", f"{len(probes) / baseline.seconds:.0f} req/s", "-"),
        Row("load, anchor: /healthz p99", ms(_percentile(probes, 0.99)), "-"),
    ]
    return rows
