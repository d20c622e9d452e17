"""Floor benchmark: the floor board of a location where every chair is busy, through the API and the page.

One PostgreSQL database built by the real migrations holds two locations (New York time), one with 200
chairs and one with a tenth of them, half Spravato rooms and half infusion chairs, created through the
services with their providers. Everything else is bulk-loaded with COPY: patients (REMS-enrolled), a
maintenance series for each (Spravato or IV ketamine booster, by the kind of chair they sit in), and per
chair:
- four weeks of past weekdays with two visits a day (mostly completed, with their dose, measurements and
  verified ride; some no-shows and cancellations) and a week of booked visits ahead;
- today, the visit in the chair at `now`, a fifth of the chairs in each phase: arriving (booked, due within
  the hour, ride missing, arranged or confirmed), checked in (half with the blood pressure before the dose,
  half with it overdue), monitoring (dose recorded 50 or 25 minutes ago, some with every check due so far
  recorded, the others with one overdue), ready (every discharge rule holds), discharged in the last 15
  minutes; around it, the chair's earlier visit (some discharged within 15 minutes, so two visits compete
  for the chair), a visit arriving after a ready patient leaves, a cancelled visit and the afternoon's
  visit. A tenth of the visits on the board are single doses without a series.

Then, through the Flask test client with the app's clock frozen at `now`, it times the board of each
location (warm-up requests first) and counts the SQL statements of each request:
- `GET /api/v1/floor?location_id=` (front desk, bearer token);
- `GET /floor/?location_id=` (front desk, web session): the page with the board rendered in it.
The first answer of each size is checked: every chair busy, as many visits in each phase as were loaded.
Targets: each board under 50 ms median with 200 busy chairs, and as many SQL statements at both sizes.

Environment: BENCH_FLOOR_CHAIRS (default 200), BENCH_FLOOR_SMALL_CHAIRS (default a tenth of it),
BENCH_FLOOR_HISTORY_DAYS (past weekdays loaded, default 20), BENCH_FLOOR_SAMPLES (measured requests per
board, default 30), BENCH_DATABASE_URL (the database name gets a `_floor` suffix; dropped and re-created).
"""

import json
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.common import (
    BenchUnavailable,
    Row,
    StatementCounter,
    count_span,
    database_url,
    disposing,
    env_int,
    median,
    migrated_app,
    ms,
    p95,
    progress,
    settle_heap,
    timing_row,
)
from clinic.domain.floor import FloorPhase
from clinic.domain.protocols import BUILTIN_PROTOCOLS, protocol_to_dict
from clinic.extensions import db
from clinic.models.protocol import Protocol
from clinic.services.auth import start_session
from tests.factories import bearer_for, make_chair, make_location, make_provider, make_user

SEED = 20270105
NOW = datetime(2027, 1, 5, 16, 0, tzinfo=UTC)  # a Tuesday, 11:00 in New York
TIMEZONE = "America/New_York"
ZONE = ZoneInfo(TIMEZONE)
TARGET_MS = 50
# psycopg prepares a statement on its sixth execution on a connection; the visits query with 200 chairs'
# parameters then takes about 100 ms once. The warm-up covers it, as a worker's long-lived connection has.
WARMUP = 6

WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
CHAIRS_PER_PROVIDER = 20
PATIENTS_PER_CHAIR = 3  # the chair's regulars: today's visit, the one before it and the afternoon's
ROOM_PROTOCOL = "spravato-maintenance"
CHAIR_PROTOCOL = "iv-ketamine-booster"
STANDALONE_EVERY = 10  # one chair in ten has today's visit booked as a single dose, without a series
CANCELLED_EVERY = 7  # one chair in seven also has a cancelled visit this morning
SLOT_TIMES = (time(8, 0), time(13, 0))  # the two visits of a past or future day
AFTERNOON = NOW + timedelta(hours=4)  # 15:00: today's last visit of every chair, never on the board yet
FUTURE_DAYS = 5
PHASES = tuple(FloorPhase)  # chair n's visit is in phase n % 5; chair n is a Spravato room when n is even

