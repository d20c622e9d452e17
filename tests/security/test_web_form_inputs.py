"""No input on any page or web form is a server error: every route, every role, garbage in every field."""

import re

import pytest

from clinic.extensions import db
from tests.factories import book_series, make_clinic, make_user
from tests.web.test_login import _sign_in

FIELDS = [
    "due",
    "outcome",
    "new_start",
    "scope",
    "reason",
    "status",
    "mode",
    "contact_name",
    "contact_phone",
    "pickup_at",
    "override_reason",
    "timepoint",
    "systolic",
    "diastolic",
    "moaas",
    "cadss_total",
    "confirmation",
    "note",
    "patient_id",
    "protocol",
    "location_id",
    "provider_id",
    "start_date",
    "start_time",
    "interval_weeks",
    "doses",
    "rems_override_reason",
    "patient_query",
    "q",
    "hours",
    "date",
    "email",
    "password",
    "dose_mg",
    "lot_number",
    "devices",
    "prescriber_confirmation",
    "correction_reason",
    "reason",
]
# The admin's location and chair forms.
FIELDS += ["name", "public_name", "address", "phone", "timezone", "locale", "allowed_transport_modes"]
FIELDS += [f"hours_{day}" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
FIELDS += ["country", "subdivision", "years", "kind", "active"]
# The admin's provider (details, weekly availability, time off) and staff account forms.
FIELDS += ["role", "max_concurrent", "weekday", "end_time", "time_off_start", "time_off_end"]
FIELDS += ["time_off_location_id", "new_password", "confirm_password"]
# The patient's registration and edit forms, and sending the ride link from the patient's page.
FIELDS += ["first_name", "last_name", "date_of_birth", "email_reminders", "sms_reminders", "reminder_consent"]
FIELDS += ["rems_enrolled_on", "emergency_contact_name", "emergency_contact_phone", "ride_mode"]
FIELDS += ["ride_contact_name", "ride_contact_phone", "notes", "different_person", "channel"]
FIELDS += [f"item{n}" for n in range(1, 10)] + [f"gad{n}" for n in range(1, 8)]

# The admin's protocol form.
FIELDS += ["code", "based_on", "check_in_minutes", "dosing_minutes", "monitoring_minutes", "max_span_days"]
FIELDS += ["fasting_food_minutes", "fasting_liquid_minutes", "needs_ride", "rems_required", "follow_ups"]
FIELDS += ["no_consecutive_days", "check_in_opens_minutes", "dose_mg_options", "dose_mg_min", "dose_mg_max"]
FIELDS += ["mg_per_device", "checks", "discharge_max_systolic", "recheck_minutes", "urgent_systolic"]
FIELDS += [f"phase{row}_{part}" for row in range(3) for part in ("doses", "days", "gap", "every")]
# Today and Week: "only my visits" and the week's rows (by chair or by provider).
FIELDS += ["mine", "by"]

GARBAGE = (
    "",
    "garbage",
    "99999999999999999999999",
    "-1",
    "2027-13-45T25:61",
    "0001-01-01T00:00:00+00:00",
    "\x00 null byte, ünïcödé",
    "<script>alert(1)</script>" * 50,
)


@pytest.fixture
def visit(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        make_user("admin", email="admin@example.com")
        db.session.commit()
        return {"id": series.appointments[0].id, "token": "x" * 43}


def _paths(app, visit) -> list[tuple[str, str]]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static", "/feeds/", "/fhir")) or rule.endpoint == "static":
            continue
        path = re.sub(r"<int:[a-z_]+>", str(visit["id"]), rule.rule)
        path = re.sub(
            r"<(?:any\(([a-z_, ]+)\):|string:)?[a-z_]+>",
            lambda m: (m.group(1) or "phq9").split(",")[-1].strip()
            if "instrument" in m.group(0)
            else "tok",
            path,
        )
        for method in sorted(rule.methods & {"GET", "POST"}):
            paths.append((method, path))
    return paths


@pytest.mark.parametrize("email", ["desk@example.com", "doc@example.com", "admin@example.com"])
def test_garbage_in_every_field_of_every_page_is_never_a_server_error(app, client, visit, email):
    _sign_in(client, email=email)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the form handling itself, not only the CSRF check
    seen = []
    for method, path in _paths(app, visit):
        if path in ("/logout", "/readyz"):  # /readyz answers 503 by design until the scheduler beats
            continue
        for value in GARBAGE:
            data = dict.fromkeys(FIELDS, value)
            response = (
                client.get(path, query_string=data) if method == "GET" else client.post(path, data=data)
            )
            assert response.status_code < 500, (method, path, value, response.status_code)
            seen.append(path)
    assert len(set(seen)) > 20
