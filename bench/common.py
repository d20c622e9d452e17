"""What every benchmark shares: the results table, timing statistics, SQL statement counting and a
disposable PostgreSQL database built by the real migrations."""

import gc
import logging
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from clinic import create_app
from clinic.clock import set_clock
from clinic.extensions import db
from config import TestingConfig

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/clinic_bench"
CONNECT_TIMEOUT_SECONDS = 5


class BenchUnavailable(RuntimeError):
    """Something a benchmark needs (PostgreSQL) is missing: the run stops with this message."""


class BenchConfig(TestingConfig):
    """Testing settings (cheap password hashing for the few staff users) on a real PostgreSQL database."""

    ENV_NAME = "bench"
    SQLALCHEMY_ENGINE_OPTIONS = {
        **TestingConfig.SQLALCHEMY_ENGINE_OPTIONS,
        "connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    }


@dataclass(frozen=True)
class Row:
    """One line of the results table. `ratio` is value/target for timings, or large/small for counts."""

    figure: str
    value: str
    target: str
    ratio: float | None = None


Benchmark = Callable[[], list[Row]]


def format_table(rows: Sequence[Row]) -> str:
    header = Row("figure", "value", "target", None)
    figure_width = max(len(row.figure) for row in (header, *rows))
    value_width = max(len(row.value) for row in (header, *rows))
    target_width = max(len(row.target) for row in (header, *rows))

    def line(row: Row, ratio: str) -> str:
        return (
            f"{row.figure:<{figure_width}}  {row.value:>{value_width}}  {row.target:>{target_width}}  "
            f"{ratio:>6}"
        ).rstrip()

    lines = [line(header, "ratio")]
    lines.extend(line(row, "-" if row.ratio is None else f"{row.ratio:.2f}") for row in rows)
    return "\n".join(lines)


def progress(message: str) -> None:
    """A progress note on stderr, so stdout carries only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise BenchUnavailable(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise BenchUnavailable(f"{name} must be at least 1")
    return number


def size_label(count: int) -> str:
    """10000 -> '10k', 2500 -> '2.5k', 1000000 -> '1M'."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + unit
    return str(count)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile by the nearest-rank method (a value that was actually measured)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timing_row(figure: str, seconds: float, target_ms: float) -> Row:
    return Row(figure, ms(seconds), f"{target_ms:g} ms", seconds * 1000 / target_ms)


def count_span(counts: Sequence[int]) -> str:
    """'9' when every run issued the same number of statements, '9-11' when they varied."""
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


class StatementCounter:
    """Counts the SQL statements an engine sends (every cursor execute, executemany batches counted once)."""

    def __init__(self, engine: Engine) -> None:
        self.total = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.total += 1


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (it is disposable), through the server's `postgres` database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BenchUnavailable(f"BENCH_DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        raise BenchUnavailable("the benchmarks need a PostgreSQL database URL (postgresql+psycopg://...)")
    name = parsed.database
    maintenance = create_engine(
        parsed.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    where = parsed.render_as_string(hide_password=True)
    try:
        with maintenance.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise BenchUnavailable(
            f"PostgreSQL is not reachable for {where} ({reason}). Start PostgreSQL, or point "
            "BENCH_DATABASE_URL at a server where the user may create databases."
        ) from None
    finally:
        maintenance.dispose()


def migrated_app(url: str, instance_path: str, now: datetime) -> Flask:
    """A fresh database at `url` upgraded by the real migrations, and an app on it whose clock reads `now`."""
    recreate_database(url)
    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance_path)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    set_clock(app, lambda: now)
    with app.app_context():
        upgrade()
    return app


def settle_heap() -> None:
    """Collect, then freeze what the process holds (gc.freeze), before measuring.

    A benchmark builds its database in the measuring process, which then holds far more long-lived objects
    than a worker does. Left in the tracked generations, each full collection walks all of them, and a few
    requests out of thirty paid 150-300 ms for it (with the collector off, those p95s fell to the medians).
    A worker freezes what it loaded at start (gunicorn.conf.py, post_worker_init); this puts the benchmark's
    process in the same state, so what is measured is the request's own work and its own garbage."""
    gc.collect()
    gc.freeze()


@contextmanager
def disposing(app: Flask) -> Iterator[Flask]:
    """Close the app's connections when the benchmark is done with it (so the database can be dropped)."""
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        gc.unfreeze()
