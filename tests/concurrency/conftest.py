"""gunicorn with several worker processes, serving `wsgi:app` against the test's database.

The server runs as a subprocess from the repository root, configured only through the environment, the way
production starts it. Its output goes to a file that is attached to the report of a failing test.
"""

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from gunicorn.config import KNOWN_SETTINGS

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
GUNICORN_LOG = pytest.StashKey[Path]()


@dataclass(frozen=True)
class GunicornServer:
    url: str
    host: str
    port: int
    log_path: Path

    def log(self) -> str:
        return _read(self.log_path)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _control_socket_args() -> list[str]:
    """Newer gunicorn opens a control socket at one fixed path in the home directory; servers started side
    by side (parallel test runs) would fight over it, and the tests do not use it."""
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def _server_env(database_url: str, instance_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    env.update(
        CLINIC_ENV="development",
        DATABASE_URL=database_url,
        CLINIC_INSTANCE_PATH=str(instance_path),
        SECRET_KEY=secrets.token_urlsafe(48),
        RATELIMIT_STORAGE_URI="memory://",
        NOTIFY_BACKEND="file",
        PYTHONUNBUFFERED="1",
    )
    return env


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _healthy(url: str) -> bool:
    connection = http.client.HTTPConnection(*_address(url), timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _wait_until_serving(process: subprocess.Popen, log_path: Path) -> str:
    """The server's base URL once /healthz answers 200; fails the test with the log otherwise."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode} while starting:\n{_read(log_path)}")
        if url is None:
            match = LISTENING.search(_read(log_path))
            url = match.group(1) if match else None
        if url is not None and _healthy(url):
            return url
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT_SECONDS}s:\n{_read(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def gunicorn_server(
    app: Flask, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[GunicornServer]:
    """`wsgi:app` under gunicorn with four workers on the test's database.

    It depends on `app` so that it stops before the app's teardown empties the PostgreSQL database.
    Port 0 lets the kernel pick a free port; the address is read back from gunicorn's log.
    """
    log_path = tmp_path / "gunicorn.log"
    request.node.stash[GUNICORN_LOG] = log_path
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        "127.0.0.1:0",
        "--access-logfile",
        "-",
        *_control_socket_args(),
        "wsgi:app",
    ]
    env = _server_env(database_url, tmp_path / "gunicorn-instance")
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_until_serving(process, log_path)
        host, port = _address(url)
        yield GunicornServer(url=url, host=host, port=port, log_path=log_path)
    finally:
        _stop(process)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    log_path = item.stash.get(GUNICORN_LOG, None)
    if report.failed and log_path is not None:
        report.sections.append(("gunicorn output", _read(log_path) or "(empty)"))
