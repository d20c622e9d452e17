"""Read a feed with Mozilla's ical.js (vendored under vendor/ical.js) run by the machine's node."""

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import skip_or_fail

READER = Path(__file__).parent / "vendor" / "read_with_icaljs.mjs"


def read_events_with_icaljs(body: bytes) -> dict[str, dict]:
    """Each event's UID -> what ical.js reads of it: start, end (Unix seconds), tzid, summary, location,
    description, url, status, sequence and alarms ([{fires (Unix seconds), description}])."""
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not installed: the feeds cannot be read with ical.js")
    done = subprocess.run([node, str(READER)], input=body, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return {event["uid"]: event for event in json.loads(done.stdout)}


def read_with_icaljs(body: bytes) -> dict[str, tuple[datetime, datetime, str | None]]:
    """Each event's UID -> (start, end, TZID) as ical.js reads them, instants in UTC."""
    return {
        event["uid"]: (
            datetime.fromtimestamp(event["start"], UTC),
            datetime.fromtimestamp(event["end"], UTC),
            event["tzid"],
        )
        for event in read_events_with_icaljs(body).values()
    }
