"""Scale benchmark: the busiest pages against a clinic of 20 locations, 200 chairs, 50,000 patients and
1,000,000 appointments in PostgreSQL.

Each size (the large one, and a tenth of it for comparison) gets a fresh database built by the real
migrations. The clinic (locations in five US timezones, five Spravato rooms and five infusion chairs each,
three providers each with `max_concurrent` 3) is created through the services; everything else is
bulk-loaded with COPY: patients (REMS-enrolled, consenting, with e-mail), one dosing series per 50
appointments (Spravato and IV ketamine inductions, maintenance and boosters, with their follow-ups) whose
past visits carry their measurements and REMS forms, standalone doses, and short visits without a chair
(follow-ups, integration sessions, consults) to make up the count, spread over two years around the clock's
`now` (18 months past: completed, no-show, cancelled; 6 months ahead: scheduled, confirmed, cancelled).
Doses never overlap on a chair and never put more than `max_concurrent` doses on a provider at once; every
dose has its ride (past ones verified, future ones missing, arranged or confirmed, mostly confirmed in the
last two days).

Then, through the Flask test client, it times each page (warm-up requests first) and counts the SQL
statements of each request:
- the Today page of one location on the day of `now` (front desk, web session);
- a Spravato induction series preview and creation through the API (front desk, bearer token), each time
  for a patient without visits, at a location, provider and time no other measured series uses;
- the feed of a patient with 40 visits, from the app's rendered-feed cache and with the cache cleared;
- the at-risk ride list for the next 48 hours (front desk, bearer token);
- the provider home of the provider with the most active series (provider, web session); before each
  request one of that provider's active series is written to (marked stale, as any change of its visits or
  measurements does), so every view computes one standing plan again, and the first view, which computes
  every plan of the freshly loaded data, is reported on its own.
Targets: every page under 100 ms median at the large size, and as many SQL statements per page at both sizes.

Environment: BENCH_SCALE_APPOINTMENTS (default 1000000), BENCH_SCALE_PATIENTS (default 50000),
BENCH_SCALE_SMALL_APPOINTMENTS and BENCH_SCALE_SMALL_PATIENTS (default a tenth of each),
BENCH_SCALE_SAMPLES (measured requests per page, default 30), BENCH_DATABASE_URL (the database name gets
a `_scale` suffix; dropped and re-created).
"""

import io
import json
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
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
    size_label,
    timing_row,
)
from clinic.domain.monitoring import ACTIVE_LOOKBACK, score_gad7, score_phq9
from clinic.domain.protocols import BUILTIN_PROTOCOLS, ProtocolSpec, protocol_to_dict
from clinic.domain.visits import SeriesStatus
from clinic.extensions import db
from clinic.models.location import LocationClosure
from clinic.models.protocol import Protocol
from clinic.models.series import Series
from clinic.services.auth import start_session
from clinic.services.feeds import issue_feed
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, bearer_for, make_chair, make_location, make_provider, make_user

SEED = 20270105
NOW = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)  # a Tuesday: 10:00 in New York, 07:00 in Los Angeles
TARGET_MS = 100
WARMUP = 3

# The clinic, the same at both sizes.
LOCATIONS = 20
SPRAVATO_ROOMS = 5
INFUSION_CHAIRS = 5
CHAIRS = SPRAVATO_ROOMS + INFUSION_CHAIRS
PROVIDERS = 3
MAX_CONCURRENT = 3
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
)
WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
HOLIDAYS = frozenset(
    date.fromisoformat(day)
    for day in (
        "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25", "2026-01-01", "2026-05-25",
        "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25", "2027-01-01", "2027-05-31",
    )
)  # fmt: skip

# The load: two years of visits, 18 months before NOW and 6 after. Series start until four weeks after NOW
# (a series is booked when the patient starts); a dose holds its chair in one of four slots a day.
SPAN_START = date(2025, 7, 7)
SPAN_END = date(2027, 6, 30)
LAST_SERIES_START = NOW.date() + timedelta(weeks=4)
SLOT_TIMES = (time(8, 0), time(10, 30), time(13, 0), time(15, 30))
APPOINTMENTS_PER_SERIES = 50
SERIES_MIX = (
    ("spravato-induction", 40),
    ("spravato-maintenance", 25),
    ("iv-ketamine-induction", 25),
    ("iv-ketamine-booster", 10),
)
STANDALONE_DOSE_SHARE = 0.02
STANDALONE_PROTOCOLS = ("spravato-maintenance", "iv-ketamine-booster")
DOCUMENTED_SHARE = 0.92  # past doses with their measurements (and REMS form) recorded
# Patients without any generated visit: the feed's patient and one per measured series.
RESERVED_PATIENTS = 200
FEED_MAINTENANCE_DOSES = 26  # with the induction's 12 doses and 2 follow-ups: 40 visits
FEED_VISITS = 40
FIRST_MEASURED_SERIES = date(2027, 2, 1)  # a Monday, four weeks after NOW

