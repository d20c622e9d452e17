"""Health check benchmark: what the app's own per-request work costs next to the framework's.

`/healthz` of `wsgi:app` (one `SELECT 1`, through every hook the app registers) and of a minimal
Flask-SQLAlchemy app doing the same query (bench/bare_healthz_app.py), both under gunicorn with 2 workers on
the same PostgreSQL database, started with gunicorn.conf.py as production is. `wrk` measures requests per
second in alternating rounds; the median round counts. Target: the app serves at least 80% of the minimal
app's requests per second.

Needs PostgreSQL and `wrk`. Environment: BENCH_DATABASE_URL (the database name gets a `_healthz` suffix;
dropped and re-created, and left empty: the query touches no table), BENCH_FEED_SECONDS (per measurement,
default 3), BENCH_FEED_ROUNDS (default 3), BENCH_FEED_CONNECTIONS (default 8), BENCH_GUNICORN_THREADS.
"""

import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy.engine import make_url

from bench.common import BenchUnavailable, Row, database_url, env_int, median, progress, recreate_database
from bench.feeds import WARM_UP_SECONDS, WORKERS, WRK_SCRIPT, Load, _gunicorn, _wrk

TARGET = 0.80
PATH = "/healthz"


def run() -> list[Row]:
    seconds = env_int("BENCH_FEED_SECONDS", 3)
    rounds = env_int("BENCH_FEED_ROUNDS", 3)
    connections = env_int("BENCH_FEED_CONNECTIONS", 8)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchUnavailable("the health check benchmark needs wrk (apt-get install wrk)")
    url = make_url(database_url())
    url = url.set(database=f"{url.database}_healthz").render_as_string(hide_password=False)
    recreate_database(url)
    with tempfile.TemporaryDirectory(prefix="clinic-bench-healthz-") as workdir:
        work = Path(workdir)
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
        with (
            _gunicorn("wsgi:app", env, work / "app-gunicorn.log", PATH) as app_base,
            _gunicorn("bench.bare_healthz_app:app", env, work / "bare-gunicorn.log", PATH) as bare_base,
        ):
            for base in (app_base, bare_base):
                with urlopen(base + PATH, timeout=10) as response:
                    if json.loads(response.read()) != {"status": "ok", "database": "ok"}:
                        raise RuntimeError(f"{base}{PATH} did not answer ok")
            progress(f"healthz: {rounds} rounds of {seconds} s with {connections} connections per figure")
            figures = {"app": app_base + PATH, "bare": bare_base + PATH}
            for target in figures.values():
                _wrk(wrk, script, target, None, WARM_UP_SECONDS, connections)
            measured: dict[str, list[Load]] = {name: [] for name in figures}
            for _ in range(rounds):
                for name, target in figures.items():
                    measured[name].append(_wrk(wrk, script, target, None, seconds, connections))
    rate = {name: median([load.rate for load in loads]) for name, loads in measured.items()}
    share = rate["app"] / rate["bare"]
    return [
        Row(
            f"minimal Flask-SQLAlchemy /healthz, gunicorn {WORKERS} workers",
            f"{rate['bare']:.0f} req/s",
            "baseline",
        ),
        Row(
            f"/healthz, gunicorn {WORKERS} workers",
            f"{rate['app']:.0f} req/s = {share:.2f}x",
            f">= {TARGET:g}x minimal",
            share / TARGET,
        ),
    ]
