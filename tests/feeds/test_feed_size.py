"""A busy clinic's location feed stays under Google Calendar's limit of about 1 MB: the location feed covers
a week back and 90 days ahead (at most 1,500 visits), not the 13 months of a patient's or provider's feed."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import insert, select

from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.transport import Transport
from clinic.services.feeds import LOCATION_AHEAD, LOCATION_BACK, LOCATION_MAX_EVENTS
from tests.factories import make_clinic, make_patient

VISITS = 2500
LIMIT = 1_000_000


def _busy_clinic(clock) -> dict:
    """About 2,500 dosing visits with rides over the 13 months a feed used to cover, in four chairs."""
    clinic = make_clinic()
    patients = [make_patient().id for _ in range(40)]
    db.session.commit()
    zone = ZoneInfo("America/New_York")
    first_day = (clock.now - timedelta(days=30)).date()
    days = [
        first_day + timedelta(days=n) for n in range(395) if (first_day + timedelta(days=n)).weekday() < 5
    ]
    chairs = clinic["rooms"] + clinic["chairs"]
    rows = []
    for n in range(VISITS):
        day = days[n % len(days)]
        slot = n // len(days)
        start = datetime.combine(day, time(8 + 2 * (slot % 5)), tzinfo=zone).astimezone(UTC)
        rows.append(
            {
                "uid": f"busy-{n}@clinic",
                "sequence": 0,
                "series_id": None,
                "dose_number": None,
                "kind": "dose",
                "patient_id": patients[n % len(patients)],
                "provider_id": clinic["provider_id"],
                "location_id": clinic["location_id"],
                "chair_id": chairs[n % len(chairs)],
                "start_at": start,
                "end_at": start + timedelta(hours=2),
                "status": "scheduled",
                "planning_note": "",
                "created_at": clock.now,
                "updated_at": clock.now,
            }
        )
    db.session.execute(insert(Appointment), rows)
    ids = db.session.scalars(select(Appointment.id).where(Appointment.uid.like("busy-%"))).all()
    db.session.execute(
        insert(Transport),
        [
            {
                "appointment_id": visit_id,
                "status": "arranged",
                "mode": "driver",
                "contact_name": "Alexandra Montgomery-Smith",
                "contact_phone": "+16175550177",
                "pickup_at": clock.now,
                "updated_by_label": "",
                "created_at": clock.now,
                "updated_at": clock.now,
            }
            for visit_id in ids
        ],
    )
    db.session.commit()
    return clinic


def test_a_busy_clinics_location_feed_stays_under_one_megabyte(app, client, api_as, clock):
    with app.app_context():
        clinic = _busy_clinic(clock)
        in_old_window = db.session.scalar(
            select(db.func.count()).where(
                Appointment.location_id == clinic["location_id"],
                Appointment.start_at >= clock.now - timedelta(days=30),
                Appointment.start_at < clock.now + timedelta(days=365),
            )
        )
    assert in_old_window >= 2400
    issued = api_as("admin").post(f"/api/v1/locations/{clinic['location_id']}/feed")
    assert issued.status_code == 201
    response = client.get("/feeds/" + issued.json["url"].split("/feeds/")[1])
    assert response.status_code == 200
    assert len(response.data) < LIMIT
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert 0 < len(events) <= LOCATION_MAX_EVENTS
    starts = [event["DTSTART"].dt.astimezone(UTC) for event in events]
    assert min(starts) >= clock.now - LOCATION_BACK - timedelta(days=1)
    assert max(starts) < clock.now + LOCATION_AHEAD
    # Even at the cap, the events this clinic writes stay under the limit.
    assert len(response.data) / len(events) * LOCATION_MAX_EVENTS < LIMIT


def test_the_location_feed_page_says_what_the_feed_covers(app, client):
    from tests.factories import make_user
    from tests.web.test_login import _sign_in, _token_from

    with app.app_context():
        clinic = make_clinic()
        make_user("admin", email="desk@example.com")
        db.session.commit()
    _sign_in(client)
    page = client.get(f"/locations/{clinic['location_id']}/feed")
    assert page.status_code == 200
    assert "the last 7 days and the next 90 days" in page.text and "(at most 1,500 visits" in page.text
    issued = client.post(
        f"/locations/{clinic['location_id']}/feed", data={"csrf_token": _token_from(page.data)}
    )
    assert issued.status_code == 200
    assert "webcal://" in issued.text and "the next 90 days" in issued.text
    assert "Clinic visit" not in issued.text
    assert client.get("/locations/999999/feed").status_code == 404
