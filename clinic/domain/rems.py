"""The esketamine REMS: when a patient's enrolment counts for their first dose.

A patient is enrolled in the REMS before their first esketamine dose. Enrolment is recorded as a date (the
programme confirms a day, not an instant), and the first dose's day is its local date at the location, so
the rule compares dates. A date cannot tell whether enrolment came before the dose on that day, so enrolled
on any day up to and including the day of the first dose is in time; enrolled the day after, or never, is not.
"""

from __future__ import annotations

from datetime import date


def is_rems_enrolled_for(enrolled_on: date | None, first_dose_day: date) -> bool:
    """Whether a patient enrolled on `enrolled_on` (None: never) is enrolled in time for a first dose on the
    local date `first_dose_day`; enrolment on the day of the dose counts."""
    return enrolled_on is not None and enrolled_on <= first_dose_day
