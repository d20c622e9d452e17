"""Reminder dispatch: two scheduler processes drain one outbox into a local SMTP server.

Prints the throughput (reminders per second, first to last message received) and the number of duplicate
deliveries, which must be zero.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.common import Row, database_url, disposing, env_int, migrated_app, progress
from tests.factories import make_due_reminders

REPO = Path(__file__).resolve().parent.parent
PROCESSES = 2


class CountingHandler:
    def __init__(self) -> None:
        self.keys: Counter = Counter()
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        for line in envelope.content.splitlines():
            if line.lower().startswith(b"x-clinic-idempotency-key:"):
                self.keys[line.split(b":", 1)[1].strip()] += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seed(count: int) -> None:
    make_due_reminders(count, datetime.now(UTC), key_prefix="bench")


def run() -> list[Row]:
    count = env_int("BENCH_REMINDERS", 2000)
    url = database_url()
    with tempfile.TemporaryDirectory() as instance:
        app = migrated_app(url, instance, datetime.now(UTC))
        with disposing(app), app.app_context():
            _seed(count)
        handler = CountingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        try:
            progress(f"dispatching {count} reminders with {PROCESSES} processes")
            env = {
                **os.environ,
                "CLINIC_ENV": "development",
                "DATABASE_URL": url,
                "CLINIC_INSTANCE_PATH": instance,
                "NOTIFY_BACKEND": "smtp",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(controller.port),
            }
            command = [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "dispatch", "--once"]
            processes = [
                subprocess.Popen(
                    command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
                for _ in range(PROCESSES)
            ]
            for process in processes:
                _, errors = process.communicate(timeout=600)
                if process.returncode:
                    raise RuntimeError(f"dispatcher failed: {errors.decode()[-2000:]}")
        finally:
            controller.stop()
    delivered = sum(handler.keys.values())
    duplicates = delivered - len(handler.keys)
    elapsed = (handler.last or 0) - (handler.first or 0)
    rate = delivered / elapsed if elapsed > 0 else float("inf")
    missing = count - len(handler.keys)
    return [
        Row(f"reminder dispatch, {PROCESSES} processes -> SMTP", f"{rate:.0f} /s", "100 /s", rate / 100),
        Row("reminders delivered twice", str(duplicates), "0", None),
        Row("reminders not delivered", str(missing), "0", None),
    ]