APPOINTMENT_COLUMNS = (
    "id", "uid", "sequence", "series_id", "dose_number", "phase_index", "kind", "patient_id", "provider_id",
    "location_id", "chair_id", "protocol_code", "start_at", "end_at", "status", "planning_note",
    "cancel_reason", "checked_in_at", "completed_at", "created_at", "updated_at",
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
MEASUREMENT_COLUMNS = (
    "id", "patient_id", "appointment_id", "series_id", "instrument", "timepoint", "values", "total",
    "item9", "recorded_at", "recorded_by_label",
)  # fmt: skip
REMS_FORM_COLUMNS = ("id", "appointment_id", "submitted_at", "submitted_by_label", "confirmation")
ALERT_COLUMNS = (
    "id", "patient_id", "provider_id", "appointment_id", "measurement_id", "code", "severity", "message",
    "created_at", "acknowledged_at", "acknowledged_by_label",
)  # fmt: skip

PAGES = (
    ("today", "Today page, one location"),
    ("preview", "series preview"),
    ("create", "series create"),
    ("feed_cached", "patient feed, cached"),
    ("feed_uncached", "patient feed, uncached"),
    ("at_risk", "at-risk rides, 48 h"),
    ("provider_home", "provider home"),
)


@dataclass(frozen=True)
class Site:
    location_id: int
    zone: ZoneInfo
    chairs: list[int]  # SPRAVATO_ROOMS rooms, then INFUSION_CHAIRS infusion chairs
    providers: list[int]
    patients: list[int] = field(default_factory=list)


@dataclass
class Page:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


@dataclass
class SizeResult:
    appointments: int
    patients: int
    pages: dict[str, Page] = field(default_factory=lambda: {name: Page() for name, _ in PAGES})
    # The provider home's first view: every standing plan of the loaded data still to compute.
    first_home_view: float = 0.0


def run() -> list[Row]:
    large = env_int("BENCH_SCALE_APPOINTMENTS", 1_000_000)
    patients = env_int("BENCH_SCALE_PATIENTS", 50_000)
    small = env_int("BENCH_SCALE_SMALL_APPOINTMENTS", max(1, large // 10))
    small_patients = env_int("BENCH_SCALE_SMALL_PATIENTS", max(1, patients // 10))
    samples = env_int("BENCH_SCALE_SAMPLES", 30)
    if small >= large:
        raise BenchUnavailable("BENCH_SCALE_SMALL_APPOINTMENTS must be smaller than BENCH_SCALE_APPOINTMENTS")
    if min(patients, small_patients) < LOCATIONS * 10 + RESERVED_PATIENTS:
        raise BenchUnavailable(
            f"the scale benchmark needs at least {LOCATIONS * 10 + RESERVED_PATIENTS} patients"
        )
    if samples + WARMUP >= RESERVED_PATIENTS // 2:
        raise BenchUnavailable(f"BENCH_SCALE_SAMPLES must be below {RESERVED_PATIENTS // 2 - WARMUP}")
    url = _scale_database_url()
    with tempfile.TemporaryDirectory(prefix="clinic-bench-scale-") as instance_path:
        results = [
            _run_size(url, instance_path, count, people, samples)
            for count, people in ((small, small_patients), (large, patients))
        ]
    return _rows(*results)


def _scale_database_url() -> str:
    url = make_url(database_url())
    return url.set(database=f"{url.database}_scale").render_as_string(hide_password=False)


# --- one size -----------------------------------------------------------------------------------------


def _run_size(url: str, instance_path: str, appointments: int, patients: int, samples: int) -> SizeResult:
    label = f"scale, {size_label(appointments)} appointments"
    started = perf_counter()
    with disposing(migrated_app(url, instance_path, NOW)) as app:
        with app.app_context():
            sites = _build_clinic()
            loaded = _bulk_load(sites, appointments, patients, label)
            fixtures = _fixtures(app, sites, loaded)
        progress(f"{label}: database built in {perf_counter() - started:.0f} s")
        with app.app_context():
            counter = StatementCounter(db.engine)
        result = SizeResult(appointments, patients)
        settle_heap()
        _measure_pages(app, counter, fixtures, samples, result)
    for name, title in PAGES:
        page = result.pages[name]
        progress(
            f"{label}: {title}: median {ms(median(page.seconds))}, p95 {ms(p95(page.seconds))}, "
            f"{count_span(page.statements)} statements"
        )
    return result


def _build_clinic() -> list[Site]:
    """Locations, chairs and providers (available Mon-Fri 08:00-18:00 at their location) via the services."""
    sites = []
    for n in range(LOCATIONS):
        tz = TIMEZONES[n % len(TIMEZONES)]
        location = make_location(name=f"Scale clinic {n + 1}", timezone=tz, opening_hours=WEEKDAY_HOURS)
        chairs = [
            make_chair(location, name=f"Spravato room {k + 1}", kind="spravato_room").id
            for k in range(SPRAVATO_ROOMS)
        ] + [
            make_chair(location, name=f"Infusion chair {k + 1}", kind="infusion_chair").id
            for k in range(INFUSION_CHAIRS)
        ]
        providers = [
            make_provider(
                location,
                name=f"Provider {n + 1}.{k + 1}",
                email=f"provider{n + 1}.{k + 1}@scale.example.org",
                role="prescriber" if k != 1 else "nurse",
                max_concurrent=MAX_CONCURRENT,
            ).id
            for k in range(PROVIDERS)
        ]
        sites.append(Site(location.id, ZoneInfo(tz), chairs, providers))
    db.session.add_all(
        LocationClosure(location_id=site.location_id, date=day, reason="Public holiday")
        for site in sites
        for day in sorted(HOLIDAYS)
    )
    db.session.commit()
    return sites


# --- the bulk load --------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the measurements need from the generated data."""

    reserved_patients: list[int]
    series_per_provider: Counter
    appointments: int = 0
    series: int = 0


_NULL = r"\N"


class _Table:
    """Rows of one table as COPY text."""

    def __init__(self, name: str, columns: tuple[str, ...]) -> None:
        self.name = name
        self.columns = columns
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, *values: Any) -> int:
        self.rows += 1
        self.buffer.write("\t".join([_NULL if v is None else str(v) for v in values]))
        self.buffer.write("\n")
        return self.rows

    def add_line(self, line: str) -> None:
        self.rows += 1
        self.buffer.write(line)

    def copy_into(self, connection) -> None:
        statement = f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"
        data = self.buffer.getvalue()
        self.buffer = io.StringIO()
        chunk = 1 << 20
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for offset in range(0, len(data), chunk):
                copy.write(data[offset : offset + chunk])


def _bulk_load(sites: list[Site], appointments: int, patients: int, label: str) -> Loaded:
    started = perf_counter()
    protocol_ids = {code: id_ for code, id_ in db.session.execute(select(Protocol.code, Protocol.id))}
    generator = _Generator(sites, random.Random(SEED), protocol_ids)
    loaded = generator.generate(appointments, patients)
    progress(
        f"{label}: generated {loaded.appointments:,} appointments, {loaded.series:,} series, "
        f"{generator.transports.rows:,} rides, {generator.measurements.rows:,} measurements in "
        f"{perf_counter() - started:.0f} s"
    )
    started = perf_counter()
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    tables = generator.tables()
    with _constraints_set_aside(connection, [table.name for table in tables], label):
        for table in tables:
            table.copy_into(connection)
            progress(
                f"{label}: copied {table.rows:,} rows into {table.name} ({perf_counter() - started:.0f} s)"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments SET rems_form_open = true WHERE id = ANY(%s)", [generator.open_rems_forms]
        )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE"))
    progress(f"{label}: loaded and analysed in {perf_counter() - started:.0f} s")
    return loaded


@contextmanager
def _constraints_set_aside(connection, tables: list[str], label: str) -> Iterator[None]:
    """Load into bare tables: drop the secondary indexes and the foreign-key, unique and exclusion
    constraints of `tables`, then re-create each from its own catalogue definition (so every constraint,
    the chair exclusion constraint included, still checks the loaded rows)."""
    names = [f"public.{table}" for table in tables]
    with connection.cursor() as cursor:
        constraints = cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u', 'x') "
            "ORDER BY contype = 'f', conrelid::regclass::text, conname",
            [names],
        ).fetchall()
        indexes = cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)",
            [names],
        ).fetchall()
        for table, name, _, _ in reversed(constraints):
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for index, _ in indexes:
            cursor.execute(f"DROP INDEX {index}")
    yield
    started = perf_counter()
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    progress(
        f"{label}: {len(indexes)} indexes and {len(constraints)} constraints re-created in "
        f"{perf_counter() - started:.0f} s"
    )


class _Generator:
    """Deterministic rows for every bulk-loaded table; dose placement keeps to the chairs' and the
    providers' capacity, slot by slot."""

    def __init__(self, sites: list[Site], rng: random.Random, protocol_ids: dict[str, int]) -> None:
        self.sites = sites
        self.rng = rng
        self.protocol_ids = protocol_ids
        self.snapshots = {
            code: json.dumps(protocol_to_dict(spec)) for code, spec in BUILTIN_PROTOCOLS.items()
        }
        self.days = [SPAN_START + timedelta(days=n) for n in range((SPAN_END - SPAN_START).days + 1)]
        self.open = [day.weekday() < 5 and day not in HOLIDAYS for day in self.days]
        self.open_days = [n for n, is_open in enumerate(self.open) if is_open]
        slots = len(self.days) * len(SLOT_TIMES)
        self.chair_taken = bytearray(len(sites) * CHAIRS * slots)
        self.provider_load = bytearray(len(sites) * PROVIDERS * slots)
        self.timestamps: dict[datetime, str] = {}
        self.patients = _Table("patients", PATIENT_COLUMNS)
        self.series = _Table("series", SERIES_COLUMNS)
        self.appointments = _Table("appointments", APPOINTMENT_COLUMNS)
        self.transports = _Table("transports", TRANSPORT_COLUMNS)
        self.measurements = _Table("measurements", MEASUREMENT_COLUMNS)
        self.rems_forms = _Table("rems_forms", REMS_FORM_COLUMNS)
        self.alerts = _Table("alerts", ALERT_COLUMNS)
        # Discharged REMS sessions without a submitted form, as discharge marks them.
        self.open_rems_forms: list[int] = []

    def tables(self) -> list[_Table]:
        """In foreign-key order."""
        return [
            self.patients,
            self.series,
            self.appointments,
            self.transports,
            self.measurements,
            self.rems_forms,
            self.alerts,
        ]

    def _timestamp(self, moment: datetime) -> str:
        text = self.timestamps.get(moment)
        if text is None:
            text = self.timestamps[moment] = moment.isoformat(" ")
        return text

    # - patients

    def _add_patients(self, count: int) -> list[int]:
        """`count` patients; the last RESERVED_PATIENTS are kept free of generated visits."""
        reserved = []
        for n in range(count):
            created = NOW - timedelta(days=700 - n % 300) if n < count - RESERVED_PATIENTS else NOW
            enrolled = date(2025, 1 + n % 6, 1 + n % 28) if n < count - RESERVED_PATIENTS else NOW.date()
            patient_id = self.patients.add(
                n + 1,
                "Scale",
                f"Patient{n:06d}",
                date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                f"patient{n}@scale.example.org",
                f"+1617555{n % 10_000:04d}",
                '["email", "sms"]' if n % 3 == 0 else '["email"]',
                True,
                created,
                enrolled,
                False,
                created,
                created,
            )
            if n >= count - RESERVED_PATIENTS:
                reserved.append(patient_id)
            else:
                self.sites[n % len(self.sites)].patients.append(patient_id)
        return reserved

    # - placing visits

    def _slot_key(self, site: int, day: int, slot: int) -> int:
        return (site * len(self.days) + day) * len(SLOT_TIMES) + slot

    def _place_dose(
        self, site: int, day: int, slots: Iterable[int], rooms: bool, provider: int | None
    ) -> tuple[int, int, int] | None:
        """(chair index, slot, provider index) of a free chair of the kind with provider capacity, or None."""
        first, count = (0, SPRAVATO_ROOMS) if rooms else (SPRAVATO_ROOMS, INFUSION_CHAIRS)
        per_chair = len(self.days) * len(SLOT_TIMES)
        for slot in slots:
            base = self._slot_key(0, day, slot)
            loads = [self.provider_load[(site * PROVIDERS + k) * per_chair + base] for k in range(PROVIDERS)]
            k = provider if provider is not None else min(range(PROVIDERS), key=loads.__getitem__)
            if loads[k] >= MAX_CONCURRENT:
                continue
            for step in range(count):
                chair = first + (day + slot + step) % count
                key = (site * CHAIRS + chair) * per_chair + base
                if not self.chair_taken[key]:
                    self.chair_taken[key] = 1
                    self.provider_load[(site * PROVIDERS + k) * per_chair + base] += 1
                    return chair, slot, k
        return None

    def _status(self, start: datetime, end: datetime) -> str:
        roll = self.rng.random()
        if end <= NOW:
            return "completed" if roll < 0.91 else "no_show" if roll < 0.95 else "cancelled"
        if start <= NOW:
            return "checked_in"
        return "scheduled" if roll < 0.73 else "confirmed" if roll < 0.95 else "cancelled"

    def _appointment(
        self,
        kind: str,
        site: Site,
        provider: int,
        patient_id: int,
        start: datetime,
        minutes: int,
        *,
        chair: int | None = None,
        protocol: str | None = None,
        series_id: int | None = None,
        dose_number: int | None = None,
        phase_index: int | None = None,
    ) -> tuple[int, str, datetime]:
        end = start + timedelta(minutes=minutes)
        status = self._status(start, end)
        created = min(start - timedelta(days=self.rng.randint(2, 42)), NOW)
        updated = created if status == "scheduled" else max(created, min(end, NOW))
        # One formatted line (the bulk of the load): timestamps repeat, so their text is memoised.
        ts = self._timestamp
        appointment_id = self.appointments.rows + 1
        self.appointments.add_line(
            f"{appointment_id}\t{uuid.UUID(int=self.rng.getrandbits(128), version=4)}@clinic\t"
            f"{0 if status == 'scheduled' else 1}\t{_NULL if series_id is None else series_id}\t"
            f"{_NULL if dose_number is None else dose_number}\t"
            f"{_NULL if phase_index is None else phase_index}\t"
            f"{kind}\t{patient_id}\t{site.providers[provider]}\t{site.location_id}\t"
            f"{_NULL if chair is None else site.chairs[chair]}\t{_NULL if protocol is None else protocol}\t"
            f"{ts(start)}\t{ts(end)}\t{status}\t\t"
            f"{'Patient asked to cancel' if status == 'cancelled' else _NULL}\t"
            f"{ts(start) if status in ('checked_in', 'completed') else _NULL}\t"
            f"{ts(end) if status == 'completed' else _NULL}\t{ts(created)}\t{ts(updated)}\n"
        )
        if kind == "dose":
            self._ride(appointment_id, status, start, end, created, updated)
        return appointment_id, status, end

    def _ride(
        self, appointment_id: int, status: str, start: datetime, end: datetime, created: datetime, updated
    ) -> None:
        roll = self.rng.random()
        if status in ("completed", "checked_in"):
            ride = "verified" if status == "completed" else "confirmed"
        elif start > NOW and start - NOW <= timedelta(days=2):
            ride = "confirmed" if roll < 0.7 else "arranged" if roll < 0.9 else "missing"
        else:
            ride = "missing" if roll < 0.35 else "arranged" if roll < 0.8 else "confirmed"
        known = ride != "missing"
        self.transports.add(
            self.transports.rows + 1,
            appointment_id,
            ride,
            ("driver", "taxi", "medical_transport")[appointment_id % 3] if known else None,
            f"Driver {appointment_id % 997}" if known else None,
            f"+1617556{appointment_id % 10_000:04d}" if known else None,
            end,
            "front desk" if known else "",
            created,
            updated,
        )

    # - series

    def _series(
        self, series_id: int, code: str, site_index: int, start_day: int, slot: int
    ) -> tuple[int, int]:
        """One series with its doses (where a chair and the provider are free) and follow-ups: the number
        of visits and the provider's id."""
        spec = BUILTIN_PROTOCOLS[code]
        site = self.sites[site_index]
        provider = self.rng.randrange(PROVIDERS)
        patient_id = self.rng.choice(site.patients)
        start_date = self.days[start_day]
        self.series.add(
            series_id,
            patient_id,
            self.protocol_ids[code],
            "{}",
            self.snapshots[code],
            site.location_id,
            site.providers[provider],
            start_date,
            SLOT_TIMES[slot],
            "active",
            min(datetime.combine(start_date, time(9), UTC) - timedelta(days=7), NOW),
        )
        rooms = spec.chair_kind == "spravato_room"
        other_slots = [s for s in range(len(SLOT_TIMES)) if s != slot]
        doses = []
        last_day = -1
        for dose_number, (phase_index, offset) in enumerate(spec.dose_days(), start=1):
            # a weekend or holiday moves the dose to the next open day, never onto the previous dose's day
            day = self._open_day_from(max(start_day + offset, last_day + 1))
            if day is None:
                break
            last_day = day
            placed = self._place_dose(site_index, day, [slot, *other_slots], rooms, provider)
            if placed is None:
                continue
            chair, used_slot, _ = placed
            start = datetime.combine(self.days[day], SLOT_TIMES[used_slot], site.zone).astimezone(UTC)
            appointment_id, status, end = self._appointment(
                "dose",
                site,
                provider,
                patient_id,
                start,
                spec.chair_minutes,
                chair=chair,
                protocol=code,
                series_id=series_id,
                dose_number=dose_number,
                phase_index=phase_index,
            )
            submitted = False
            if status == "completed" and self.rng.random() < DOCUMENTED_SHARE:
                submitted = self._documentation(
                    spec, series_id, patient_id, site, provider, appointment_id, start, end, not doses
                )
            if status == "completed" and spec.rems_required and not submitted:
                self.open_rems_forms.append(appointment_id)
            doses.append(day)
        made = len(doses)
        if doses:
            for rule in spec.follow_ups:
                day = self._open_day_from(doses[-1] + rule.days_after_last_dose)
                if day is None:
                    break
                start = datetime.combine(self.days[day], SLOT_TIMES[slot], site.zone).astimezone(UTC)
                appointment_id, status, _ = self._appointment(
                    "follow_up", site, provider, patient_id, start, rule.duration_minutes, protocol=code,
                    series_id=series_id,
                )  # fmt: skip
                made += 1
                if status == "completed" and self.rng.random() < DOCUMENTED_SHARE:
                    self._questionnaires(patient_id, appointment_id, series_id, start)
        return made, site.providers[provider]

    def _questionnaires(self, patient_id: int, appointment_id: int, series_id: int, at: datetime) -> None:
        """The PHQ-9 and GAD-7 of a follow-up visit."""
        for instrument, count, score in (("phq9", 9, score_phq9), ("gad7", 7, score_gad7)):
            items = [self.rng.choice((0, 0, 1, 1, 2)) for _ in range(count - 1)] + [0]
            result = score(items)
            self.measurements.add(
                self.measurements.rows + 1,
                patient_id,
                appointment_id,
                series_id,
                instrument,
                None,
                json.dumps({"items": items, "severity": result.severity}),
                result.total,
                0 if instrument == "phq9" else None,
                at + timedelta(minutes=5),
                "Nurse",
            )

    def _open_day_from(self, day: int) -> int | None:
        while day < len(self.days) and not self.open[day]:
            day += 1
        return day if day < len(self.days) else None

    def _documentation(
        self,
        spec: ProtocolSpec,
        series_id: int,
        patient_id: int,
        site: Site,
        provider: int,
        appointment_id: int,
        start: datetime,
        end: datetime,
        first: bool,
    ) -> bool:
        """The measurements (and REMS form) of a completed dose, as a nurse records them; a GAD-7 baseline
        at the first dose. Whether the REMS form was submitted."""
        rng = self.rng
        items = [rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(8)] + [1 if rng.random() < 0.01 else 0]
        phq9 = score_phq9(items)

        def measure(instrument, timepoint, values, at, total=None, item9=None) -> int:
            return self.measurements.add(
                self.measurements.rows + 1,
                patient_id,
                appointment_id,
                series_id,
                instrument,
                timepoint,
                json.dumps(values),
                total,
                item9,
                at,
                "Nurse",
            )

        phq9_id = measure(
            "phq9", None, {"items": items, "severity": phq9.severity}, start + timedelta(minutes=5),
            phq9.total, phq9.item9,
        )  # fmt: skip
        if phq9.item9 > 0:
            acknowledged = start < NOW - timedelta(days=3)
            self.alerts.add(
                self.alerts.rows + 1,
                patient_id,
                site.providers[provider],
                appointment_id,
                phq9_id,
                "phq9_item9",
                "urgent",
                "PHQ-9 item 9 is above 0: assess suicide risk before dosing.",
                start + timedelta(minutes=5),
                end if acknowledged else None,
                "Prescriber" if acknowledged else None,
            )
        if first:
            gad7_items = [rng.choice((0, 1, 1, 2, 3)) for _ in range(7)]
            gad7 = score_gad7(gad7_items)
            measure("gad7", None, {"items": gad7_items, "severity": gad7.severity}, start, gad7.total)
        dosed = start + timedelta(minutes=spec.check_in_minutes)
        systolic = 118 + rng.randrange(30)
        measure("bp", "pre", {"systolic": systolic, "diastolic": 76}, start + timedelta(minutes=8))
        if spec.drug == "esketamine":
            measure(
                "bp", "post40", {"systolic": systolic + 8, "diastolic": 80}, dosed + timedelta(minutes=42)
            )
            measure("sedation", None, {"moaas": 5}, dosed + timedelta(minutes=45))
            measure("dissociation", None, {"cadss_total": rng.randrange(12)}, dosed + timedelta(minutes=50))
        measure("bp", "discharge", {"systolic": systolic, "diastolic": 74}, end - timedelta(minutes=10))
        submitted = end + timedelta(days=1)
        if spec.rems_required and submitted <= NOW:
            self.rems_forms.add(self.rems_forms.rows + 1, appointment_id, submitted, "Nurse", "")
            return True
        return False

    # - everything

    def generate(self, appointments: int, patients: int) -> Loaded:
        rng = self.rng
        reserved = self._add_patients(patients)
        series_count = max(1, appointments // APPOINTMENTS_PER_SERIES)
        last_start = (LAST_SERIES_START - SPAN_START).days
        codes = [code for code, _ in SERIES_MIX]
        weights = [weight for _, weight in SERIES_MIX]
        per_provider: Counter = Counter()
        made = 0
        for series_id in range(1, series_count + 1):
            if made >= appointments:
                series_count = series_id - 1
                break
            code = rng.choices(codes, weights)[0]
            site_index = rng.randrange(len(self.sites))
            start_day = rng.randrange(last_start + 1)
            start_day = self._open_day_from(start_day) or 0
            visits, provider_id = self._series(
                series_id, code, site_index, start_day, rng.randrange(len(SLOT_TIMES))
            )
            made += visits
            if self.days[start_day] >= (NOW - ACTIVE_LOOKBACK).date():
                per_provider[provider_id] += 1
        standalone_doses = min(round(appointments * STANDALONE_DOSE_SHARE), max(0, appointments - made))
        for _ in range(standalone_doses):
            made += self._standalone_dose()
        while made < appointments:
            self._short_visit()
            made += 1
        return Loaded(reserved, per_provider, self.appointments.rows, series_count)

    def _standalone_dose(self) -> int:
        rng = self.rng
        site_index = rng.randrange(len(self.sites))
        site = self.sites[site_index]
        code = rng.choice(STANDALONE_PROTOCOLS)
        spec = BUILTIN_PROTOCOLS[code]
        day = rng.choice(self.open_days)
        slots = rng.sample(range(len(SLOT_TIMES)), len(SLOT_TIMES))
        placed = self._place_dose(site_index, day, slots, spec.chair_kind == "spravato_room", None)
        if placed is None:
            return 0
        chair, slot, provider = placed
        start = datetime.combine(self.days[day], SLOT_TIMES[slot], site.zone).astimezone(UTC)
        appointment_id, status, _ = self._appointment(
            "dose", site, provider, rng.choice(site.patients), start, spec.chair_minutes, chair=chair,
            protocol=code,
        )  # fmt: skip
        if status == "completed" and spec.rems_required:  # never documented: its form is open
            self.open_rems_forms.append(appointment_id)
        return 1

    def _short_visit(self) -> None:
        """A follow-up, integration session or consult: no chair, on a half-hour step of the opening hours."""
        rng = self.rng
        site = self.sites[rng.randrange(len(self.sites))]
        roll = rng.random()
        kind = "follow_up" if roll < 0.5 else "integration" if roll < 0.8 else "consult"
        minutes = 30 if kind == "follow_up" else 60
        local = time(*divmod(8 * 60 + 30 * rng.randrange((600 - minutes) // 30 + 1), 60))
        start = datetime.combine(self.days[rng.choice(self.open_days)], local, site.zone).astimezone(UTC)
        protocol = "spravato-induction" if kind == "follow_up" else None
        self._appointment(
            kind, site, rng.randrange(PROVIDERS), rng.choice(site.patients), start, minutes, protocol=protocol
        )


# --- users, sessions and the feed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Fixtures:
    frontdesk_session: str
    frontdesk_bearer: dict[str, str]
    provider_session: str
    provider_id: int
    active_series: int
    feed_path: str
    today_location_id: int
    today: date
    series_requests: list[dict[str, Any]]


def _fixtures(app: Flask, sites: list[Site], loaded: Loaded) -> Fixtures:
    frontdesk = make_user("frontdesk", email="frontdesk@scale.example.org")
    provider_id, active = max(loaded.series_per_provider.items(), key=lambda pair: (pair[1], -pair[0]))
    provider = make_user("provider", email="provider@scale.example.org", provider_id=provider_id)
    frontdesk_session = start_session(frontdesk, "web", NOW).key
    provider_session = start_session(provider, "web", NOW).key
    db.session.commit()
    bearer = bearer_for(frontdesk, NOW)
    feed_patient, *series_patients = loaded.reserved_patients
    feed_site = sites[-1]
    first_monday = NOW.date() + timedelta(days=7 - NOW.weekday() + 7)
    base = {
        "patient_id": feed_patient,
        "location_id": feed_site.location_id,
        "provider_id": feed_site.providers[0],
        "start_time": SLOT_TIMES[1],
    }
    # The induction's last follow-up is 11 weeks after its start; maintenance starts the week after.
    create_series(
        {**base, "protocol": "spravato-induction", "start_date": first_monday, "parameters": {}},
        FACTORY_ACTOR,
        NOW,
    )
    create_series(
        {
            **base,
            "protocol": "spravato-maintenance",
            "start_date": first_monday + timedelta(weeks=12),
            "parameters": {"doses": FEED_MAINTENANCE_DOSES},
        },
        FACTORY_ACTOR,
        NOW,
    )
    issued = issue_feed("patient", feed_patient, FACTORY_ACTOR, NOW)
    db.session.commit()
    requests = [_series_request(sites, series_patients, i) for i in range(len(series_patients))]
    return Fixtures(
        frontdesk_session=frontdesk_session,
        frontdesk_bearer=bearer,
        provider_session=provider_session,
        provider_id=provider_id,
        active_series=active,
        feed_path="/feeds/" + issued.url.split("/feeds/", 1)[1],
        today_location_id=sites[0].location_id,
        today=NOW.astimezone(sites[0].zone).date(),
        series_requests=requests,
    )


def _series_request(sites: list[Site], patients: list[int], index: int) -> dict[str, Any]:
    """A Spravato induction: location index % L, then each provider, then each slot, then 12 weeks later."""
    site = sites[index % len(sites)]
    lane = index // len(sites)
    provider = lane % PROVIDERS
    slot = (lane // PROVIDERS + index) % len(SLOT_TIMES)
    rounds = lane // (PROVIDERS * len(SLOT_TIMES))
    return {
        "patient_id": patients[index],
        "protocol": "spravato-induction",
        "location_id": site.location_id,
        "provider_id": site.providers[provider],
        "start_date": (FIRST_MEASURED_SERIES + timedelta(weeks=12 * rounds)).isoformat(),
        "start_time": SLOT_TIMES[slot].strftime("%H:%M"),
        "parameters": {},
    }


def _signed_in(app: Flask, session_key: str) -> FlaskClient:
    """A test client whose Flask-Login session holds a server-side web session key."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_key
        session["_fresh"] = True
    return client


# --- the measurements -----------------------------------------------------------------------------------


def _measure_pages(
    app: Flask, counter: StatementCounter, fixtures: Fixtures, samples: int, result: SizeResult
) -> None:
    frontdesk = _signed_in(app, fixtures.frontdesk_session)
    provider = _signed_in(app, fixtures.provider_session)
    api = app.test_client()
    feed = app.test_client()
    bearer = fixtures.frontdesk_bearer
    today = f"/today/?location_id={fixtures.today_location_id}&date={fixtures.today.isoformat()}"

    def clear_feed_cache() -> None:
        app.extensions["clinic.feed_cache"].clear()

    with app.app_context():
        changing = db.session.scalars(
            select(Series.id).where(
                Series.provider_id == fixtures.provider_id,
                Series.status == SeriesStatus.ACTIVE,
                Series.start_date >= (NOW - ACTIVE_LOOKBACK).date(),
            )
        ).all()
    changes = iter(changing * (WARMUP + samples))

    def change_one_series() -> None:
        """What a check-in or a measurement does to the plan: its series is stale until the next view."""
        with app.app_context():
            db.session.execute(update(Series).where(Series.id == next(changes)).values(plan_stale=True))
            db.session.commit()

    result.first_home_view, _, response = _timed(counter, lambda: provider.get("/provider"))
    _check("provider_home", response, 200)
    pages: list[tuple[str, Callable[[], Any], int, Callable[[], None] | None]] = [
        ("today", lambda: frontdesk.get(today), 200, None),
        ("at_risk", lambda: api.get("/api/v1/transport/at-risk?hours=48", headers=bearer), 200, None),
        ("provider_home", lambda: provider.get("/provider"), 200, change_one_series),
        ("feed_cached", lambda: feed.get(fixtures.feed_path), 200, None),
        ("feed_uncached", lambda: feed.get(fixtures.feed_path), 200, clear_feed_cache),
    ]
    for name, call, expected, before in pages:
        for index in range(WARMUP + samples):
            if before is not None:
                before()
            seconds, statements, response = _timed(counter, call)
            _check(name, response, expected)
            if name == "feed_cached" and index == 0:
                visits = response.get_data().count(b"BEGIN:VEVENT")
                if visits != FEED_VISITS:
                    raise RuntimeError(f"the benchmark feed has {visits} visits, not {FEED_VISITS}")
            if index >= WARMUP:
                result.pages[name].seconds.append(seconds)
                result.pages[name].statements.append(statements)
    _measure_series(api, counter, bearer, fixtures.series_requests, samples, result)
    progress(
        f"scale, {size_label(result.appointments)}: provider home of provider {fixtures.provider_id} "
        f"with {fixtures.active_series} active series"
    )


def _measure_series(
    api: FlaskClient,
    counter: StatementCounter,
    bearer: dict[str, str],
    requests: list[dict[str, Any]],
    samples: int,
    result: SizeResult,
) -> None:
    """Preview then book Spravato inductions; a preview with a conflict is timed but not booked."""
    booked = 0
    candidates = iter(requests)
    while booked < WARMUP + samples:
        body = next(candidates, None)
        if body is None:
            raise RuntimeError(f"only {booked} of {WARMUP + samples} measured series could be booked")
        seconds, statements, response = _timed(
            counter, lambda body=body: api.post("/api/v1/series/preview", json=body, headers=bearer)
        )
        _check("preview", response, 200)
        if booked >= WARMUP:
            result.pages["preview"].seconds.append(seconds)
            result.pages["preview"].statements.append(statements)
        preview = response.get_json()
        if not (preview["ok"] and preview["rems_ok"]):
            continue
        seconds, statements, response = _timed(
            counter, lambda body=body: api.post("/api/v1/series", json=body, headers=bearer)
        )
        _check("create", response, 201)
        if booked >= WARMUP:
            result.pages["create"].seconds.append(seconds)
            result.pages["create"].statements.append(statements)
        booked += 1


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
    big = f"{size_label(large.appointments)} appts"
    sizes = f"{size_label(small.appointments)} -> {size_label(large.appointments)}"
    rows = []
    for name, title in PAGES:
        seconds = large.pages[name].seconds
        rows.append(timing_row(f"{title}, median ({big})", median(seconds), TARGET_MS))
        rows.append(timing_row(f"{title}, p95 ({big})", p95(seconds), TARGET_MS))
    rows.append(
        Row(f"provider home, first view, every plan to compute ({big})", ms(large.first_home_view), "-", None)
    )
    for name, title in PAGES:
        before, after = small.pages[name].statements, large.pages[name].statements
        rows.append(
            Row(
                f"SQL statements per {title} ({sizes})",
                f"{count_span(before)} -> {count_span(after)}",
                "same",
                median(after) / median(before),
            )
        )
    return rows
