"""Runs APScheduler 3 in its own process (``flask scheduler run``), never inside web workers."""

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.jobs import heartbeat

log = logging.getLogger(__name__)

# A run that starts late (the process was paused, the machine slept) still runs, once.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def in_app_transaction(app: Flask, job: Callable) -> Callable[[], None]:
    """Wrap a job taking `now` so it runs in an app context and commits (the job is the edge)."""

    def run() -> None:
        with app.app_context():
            try:
                job(utcnow())
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", getattr(job, "__name__", job))
            finally:
                db.session.remove()

    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    scheduler.add_job(
        in_app_transaction(app, heartbeat.beat), "interval", seconds=30, id="heartbeat", name="heartbeat"
    )
    return scheduler


def run_scheduler(app: Flask) -> None:
    scheduler = build_scheduler(app)
    in_app_transaction(app, heartbeat.beat)()
    log.info("scheduler started with jobs: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
