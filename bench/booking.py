"""Booking benchmark: preview and create Spravato induction series against a busy PostgreSQL database.

For each size (by default 10,000 and 100,000 existing appointments) the benchmark builds a fresh database with
the real migrations, the same clinic (locations in several timezones, Spravato rooms, infusion chairs,
providers, REMS-enrolled patients, holiday closures) and that many background appointments spread over two
years, past and future. It then previews and books the same Spravato induction series through
`clinic.services.series`, timing each call (a booking includes its commit) and counting its SQL statements,
and at the larger size also times the same two operations through the HTTP API once per request.

Environment: BENCH_APPOINTMENTS (larger size, default 100000), BENCH_APPOINTMENTS_SMALL (default a tenth of
it), BENCH_SERIES (measured series per size, default 40), BENCH_DATABASE_URL (dropped and re-created).
"""

import math
import random
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import insert, text

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
    p95,
    progress,
    settle_heap,
    size_label,
    timing_row,
)
from clinic.extensions import db
from clinic.models.location import LocationClosure
from clinic.models.patient import Patient
from clinic.services.actor import Actor
from clinic.services.errors import Conflict
from clinic.services.series import create_series, preview_series
from tests.factories import bearer_for, make_chair, make_location, make_provider, make_user

SEED = 20270104
NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
ACTOR = Actor(user=None, label="bench", trusted=True)
PROTOCOL = "spravato-induction"
TARGET_MS = 50

# The clinic: every location has this many rooms, chairs and providers; one location per this many
# appointments of the larger size, and one patient per this many appointments.
APPOINTMENTS_PER_LOCATION = 10_000
MIN_LOCATIONS = 4
APPOINTMENTS_PER_PATIENT = 25
SPRAVATO_ROOMS = 4
INFUSION_CHAIRS = 4
PROVIDERS = 4
# Chair i is supervised by provider i % PROVIDERS, so background doses never put more than
# (rooms + chairs) / PROVIDERS = 2 on one provider at once: there is room for one more.
MAX_CONCURRENT = 3
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
)
WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

# Background load: two years of weekdays around NOW, dosing visits in a grid of chair slots (a Spravato
# dose holds its room for 150 minutes), the rest short visits without a chair.
SPAN_START = date(2026, 1, 5)
SPAN_END = date(2027, 12, 31)
SLOT_TIMES = (time(8, 0), time(10, 30), time(13, 0), time(15, 30))
DOSE_SHARE = 0.8
HOLIDAYS = frozenset(
    date.fromisoformat(day)
    for day in (
        "2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
        "2027-01-01", "2027-05-31", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
    )
)  # fmt: skip
APPOINTMENT_COLUMNS = (
    "uid",
    "sequence",
    "kind",
    "patient_id",
    "provider_id",
    "location_id",
    "chair_id",
    "protocol_code",
    "start_at",
    "end_at",
    "status",
    "planning_note",
    "cancel_reason",
    "created_at",
    "updated_at",
)

# The measured series: location i % L; lane i // L picks the provider, the preferred time and the patient,
# so no two series share a provider at the same time; each round of L * len(SLOT_TIMES) series starts
# after the previous round's series (12 doses over 8 weeks, follow-ups until week 11) are over.
WARMUP_SERIES = 5
FIRST_SERIES_START = date(2027, 2, 1)  # a Monday, four weeks after NOW
ROUND_WEEKS = 12
HTTP_WARMUP = 1
HTTP_REQUESTS = 10

T = TypeVar("T")


@dataclass(frozen=True)
class Site:
    """One location of the benchmark clinic and the ids of what belongs to it."""

    location_id: int
    zone: ZoneInfo
    rooms: list[int]
    chairs: list[int]
    providers: list[int]
    patients: list[int] = field(default_factory=list)
    # The first patients of a site are the measured series' own: the background load leaves them alone, so
    # no rule about a patient's own visits (overlap, one dose a day) moves a measured dose.
    reserved: int = 0

    def background_patient(self, rng: random.Random) -> int:
        return rng.choice(self.patients[self.reserved :])


@dataclass
class SizeResult:
    appointments: int
    preview_seconds: list[float] = field(default_factory=list)
    create_seconds: list[float] = field(default_factory=list)
    preview_statements: list[int] = field(default_factory=list)
    create_statements: list[int] = field(default_factory=list)
    http_preview_seconds: list[float] = field(default_factory=list)
    http_create_seconds: list[float] = field(default_factory=list)
    visits: int = 0
    moved: int = 0


