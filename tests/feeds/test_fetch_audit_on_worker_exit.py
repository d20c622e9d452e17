"""Feed fetches are audited by a background writer, in batches: a worker told to stop (SIGTERM, how gunicorn
stops and recycles its workers) while fetches flow still leaves an audit row for every fetch it answered."""

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from tests.concurrency.conftest import (
    REPO_ROOT,
    _address,
    _control_socket_args,
    _server_env,
    _stop,
    _wait_until_serving,
)
from tests.factories import make_clinic

WORKERS = 2
CLIENTS = 4
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
DEADLINE_SECONDS = 60


def _fetch(host: str, port: int, path: str, etag: str | None) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers.get("ETag")
    finally:
        connection.close()


class Fetchers:
    """CLIENTS threads fetching the feed as fast as they are answered (every other fetch conditional)."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self.answered: Counter = Counter()
        self.failed = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def __enter__(self) -> "Fetchers":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(DEADLINE_SECONDS)

    def served(self) -> int:
        with self._lock:
            return self.answered[200] + self.answered[304]

    def wait_for(self, served: int) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while self.served() < served and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.served() >= served, f"only {self.answered} after {DEADLINE_SECONDS} s"

    def _run(self) -> None:
        etag = None
        while not self._stop.is_set():
            try:
                status, tag = _fetch(self.host, self.port, self.path, etag)
            except (OSError, http.client.HTTPException):
                with self._lock:
                    self.failed += 1
                continue
            with self._lock:
                self.answered[status] += 1
            etag = None if etag else tag


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _fetch_rows(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(AuditEvent.action == "feed.fetch"))
        db.session.remove()
        return count


@pytest.mark.postgres_only
def test_a_worker_stopped_mid_flow_leaves_an_audit_row_for_every_fetch_it_answered(
    app, backend, database_url, api_as, tmp_path
):
    if backend != "postgresql":
        pytest.skip("several gunicorn workers need a server database")
    with app.app_context():
        clinic = make_clinic()
    issued = api_as("frontdesk").post(f"/api/v1/patients/{clinic['patient_id']}/feed")
    path = "/feeds/" + issued.json["url"].split("/feeds/")[1]
    log_path = tmp_path / "gunicorn.log"
    # Rows are written only when a worker stops: what reaches the table comes from the exit flush alone.
    env = {**_server_env(database_url, tmp_path / "instance"), "WRITE_BEHIND_SECONDS": "3600"}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        "127.0.0.1:0",
        *_control_socket_args(),
        "wsgi:app",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        host, port = _address(_wait_until_serving(server, log_path))
        workers = [int(pid) for pid in BOOTED.findall(Path(log_path).read_text())]
        assert len(workers) == WORKERS
        with Fetchers(host, port, path) as fetchers:
            fetchers.wait_for(150)
            assert _fetch_rows(app) == 0, "the rows wait in the workers' queues"
            os.kill(workers[0], signal.SIGTERM)
            deadline = time.monotonic() + DEADLINE_SECONDS
            while not _gone(workers[0]) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _gone(workers[0]), "the worker did not stop"
            written_on_exit = _fetch_rows(app)
            fetchers.wait_for(fetchers.served() + 150)  # the replacement worker and the other one serve on
        _stop(server)
        assert server.returncode == 0
    finally:
        _stop(server)
    assert written_on_exit > 0, "the stopped worker wrote its queued rows as it exited"
    assert fetchers.failed == 0
    assert fetchers.answered[304] > 0
    assert _fetch_rows(app) == fetchers.served()