APPOINTMENT_COLUMNS = (
    "id", "uid", "sequence", "series_id", "dose_number", "phase_index", "kind", "patient_id", "provider_id",
    "location_id", "chair_id", "protocol_code", "start_at", "end_at", "status", "planning_note",
    "cancel_reason", "checked_in_at", "completed_at", "dose_given_at", "created_at", "updated_at",
)  # fmt: skip
PATIENT_COLUMNS = (
    "id", "first_name", "last_name", "date_of_birth", "email", "phone", "reminder_channels",
    "reminder_consent", "reminder_consent_at", "rems_enrolled_on", "calendar_alarms", "created_at",
    "updated_at",
)  # fmt: skip
SERIES_COLUMNS = (
    "id", "patient_id", "protocol_id", "parameters", "protocol_snapshot", "location_id", "provider_id",
    "start_date", "start_time", "status", "created_at",
)  # fmt: skip
TRANSPORT_COLUMNS = (
    "id", "appointment_id", "status", "mode", "contact_name", "contact_phone", "pickup_at",
    "updated_by_label", "created_at", "updated_at",
)  # fmt: skip
DOSE_COLUMNS = (
    "id", "appointment_id", "patient_id", "dose_mg", "devices", "lot_number", "given_at", "recorded_at",
    "recorded_by_label",
)  # fmt: skip
MEASUREMENT_COLUMNS = (
    "id", "patient_id", "appointment_id", "series_id", "instrument", "timepoint", "values", "recorded_at",
    "recorded_by_label",
)  # fmt: skip

# The in-visit measurements of a documented session: (instrument, timepoint, values, minutes after the dose).
ROOM_READINGS = (
    ("bp", "pre", {"systolic": 126, "diastolic": 80}, -7),
    ("bp", "post40", {"systolic": 138, "diastolic": 86}, 41),
    ("sedation", None, {"moaas": 5}, 45),
    ("dissociation", None, {"cadss_total": 3}, 47),
    ("bp", "discharge", {"systolic": 124, "diastolic": 78}, 110),
)
CHAIR_READINGS = (
    ("bp", "pre", {"systolic": 124, "diastolic": 78}, -7),
    ("bp", "discharge", {"systolic": 122, "diastolic": 76}, 48),
)

BOARDS = (("api", "floor API"), ("page", "floor page"))


@dataclass
class Site:
    """One location of the benchmark and the ids of what belongs to it."""

    location_id: int
    chairs: list[int]
    providers: list[int]
    patients: list[int] = field(default_factory=list)
    series: list[int] = field(default_factory=list)  # the series of patients[k]


@dataclass
class Board:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


@dataclass
class SizeResult:
    chairs: int
    boards: dict[str, Board] = field(default_factory=lambda: {name: Board() for name, _ in BOARDS})


def run() -> list[Row]:
    large = env_int("BENCH_FLOOR_CHAIRS", 200)
    small = env_int("BENCH_FLOOR_SMALL_CHAIRS", max(1, large // 10))
    history_days = env_int("BENCH_FLOOR_HISTORY_DAYS", 20)
    samples = env_int("BENCH_FLOOR_SAMPLES", 30)
    if small >= large:
        raise BenchUnavailable("BENCH_FLOOR_SMALL_CHAIRS must be smaller than BENCH_FLOOR_CHAIRS")
    url = _floor_database_url()
    started = perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="clinic-bench-floor-") as instance_path,
        disposing(migrated_app(url, instance_path, NOW)) as app,
    ):
        with app.app_context():
            sites = [_build_location(chairs) for chairs in (small, large)]
            _bulk_load(sites, history_days)
            frontdesk = make_user("frontdesk", email="frontdesk@floor.example.org")
            session_key = start_session(frontdesk, "web", NOW).key
            db.session.commit()
            bearer = bearer_for(frontdesk, NOW)
            counter = StatementCounter(db.engine)
        progress(f"floor: database built in {perf_counter() - started:.1f} s")
        settle_heap()
        results = [_measure(app, counter, site, bearer, session_key, samples) for site in sites]
    return _rows(*results)


def _floor_database_url() -> str:
    url = make_url(database_url())
    return url.set(database=f"{url.database}_floor").render_as_string(hide_password=False)


# --- the clinic and its load ----------------------------------------------------------------------------


