"""Two scheduler processes share one outbox: every reminder is sent exactly once, and a process killed
with SIGKILL in the middle of a pass loses nothing."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models.reminder import Reminder
from tests.factories import make_due_reminders

REPO = Path(__file__).resolve().parents[2]
REMINDERS = 1000


def _seed_due_reminders(app) -> None:
    """A visit next week and a thousand reminders about it, all due a minute ago (real time)."""
    with app.app_context():
        make_due_reminders(REMINDERS, datetime.now(UTC))


def _dispatcher(database_url: str, smtp_port: int, instance: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CLINIC_ENV": "development",
        "DATABASE_URL": database_url,
        "CLINIC_INSTANCE_PATH": str(instance),
        "NOTIFY_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "dispatch", "--once"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _load_keys(mailbox) -> Counter:
    # only the seeded load: booking the visit also sends the patient its confirmation
    keys = (str(message["X-Clinic-Idempotency-Key"]).strip() for message in list(mailbox.messages))
    return Counter(key for key in keys if key.startswith("load-"))


def _sent_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.status == "sent", Reminder.idempotency_key.like("load-%"))
        )


def test_two_dispatchers_send_each_reminder_exactly_once(app, database_url, smtp_server, tmp_path):
    controller, mailbox = smtp_server
    _seed_due_reminders(app)
    processes = [_dispatcher(database_url, controller.port, tmp_path / f"i{n}") for n in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    delivered = _load_keys(mailbox)
    assert len(delivered) == REMINDERS
    assert max(delivered.values()) == 1, [key for key, count in delivered.items() if count > 1]
    assert _sent_rows(app) == REMINDERS
    assert all("sent:" in output for output in outputs), outputs  # both processes took part


def test_a_dispatcher_killed_mid_pass_loses_nothing(app, database_url, smtp_server, tmp_path):
    controller, mailbox = smtp_server
    _seed_due_reminders(app)
    victim = _dispatcher(database_url, controller.port, tmp_path / "victim")
    deadline = time.monotonic() + 120
    while len(mailbox.messages) < REMINDERS // 5:
        assert victim.poll() is None, "the dispatcher finished before it could be killed"
        assert time.monotonic() < deadline, "the dispatcher sent nothing"
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    sent_before_restart = len(mailbox.messages)
    assert sent_before_restart < REMINDERS

    survivor = _dispatcher(database_url, controller.port, tmp_path / "survivor")
    output = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, output

    delivered = _load_keys(mailbox)
    assert len(delivered) == REMINDERS, "reminders were lost"
    duplicates = sum(count - 1 for count in delivered.values())
    # At most the one message in flight when the process died can go out twice.
    assert duplicates <= 1
    assert _sent_rows(app) == REMINDERS


@pytest.fixture(autouse=True)
def _real_clock(app):
    """The subprocesses read the real clock; so must the data they are given."""
    return app
