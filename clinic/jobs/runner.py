"""Runs APScheduler 3 in its own process (``flask scheduler run``), never inside web workers."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.jobs import heartbeat
from clinic.jobs.dispatch import dispatch_due_reminders
from clinic.services.digests import plan_digests
from clinic.services.followups import sweep_unbooked_follow_ups
from clinic.services.transport import sweep_rides

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


def in_app_context(app: Flask, job: Callable) -> Callable[[], None]:
    """Wrap a job that manages its own transactions (dispatch commits once per reminder)."""

    def run() -> None:
        with app.app_context():
            try:
                job()
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", getattr(job, "__name__", job))
            finally:
                db.session.remove()

    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    jobs = (
        ("heartbeat", in_app_transaction(app, heartbeat.beat), 30),
        ("dispatch", in_app_context(app, dispatch_due_reminders), app.config["DISPATCH_INTERVAL_SECONDS"]),
        ("digests", in_app_transaction(app, plan_digests), 15 * 60),
        ("unbooked-follow-ups", in_app_transaction(app, sweep_unbooked_follow_ups), 60 * 60),
        ("ride-sweep", in_app_transaction(app, sweep_rides), 15 * 60),
    )
    for name, run, seconds in jobs:
        # The first run is right away: a scheduler that was down catches up at once.
        scheduler.add_job(
            run, "interval", seconds=seconds, id=name, name=name, next_run_time=datetime.now(UTC)
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    scheduler = build_scheduler(app)
    log.info("scheduler started with jobs: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