def _build_location(chairs: int) -> Site:
    """A location with `chairs` chairs (Spravato rooms and infusion chairs in turn) and a provider per
    CHAIRS_PER_PROVIDER chairs, through the services."""
    location = make_location(
        name=f"Floor clinic, {chairs} chairs", timezone=TIMEZONE, opening_hours=WEEKDAY_HOURS
    )
    chair_ids = [
        make_chair(
            location,
            name=f"{'Room' if n % 2 == 0 else 'Chair'} {n + 1:03d}",
            kind="spravato_room" if n % 2 == 0 else "infusion_chair",
        ).id
        for n in range(chairs)
    ]
    providers = [
        make_provider(
            location,
            name=f"Provider {chairs}.{k + 1}",
            email=f"provider{chairs}.{k + 1}@floor.example.org",
            max_concurrent=3,
        ).id
        for k in range(max(1, -(-chairs // CHAIRS_PER_PROVIDER)))
    ]
    db.session.commit()
    return Site(location.id, chair_ids, providers)


def _bulk_load(sites: list[Site], history_days: int) -> None:
    started = perf_counter()
    protocol_ids = {code: id_ for code, id_ in db.session.execute(select(Protocol.code, Protocol.id))}
    generator = _Generator(random.Random(SEED), protocol_ids, _first_ids())
    for site in sites:
        generator.location(site, history_days)
    connection = db.session.connection().connection.driver_connection
    for table, columns, rows in generator.tables():
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE"))
    progress(
        f"floor: loaded {len(generator.appointments):,} appointments, {len(generator.measurements):,} "
        f"measurements, {len(generator.doses):,} doses and {len(generator.series):,} series in "
        f"{perf_counter() - started:.1f} s"
    )


def _first_ids() -> dict[str, int]:
    """The next free id of each bulk-loaded table (the services may have written some rows)."""
    tables = ("patients", "series", "appointments", "transports", "doses", "measurements")
    return {
        table: db.session.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")) for table in tables
    }


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZONE).astimezone(UTC)


def _weekdays(last: date, count: int, step: int) -> list[date]:
    """`count` weekdays from the one after (step 1) or before (step -1) `last`, oldest first."""
    days = []
    day = last
    while len(days) < count:
        day += timedelta(days=step)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


class _Generator:
    """Deterministic rows of every bulk-loaded table, with their ids."""

    def __init__(self, rng: random.Random, protocol_ids: dict[str, int], first_ids: dict[str, int]) -> None:
        self.rng = rng
        self.protocol_ids = protocol_ids
        self.next_id = dict(first_ids)
        self.snapshots = {
            code: json.dumps(protocol_to_dict(BUILTIN_PROTOCOLS[code])) for code in BUILTIN_PROTOCOLS
        }
        self.patients: list[tuple] = []
        self.series: list[tuple] = []
        self.appointments: list[tuple] = []
        self.transports: list[tuple] = []
        self.doses: list[tuple] = []
        self.measurements: list[tuple] = []
        self.dose_numbers: Counter = Counter()

    def tables(self) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
        """In foreign-key order."""
        return [
            ("patients", PATIENT_COLUMNS, self.patients),
            ("series", SERIES_COLUMNS, self.series),
            ("appointments", APPOINTMENT_COLUMNS, self.appointments),
            ("transports", TRANSPORT_COLUMNS, self.transports),
            ("doses", DOSE_COLUMNS, self.doses),
            ("measurements", MEASUREMENT_COLUMNS, self.measurements),
        ]

    def _id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table] - 1

    # - a location

    def location(self, site: Site, history_days: int) -> None:
        today = NOW.astimezone(ZONE).date()
        for n in range(len(site.chairs)):
            for k in range(PATIENTS_PER_CHAIR):
                self._patient(site, n, k)
        for day in _weekdays(today, history_days, -1):
            for n in range(len(site.chairs)):
                for slot, at in enumerate(SLOT_TIMES):
                    self._past_visit(site, n, (day.toordinal() + slot) % PATIENTS_PER_CHAIR, _local(day, at))
        for n in range(len(site.chairs)):
            self._today(site, n)
        for day in _weekdays(today, FUTURE_DAYS, 1):
            for n in range(len(site.chairs)):
                for slot, at in enumerate(SLOT_TIMES):
                    self._booked(site, n, (day.toordinal() + slot) % PATIENTS_PER_CHAIR, _local(day, at))

    def _patient(self, site: Site, chair: int, k: int) -> None:
        patient_id = self._id("patients")
        created = NOW - timedelta(days=200 + patient_id % 300)
        born = date(1950 + patient_id % 50, 1 + patient_id % 12, 1 + patient_id % 28)
        self.patients.append(
            (
                patient_id, "Floor", f"Patient{patient_id:05d}", born,
                f"patient{patient_id}@floor.example.org", f"+1617555{patient_id % 10_000:04d}", '["email"]',
                True, created, created.date(), False, created, created,
            )
        )  # fmt: skip
        code = _protocol(chair)
        series_id = self._id("series")
        start = (created + timedelta(days=30)).date()
        self.series.append(
            (
                series_id, patient_id, self.protocol_ids[code], "{}", self.snapshots[code], site.location_id,
                site.providers[chair % len(site.providers)], start, SLOT_TIMES[k % 2], "active",
                created + timedelta(days=23),
            )
        )  # fmt: skip
        site.patients.append(patient_id)
        site.series.append(series_id)

    # - visits

    def _visit(
        self,
        site: Site,
        chair: int,
        k: int,
        start: datetime,
        status: str,
        *,
        standalone: bool = False,
        checked_in_at: datetime | None = None,
        dose_at: datetime | None = None,
        completed_at: datetime | None = None,
        ride: str = "verified",
        readings_until: datetime | None = None,
        readings_before_dose_only: bool = False,
    ) -> None:
        """One dosing visit of chair `chair` for its k-th regular, with its ride, dose and the measurements
        recorded by `readings_until` (None: none)."""
        spec = BUILTIN_PROTOCOLS[_protocol(chair)]
        index = chair * PATIENTS_PER_CHAIR + k
        patient_id, series_id = site.patients[index], None if standalone else site.series[index]
        end = start + timedelta(minutes=spec.chair_minutes)
        created = min(start - timedelta(days=14), NOW)
        updated = created if status == "scheduled" else max(created, min(checked_in_at or start, NOW))
        if completed_at is not None:
            updated = completed_at
        dose_number = None
        if series_id is not None:
            self.dose_numbers[series_id] += 1
            dose_number = self.dose_numbers[series_id]
        appointment_id = self._id("appointments")
        self.appointments.append(
            (
                appointment_id, f"{uuid.UUID(int=self.rng.getrandbits(128), version=4)}@clinic",
                0 if status == "scheduled" else 1, series_id, dose_number, None if series_id is None else 0,
                "dose", patient_id, site.providers[chair % len(site.providers)], site.location_id,
                site.chairs[chair], spec.code, start, end, status, "",
                "Patient asked to cancel" if status == "cancelled" else None, checked_in_at, completed_at,
                dose_at, created, updated,
            )
        )  # fmt: skip
        known = ride != "missing"
        self.transports.append(
            (
                self._id("transports"), appointment_id, ride,
                ("driver", "taxi", "medical_transport")[appointment_id % 3] if known else None,
                f"Driver {appointment_id % 997}" if known else None,
                f"+1617556{appointment_id % 10_000:04d}" if known else None,
                end, "front desk" if known else "", created, updated,
            )
        )  # fmt: skip
        if dose_at is not None:
            room = spec.chair_kind == "spravato_room"
            self.doses.append(
                (
                    self._id("doses"), appointment_id, patient_id, 56 if room else 35, 2 if room else None,
                    "LOT-2027-A", dose_at, dose_at + timedelta(minutes=1), "Nurse",
                )
            )  # fmt: skip
        if readings_until is None:
            return
        readings = ROOM_READINGS if spec.chair_kind == "spravato_room" else CHAIR_READINGS
        for instrument, timepoint, values, minutes in readings:
            if dose_at is None:
                assert checked_in_at is not None
                at = checked_in_at + timedelta(minutes=3)  # the blood pressure before the dose
            else:
                at = dose_at + timedelta(minutes=minutes)
            if at > readings_until or (minutes >= 0 and (dose_at is None or readings_before_dose_only)):
                continue
            self.measurements.append(
                (
                    self._id("measurements"), patient_id, appointment_id, series_id, instrument, timepoint,
                    json.dumps(values), at, "Nurse",
                )
            )  # fmt: skip

    def _past_visit(self, site: Site, chair: int, k: int, start: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.03:
            self._visit(site, chair, k, start, "no_show", ride="arranged")
        elif roll < 0.06:
            self._visit(site, chair, k, start, "cancelled", ride="missing")
        else:
            end = start + timedelta(minutes=BUILTIN_PROTOCOLS[_protocol(chair)].chair_minutes)
            self._documented(site, chair, k, start, end + timedelta(minutes=self.rng.randrange(10)))

    def _documented(
        self, site: Site, chair: int, k: int, start: datetime, left: datetime, standalone: bool = False
    ) -> None:
        """A session completed at `left`: checked in 5 minutes early, dosed after the check-in time, every
        check done."""
        dose_at = start + timedelta(minutes=BUILTIN_PROTOCOLS[_protocol(chair)].check_in_minutes)
        arrived = start - timedelta(minutes=5)
        self._visit(
            site, chair, k, start, "completed", standalone=standalone, checked_in_at=arrived, dose_at=dose_at,
            completed_at=left, readings_until=left,
        )  # fmt: skip

    def _booked(self, site: Site, chair: int, k: int, start: datetime, standalone: bool = False) -> None:
        roll = self.rng.random()
        status = "scheduled" if roll < 0.7 else "confirmed"
        ride = "missing" if roll < 0.3 else "arranged" if roll < 0.6 else "confirmed"
        self._visit(site, chair, k, start, status, standalone=standalone, ride=ride)

    # - today

    def _today(self, site: Site, n: int) -> None:
        """Chair n's visits today: the one on the board at NOW in phase n % 5, and those around it."""
        spec = BUILTIN_PROTOCOLS[_protocol(n)]
        phase = PHASES[n % len(PHASES)]
        variant = n // (2 * len(PHASES))  # 0, 1, 2, ... along the chairs of one kind and phase
        alone = n % STANDALONE_EVERY == STANDALONE_EVERY - 1
        check_in = timedelta(minutes=spec.check_in_minutes)
        chair_time = timedelta(minutes=spec.chair_minutes)
        minutes = timedelta(minutes=1)
        morning = _local(NOW.astimezone(ZONE).date(), time(8))
        if phase is FloorPhase.ARRIVING:
            # the morning's visit left 10 minutes ago (still on the board) or 28 minutes ago
            self._documented(site, n, 1, morning, NOW - (10 if variant % 2 == 0 else 28) * minutes)
            start = NOW + 15 * minutes * (1 + variant % 4)
            self._visit(
                site, n, 0, start, ("scheduled", "confirmed")[variant % 2], standalone=alone,
                ride=("missing", "arranged", "confirmed")[variant % 3],
            )  # fmt: skip
        elif phase is FloorPhase.CHECKED_IN:
            self._documented(site, n, 1, morning, NOW - 28 * minutes)
            arrived = NOW - 8 * minutes
            self._visit(
                site, n, 0, NOW - 5 * minutes, "checked_in", standalone=alone, checked_in_at=arrived,
                readings_until=NOW if variant % 2 == 0 else None,
            )  # fmt: skip
        elif phase is FloorPhase.MONITORING:
            dose_at = NOW - (50 if variant % 4 < 2 else 25) * minutes
            start = dose_at - check_in
            self._visit(
                site, n, 0, start, "checked_in", standalone=alone, checked_in_at=start - 5 * minutes,
                dose_at=dose_at, readings_until=NOW, readings_before_dose_only=variant % 2 == 1,
            )  # fmt: skip
        elif phase is FloorPhase.READY:
            dose_at = NOW - timedelta(minutes=spec.monitoring_minutes + 15)
            start = dose_at - check_in
            self._visit(
                site, n, 0, start, "checked_in", standalone=alone, checked_in_at=start - 5 * minutes,
                dose_at=dose_at, readings_until=NOW,
            )  # fmt: skip
            if variant % 2 == 0:  # the next patient is due in half an hour: the board still shows this one
                self._booked(site, n, 1, NOW + 30 * minutes)
        else:
            left = NOW - (3 + variant % 12) * minutes
            start = left - chair_time - 2 * minutes
            self._documented(site, n, 0, start, left, standalone=alone)
        if n % CANCELLED_EVERY == 0:
            self._visit(site, n, 2, NOW + 20 * minutes, "cancelled", ride="missing")
        self._booked(site, n, 2, AFTERNOON)


def _protocol(chair: int) -> str:
    return ROOM_PROTOCOL if chair % 2 == 0 else CHAIR_PROTOCOL


# --- the measurements -----------------------------------------------------------------------------------


def _signed_in(app: Flask, session_key: str) -> FlaskClient:
    """A test client whose Flask-Login session holds a server-side web session key."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_key
        session["_fresh"] = True
    return client


def _measure(
    app: Flask,
    counter: StatementCounter,
    site: Site,
    bearer: dict[str, str],
    session_key: str,
    samples: int,
) -> SizeResult:
    chairs = len(site.chairs)
    api = app.test_client()
    page = _signed_in(app, session_key)
    query = f"?location_id={site.location_id}"
    calls: dict[str, Callable[[], Any]] = {
        "api": lambda: api.get(f"/api/v1/floor{query}", headers=bearer),
        "page": lambda: page.get(f"/floor/{query}"),
    }
    result = SizeResult(chairs)
    for name, title in BOARDS:
        for index in range(WARMUP + samples):
            seconds, statements, response = _timed(counter, calls[name])
            _check(title, response, 200)
            if index == 0:
                _check_board(name, response, chairs)
            if index >= WARMUP:
                result.boards[name].seconds.append(seconds)
                result.boards[name].statements.append(statements)
        board = result.boards[name]
        progress(
            f"floor, {chairs} chairs: {title}: median {ms(median(board.seconds))}, "
            f"p95 {ms(p95(board.seconds))}, {count_span(board.statements)} statements"
        )
    return result


def _check_board(name: str, response, chairs: int) -> None:
    """Every chair busy, and as many visits in each phase as were loaded."""
    if name == "page":
        shown = response.get_data(as_text=True).count('data-testid="chair"')
        free = response.get_data(as_text=True).count("chair-free-badge")
        if (shown, free) != (chairs, 0):
            raise RuntimeError(f"the floor page shows {shown} chairs, {free} free, not {chairs} busy ones")
        return
    board = response.get_json()
    phases = Counter(c["visit"]["phase"] if c["visit"] else "free" for c in board["chairs"])
    expected = Counter(PHASES[n % len(PHASES)].value for n in range(chairs))
    if phases != expected:
        raise RuntimeError(f"the floor board of {chairs} chairs shows {dict(phases)}, not {dict(expected)}")
    overdue = sum(
        bool(c["visit"]["next_check"] and c["visit"]["next_check"]["overdue"]) for c in board["chairs"]
    )
    progress(
        f"floor, {chairs} chairs: "
        + ", ".join(f"{phases[phase.value]} {phase.label}" for phase in PHASES)
        + f"; {overdue} with a check overdue"
    )


def _timed(counter: StatementCounter, call: Callable[[], Any]) -> tuple[float, int, Any]:
    before = counter.total
    started = perf_counter()
    response = call()
    elapsed = perf_counter() - started
    return elapsed, counter.total - before, response


def _check(name: str, response, expected: int) -> None:
    if response.status_code != expected:
        body = response.get_data(as_text=True)[:500]
        raise RuntimeError(f"{name} answered {response.status_code}, not {expected}: {body}")


# --- the table --------------------------------------------------------------------------------------------


def _rows(small: SizeResult, large: SizeResult) -> list[Row]:
    big = f"{large.chairs} busy chairs"
    sizes = f"{small.chairs} -> {large.chairs} chairs"
    rows = []
    for name, title in BOARDS:
        seconds = large.boards[name].seconds
        rows.append(timing_row(f"{title}, median ({big})", median(seconds), TARGET_MS))
        rows.append(timing_row(f"{title}, p95 ({big})", p95(seconds), TARGET_MS))
    for name, title in BOARDS:
        before, after = small.boards[name].statements, large.boards[name].statements
        rows.append(
            Row(
                f"SQL statements per {title} ({sizes})",
                f"{count_span(before)} -> {count_span(after)}",
                "same",
                median(after) / median(before),
            )
        )
    return rows
