"""Health (the process answers, its database is reachable) and readiness (also: the scheduler is alive)."""

from datetime import timedelta

from flask import Blueprint, jsonify
from sqlalchemy import select, text

from clinic.clock import utcnow
from clinic.database import outside_transaction
from clinic.extensions import db
from clinic.jobs.heartbeat import HEARTBEAT_NAME
from clinic.models.scheduler import SchedulerHeartbeat

bp = Blueprint("health", __name__)
# The scheduler beats every 30 s; three missed beats mean it is down.
HEARTBEAT_STALE_AFTER = timedelta(seconds=90)
_SELECT_1 = text("SELECT 1")


def _database_ok() -> bool:
    # Outside a transaction and the request's session: one round trip, where BEGIN, SELECT 1 and COMMIT were
    # three; a dropped connection is thrown away (and the pool renewed) by SQLAlchemy as in a session.
    try:
        with outside_transaction(db.engine) as connection:
            connection.execute(_SELECT_1)
        return True
    except Exception:  # any failure means "not healthy": reported, not raised
        return False


@bp.route("/healthz")
def healthz():
    ok = _database_ok()
    body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unreachable"}
    return jsonify(body), 200 if ok else 503


@bp.route("/readyz")
def readyz():
    if not _database_ok():
        return jsonify({"status": "unavailable", "database": "unreachable", "scheduler": "unknown"}), 503
    beat = db.session.scalar(
        select(SchedulerHeartbeat.beat_at).where(SchedulerHeartbeat.name == HEARTBEAT_NAME)
    )
    fresh = beat is not None and utcnow() - beat <= HEARTBEAT_STALE_AFTER
    body = {
        "status": "ok" if fresh else "unavailable",
        "database": "ok",
        "scheduler": "ok" if fresh else "stale" if beat else "never seen",
        "scheduler_beat_at": beat.isoformat() if beat else None,
    }
    return jsonify(body), 200 if fresh else 503