def run() -> list[Row]:
    large = env_int("BENCH_APPOINTMENTS", 100_000)
    small = env_int("BENCH_APPOINTMENTS_SMALL", max(1, large // 10))
    measured = env_int("BENCH_SERIES", 40)
    if small >= large:
        raise BenchUnavailable("BENCH_APPOINTMENTS_SMALL must be smaller than BENCH_APPOINTMENTS")
    url = database_url()
    locations = max(MIN_LOCATIONS, math.ceil(large / APPOINTMENTS_PER_LOCATION))
    series = WARMUP_SERIES + measured + HTTP_WARMUP + HTTP_REQUESTS
    patients = max(locations * 50, math.ceil(large / APPOINTMENTS_PER_PATIENT), series + locations)
    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as instance_path:
        results = [
            _run_size(url, instance_path, count, locations, patients, measured, http=count == large)
            for count in (small, large)
        ]
    return _rows(*results)


def _run_size(
    url: str, instance_path: str, count: int, locations: int, patients: int, measured: int, http: bool
) -> SizeResult:
    label = f"booking, {size_label(count)} appointments"
    started = perf_counter()
    with disposing(migrated_app(url, instance_path, NOW)) as app:
        total = WARMUP_SERIES + measured + (HTTP_WARMUP + HTTP_REQUESTS if http else 0)
        with app.app_context():
            sites = _build_clinic(locations, patients, reserved=math.ceil(total / locations))
            _insert_background(sites, count)
        progress(f"{label}: database built in {perf_counter() - started:.1f} s")
        settle_heap()
        counter = StatementCounter(_engine(app))
        result = SizeResult(count)
        requests = (_series_request(sites, i) for i in range(total))
        for index in range(WARMUP_SERIES + measured):
            _preview_and_create(app, counter, next(requests), result, record=index >= WARMUP_SERIES)
        if http:
            _http_preview_and_create(app, requests, result)
    progress(
        f"{label}: {len(result.create_seconds)} series measured; the planner moved {result.moved} of "
        f"{result.visits} visits away from their preferred slot"
    )
    return result


def _engine(app: Flask):
    with app.app_context():
        return db.engine


# --- the clinic and its background load -------------------------------------------------------------


def _build_clinic(locations: int, patients: int, reserved: int = 0) -> list[Site]:
    """Locations, rooms, chairs and providers through the services; patients and closures in bulk."""
    sites = []
    for n in range(locations):
        tz = TIMEZONES[n % len(TIMEZONES)]
        location = make_location(name=f"Bench clinic {n + 1}", timezone=tz, opening_hours=WEEKDAY_HOURS)
        rooms = [
            make_chair(location, name=f"Spravato room {k + 1}", kind="spravato_room").id
            for k in range(SPRAVATO_ROOMS)
        ]
        chairs = [
            make_chair(location, name=f"Infusion chair {k + 1}", kind="infusion_chair").id
            for k in range(INFUSION_CHAIRS)
        ]
        providers = [
            make_provider(
                location,
                name=f"Provider {n + 1}.{k + 1}",
                email=f"provider{n + 1}.{k + 1}@bench.example.org",
                role="prescriber" if k % 2 == 0 else "nurse",
                max_concurrent=MAX_CONCURRENT,
            ).id
            for k in range(PROVIDERS)
        ]
        sites.append(Site(location.id, ZoneInfo(tz), rooms, chairs, providers, reserved=reserved))
    patient_ids = db.session.scalars(
        insert(Patient).returning(Patient.id, sort_by_parameter_order=True),
        [_patient_row(n) for n in range(patients)],
    ).all()
    for n, patient_id in enumerate(patient_ids):
        sites[n % locations].patients.append(patient_id)
    db.session.execute(
        insert(LocationClosure),
        [
            {"location_id": site.location_id, "date": day, "reason": "Public holiday"}
            for site in sites
            for day in sorted(HOLIDAYS)
        ],
    )
    db.session.commit()
    return sites


def _patient_row(n: int) -> dict[str, Any]:
    created = NOW - timedelta(days=400 + n % 300)
    return {
        "first_name": "Bench",
        "last_name": f"Patient{n:06d}",
        "date_of_birth": date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
        "email": f"patient{n}@bench.example.org",
        "phone": f"+1617555{n % 10_000:04d}",
        "reminder_channels": ["email", "sms"] if n % 3 == 0 else ["email"],
        "reminder_consent": True,
        "reminder_consent_at": created,
        "rems_enrolled_on": date(2025, 1 + n % 12, 1 + n % 28),
        "created_at": created,
        "updated_at": created,
    }


def _insert_background(sites: list[Site], count: int) -> None:
    """`count` appointments with COPY, then VACUUM ANALYZE so the planner sees a settled table."""
    started = perf_counter()
    connection = db.session.connection().connection.driver_connection
    statement = f"COPY appointments ({', '.join(APPOINTMENT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in _background_rows(sites, count, random.Random(SEED)):
            copy.write_row(row)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE"))
    progress(f"{size_label(count)} background appointments inserted in {perf_counter() - started:.1f} s")


def _background_rows(sites: list[Site], count: int, rng: random.Random) -> Iterator[tuple]:
    days = [
        day
        for day in (SPAN_START + timedelta(days=n) for n in range((SPAN_END - SPAN_START).days + 1))
        if day.weekday() < 5 and day not in HOLIDAYS
    ]
    doses = round(count * DOSE_SHARE)
    chairs_per_site = SPRAVATO_ROOMS + INFUSION_CHAIRS
    slots = [
        (site, chair, day, slot)
        for site in range(len(sites))
        for chair in range(chairs_per_site)
        for day in range(len(days))
        for slot in range(len(SLOT_TIMES))
    ]
    if doses > len(slots) * 0.6:
        raise RuntimeError(f"{doses} dosing visits do not fit in {len(slots)} chair slots")
    # Each chair slot is used at most once, so no two holding visits ever overlap on a chair.
    for site, chair, day, slot in rng.sample(slots, doses):
        yield _dose_row(rng, sites[site], chair, days[day], slot)
    for _ in range(count - doses):
        yield _visit_row(rng, rng.choice(sites), rng.choice(days))


def _dose_row(rng: random.Random, site: Site, chair: int, day: date, slot: int) -> tuple:
    start = datetime.combine(day, SLOT_TIMES[slot], site.zone).astimezone(UTC)
    if chair < SPRAVATO_ROOMS:
        chair_id, minutes = site.rooms[chair], 150
        protocol = rng.choice(("spravato-induction", "spravato-maintenance"))
    else:
        chair_id, minutes = site.chairs[chair - SPRAVATO_ROOMS], 115
        protocol = rng.choice(("iv-ketamine-induction", "iv-ketamine-booster"))
    provider_id = site.providers[chair % PROVIDERS]
    return appointment_row(rng, "dose", site, provider_id, chair_id, protocol, start, minutes)


def _visit_row(rng: random.Random, site: Site, day: date) -> tuple:
    kind = rng.choices(("follow_up", "integration", "consult"), (50, 30, 20))[0]
    minutes = 30 if kind == "follow_up" else 60
    # a half-hour step inside the 08:00-18:00 day
    local_start = time(*divmod(8 * 60 + 30 * rng.randrange((600 - minutes) // 30 + 1), 60))
    start = datetime.combine(day, local_start, site.zone).astimezone(UTC)
    protocol = "spravato-induction" if kind == "follow_up" else None
    return appointment_row(rng, kind, site, rng.choice(site.providers), None, protocol, start, minutes)


def appointment_row(
    rng: random.Random,
    kind: str,
    site: Site,
    provider_id: int,
    chair_id: int | None,
    protocol: str | None,
    start: datetime,
    minutes: int,
    now: datetime = NOW,
) -> tuple:
    """One background appointment row (COPY column order), its status plausible for `now`."""
    end = start + timedelta(minutes=minutes)
    if start < now:
        status = rng.choices(("completed", "cancelled", "no_show"), (88, 7, 5))[0]
    else:
        status = rng.choices(("scheduled", "confirmed", "cancelled"), (70, 22, 8))[0]
    created = min(start - timedelta(days=rng.randint(2, 60)), now)
    updated = created if status == "scheduled" else max(created, min(end, now))
    return (
        f"{uuid.UUID(int=rng.getrandbits(128), version=4)}@clinic",
        0 if status == "scheduled" else 1,
        kind,
        site.background_patient(rng),
        provider_id,
        site.location_id,
        chair_id,
        protocol,
        start,
        end,
        status,
        "",
        "Patient asked to cancel" if status == "cancelled" else None,
        created,
        updated,
    )


# --- the measured operations ------------------------------------------------------------------------


def _series_request(sites: list[Site], index: int) -> dict[str, Any]:
    site = sites[index % len(sites)]
    lane = index // len(sites)
    rounds = lane // len(SLOT_TIMES)
    return {
        "patient_id": site.patients[lane],
        "protocol": PROTOCOL,
        "location_id": site.location_id,
        "provider_id": site.providers[lane % PROVIDERS],
        "start_date": FIRST_SERIES_START + timedelta(weeks=ROUND_WEEKS * rounds),
        "start_time": SLOT_TIMES[lane % len(SLOT_TIMES)],
        "parameters": {},
    }


def _timed(app: Flask, counter: StatementCounter, operation: Callable[[], T]) -> tuple[float, int, T]:
    """Run one operation as a request would: in its own app context and session."""
    with app.app_context():
        statements = counter.total
        started = perf_counter()
        result = operation()
        elapsed = perf_counter() - started
        statements = counter.total - statements
        db.session.rollback()
    return elapsed, statements, result


def _preview_and_create(
    app: Flask, counter: StatementCounter, data: dict[str, Any], result: SizeResult, record: bool
) -> None:
    def preview() -> tuple[bool, list[str]]:
        planned = preview_series(data, ACTOR, NOW)
        if not planned.rems_ok:
            return False, ["rems_not_enrolled"]
        return planned.ok, [visit.status for visit in planned.visits]

    def create() -> None:
        # Nothing is read back after the commit: that would reload the expired series and add a statement.
        try:
            create_series(data, ACTOR, NOW)
            db.session.commit()
        except Conflict as conflict:
            raise RuntimeError(f"benchmark series {data} was refused: {conflict}") from None

    preview_time, preview_statements, (bookable, statuses) = _timed(app, counter, preview)
    if not bookable:
        raise RuntimeError(f"benchmark series {data} is not bookable: {statuses}")
    create_time, create_statements, _ = _timed(app, counter, create)
    if record:
        result.preview_seconds.append(preview_time)
        result.preview_statements.append(preview_statements)
        result.create_seconds.append(create_time)
        result.create_statements.append(create_statements)
        result.visits += len(statuses)
        result.moved += statuses.count("moved")


def _http_preview_and_create(app: Flask, requests: Iterator[dict[str, Any]], result: SizeResult) -> None:
    with app.app_context():
        headers = bearer_for(make_user("frontdesk"), NOW)
    client = app.test_client()
    for index, data in enumerate(requests):
        body = {
            **data,
            "start_date": data["start_date"].isoformat(),
            "start_time": data["start_time"].strftime("%H:%M"),
        }
        timings = []
        for path, expected in (("/api/v1/series/preview", 200), ("/api/v1/series", 201)):
            started = perf_counter()
            response = client.post(path, json=body, headers=headers)
            timings.append(perf_counter() - started)
            if response.status_code != expected:
                raise RuntimeError(f"POST {path} answered {response.status_code}: {response.get_data(True)}")
        if index >= HTTP_WARMUP:
            result.http_preview_seconds.append(timings[0])
            result.http_create_seconds.append(timings[1])


# --- the table --------------------------------------------------------------------------------------


def _rows(small: SizeResult, large: SizeResult) -> list[Row]:
    big = f"{size_label(large.appointments)} appts"
    sizes = f"{size_label(small.appointments)} -> {size_label(large.appointments)}"
    rows = [
        timing_row(f"series preview, median ({big})", median(large.preview_seconds), TARGET_MS),
        timing_row(f"series preview, p95 ({big})", p95(large.preview_seconds), TARGET_MS),
        timing_row(f"series create, median ({big})", median(large.create_seconds), TARGET_MS),
        timing_row(f"series create, p95 ({big})", p95(large.create_seconds), TARGET_MS),
    ]
    if large.http_create_seconds:
        http = f"{big}, {len(large.http_create_seconds)} requests"
        rows += [
            timing_row(
                f"HTTP series preview, median ({http})", median(large.http_preview_seconds), TARGET_MS
            ),
            timing_row(f"HTTP series create, median ({http})", median(large.http_create_seconds), TARGET_MS),
        ]
    small_label = f"{size_label(small.appointments)} appts"
    rows += [
        timing_row(f"series preview, median ({small_label})", median(small.preview_seconds), TARGET_MS),
        timing_row(f"series create, median ({small_label})", median(small.create_seconds), TARGET_MS),
    ]
    for operation, before, after in (
        ("preview", small.preview_statements, large.preview_statements),
        ("create", small.create_statements, large.create_statements),
    ):
        rows.append(
            Row(
                f"SQL statements per {operation} ({sizes})",
                f"{count_span(before)} -> {count_span(after)}",
                "same",
                median(after) / median(before),
            )
        )
    return rows
