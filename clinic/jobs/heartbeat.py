"""The scheduler's heartbeat, so readiness checks can tell it is running."""

import os
import socket
from datetime import datetime

from clinic.extensions import db
from clinic.models.scheduler import SchedulerHeartbeat

HEARTBEAT_NAME = "scheduler"


def beat(now: datetime) -> None:
    """Record that the scheduler is alive at `now`."""
    row = db.session.get(SchedulerHeartbeat, HEARTBEAT_NAME)
    if row is None:
        row = SchedulerHeartbeat(name=HEARTBEAT_NAME, beat_at=now)
        db.session.add(row)
    row.beat_at = now
    row.hostname = socket.gethostname()
    row.pid = os.getpid()
