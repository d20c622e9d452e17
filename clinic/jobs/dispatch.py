"""The dispatch pass: send every due reminder, one short transaction each (this job is the edge)."""

import logging
from collections import Counter

from flask import current_app

from clinic.clock import utcnow
from clinic.extensions import db
from clinic.notify.base import Channel
from clinic.notify.channels import build_channels
from clinic.services.dispatch import claim_next_due, deliver

log = logging.getLogger(__name__)


def dispatch_due_reminders(channels: dict[str, Channel] | None = None, limit: int | None = None) -> Counter:
    """Send due reminders until none is left (or `limit` were handled); returns counts by outcome."""
    app = current_app._get_current_object()
    own_channels = channels is None
    channels = channels or build_channels(app.config, app.instance_path)
    max_attempts = app.config["REMINDER_MAX_ATTEMPTS"]
    outcomes: Counter = Counter()
    try:
        while limit is None or sum(outcomes.values()) < limit:
            now = utcnow()
            reminder = claim_next_due(now)
            if reminder is None:
                db.session.rollback()
                break
            outcome = deliver(reminder, channels, now, max_attempts)
            db.session.commit()
            outcomes[outcome.status] += 1
            if outcome.status in ("retry", "failed"):
                log.warning("reminder %s not sent: %s", reminder.id, outcome.reason)
    finally:
        if own_channels:
            for channel in channels.values():
                channel.close()
    if outcomes:
        log.info("dispatch: %s", dict(outcomes))
    return outcomes
