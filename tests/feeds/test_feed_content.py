"""What the feeds say, read through the feed endpoint by icalendar and by ical.js (Thunderbird): times with
the zone's abbreviation, the patient's wording and the staff's, cancelled visits marked in the title, alarms
at the fasting cut-off and before the pickup only when the patient opted in (set through the API), the
location's public name with a directions link, and the phone in national format."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from clinic.domain.visits import VisitStatus
from clinic.extensions import db
from clinic.models.appointment import Appointment
from clinic.models.rems_form import RemsForm
from tests.factories import book_series, make_clinic
from tests.feeds.icaljs import read_events_with_icaljs

FULL_NAME = "Ketamine and Spravato Center"
PUBLIC_NAME = "Back Bay Health"
MAPS = "https://www.google.com/maps/search/?api=1&query=1+Main+Street%2C+Boston%2C+MA"
NNBSP = "\u202f"  # CLDR puts a narrow no-break space between the time and AM/PM


@pytest.fixture
def booked(app, clock):
    with app.app_context():
        clinic = make_clinic(name=FULL_NAME, public_name=PUBLIC_NAME, phone="+16175550142")
        series = book_series(clinic, clock.now)
        visits = sorted(series.appointments, key=lambda a: a.start_at)
        return {**clinic, "appointments": [a.id for a in visits], "uids": [a.uid for a in visits]}


def _path(answer) -> str:
    assert answer.status_code == 201, answer.json
    return "/feeds/" + answer.json["url"].split("/feeds/")[1]


@pytest.fixture
def patient_feed(api_as, booked):
    return _path(api_as("frontdesk").post(f"/api/v1/patients/{booked['patient_id']}/feed"))


def _read(client, path):
    """The feed as icalendar and as ical.js read it: (UID -> icalendar event, UID -> ical.js event, body)."""
    response = client.get(path)
    assert response.status_code == 200
    events = {str(e["UID"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    return events, read_events_with_icaljs(response.data), response


def _clock_text(text: str) -> str:
    return text.replace(NNBSP, " ")


def test_patient_feed_times_carry_the_zone_and_the_place_is_neutral_with_directions(
    client, patient_feed, booked
):
    events, icaljs, _ = _read(client, patient_feed)
    first, late = booked["uids"][0], booked["uids"][-1]  # Mon 8 March (EST), and a dose after 14 March (EDT)
    for read in (str(events[first]["DESCRIPTION"]), icaljs[first]["description"]):
        text = _clock_text(read)
        assert "Please arrive by 8:45 AM EST." in text
        assert "No food after 7:00 AM EST; no liquids after 8:30 AM EST." in text
        assert "you cannot drive yourself" in text
        assert f"Directions: {MAPS}" in text
        assert "Questions: (617) 555-0142" in text
        assert "+1617" not in text
    assert "Please arrive by 8:45 AM EDT." in _clock_text(icaljs[late]["description"])
    for uid in booked["uids"]:
        assert (
            str(events[uid]["LOCATION"])
            == icaljs[uid]["location"]
            == f"{PUBLIC_NAME}, 1 Main Street, Boston, MA"
        )
        assert str(events[uid]["URL"]) == icaljs[uid]["url"] == MAPS
        assert "GEO" not in events[uid]  # the location has no coordinates
        assert icaljs[uid]["summary"] == "Clinic visit"
    body = client.get(patient_feed).text.lower()
    for word in ("ketamine", "spravato", "esketamine", "dose", "depression", "rems"):
        assert word not in body


def test_without_a_public_name_the_patient_feed_says_clinic_not_the_full_name(
    app, client, patient_feed, booked
):
    from clinic.models.location import Location

    with app.app_context():
        db.session.get(Location, booked["location_id"]).public_name = ""
        db.session.commit()
    _, icaljs, response = _read(client, patient_feed)
    assert FULL_NAME.lower() not in response.text.lower()
    assert {icaljs[uid]["location"] for uid in booked["uids"]} == {"Clinic, 1 Main Street, Boston, MA"}


def test_a_cancelled_visit_is_marked_in_its_title_and_says_nothing_about_arriving(
    client, patient_feed, booked, api_as
):
    cancelled = booked["appointments"][1]
    answer = api_as("frontdesk").post(f"/api/v1/appointments/{cancelled}/cancel", json={"reason": "Unwell"})
    assert answer.status_code == 200, answer.json
    uid = booked["uids"][1]
    events, icaljs, _ = _read(client, patient_feed)
    for summary, description, status in (
        (str(events[uid]["SUMMARY"]), str(events[uid]["DESCRIPTION"]), str(events[uid]["STATUS"])),
        (icaljs[uid]["summary"], icaljs[uid]["description"], icaljs[uid]["status"]),
    ):
        assert summary == "Cancelled: Clinic visit" and status == "CANCELLED"
        assert description.startswith("This visit is cancelled.")
        for gone in ("arrive", "No food", "Ride home", "pickup"):
            assert gone not in description
    assert icaljs[booked["uids"][0]]["summary"] == "Clinic visit"


def test_alarms_follow_the_patients_choice_made_through_the_api(client, patient_feed, booked, api_as):
    events, icaljs, before = _read(client, patient_feed)
    assert not any(event.walk("VALARM") for event in events.values())
    desk = api_as("frontdesk")
    answer = desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": True})
    assert answer.status_code == 200 and answer.json["calendar_alarms"] is True
    events, icaljs, after = _read(client, patient_feed)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]
    uid = booked["uids"][0]
    assert events[uid]["SEQUENCE"] > 0 and icaljs[uid]["sequence"] == events[uid]["SEQUENCE"]
    start = datetime.fromtimestamp(icaljs[uid]["start"], UTC)
    fires = {
        datetime.fromtimestamp(alarm["fires"], UTC): alarm["description"] for alarm in icaljs[uid]["alarms"]
    }
    with client.application.app_context():
        visit = db.session.scalar(select(Appointment).where(Appointment.uid == uid))
        pickup = visit.transport.pickup_at
    # At the food cut-off (two hours before a Spravato dose) and 30 minutes before the pickup.
    assert set(fires) == {start - timedelta(hours=2), pickup - timedelta(minutes=30)}
    assert (
        _clock_text(fires[start - timedelta(hours=2)]) == "No food from now on (clinic visit at 9:00 AM EST)"
    )
    assert "Ride home" in fires[pickup - timedelta(minutes=30)]
    assert len(events[uid].walk("VALARM")) == 2
    # Turning them off takes them out again, and moves the feed's version once more.
    assert (
        desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": False}).status_code
        == 200
    )
    events, _, off = _read(client, patient_feed)
    assert not any(event.walk("VALARM") for event in events.values())
    assert off.headers["ETag"] not in (before.headers["ETag"], after.headers["ETag"])
    assert (
        desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": "often"}).status_code
        == 422
    )


def test_a_cancelled_visit_has_no_alarm(client, patient_feed, booked, api_as):
    desk = api_as("frontdesk")
    desk.patch(f"/api/v1/patients/{booked['patient_id']}", json={"calendar_alarms": True})
    desk.post(f"/api/v1/appointments/{booked['appointments'][1]}/cancel", json={"reason": "Unwell"})
    events, icaljs, _ = _read(client, patient_feed)
    assert icaljs[booked["uids"][1]]["alarms"] == [] and not events[booked["uids"][1]].walk("VALARM")
    assert icaljs[booked["uids"][0]]["alarms"]


def test_provider_feed_uses_staff_wording_and_the_full_name_option_is_set_through_the_api(
    app, client, booked, api_as
):
    admin = api_as("admin")
    path = _path(admin.post(f"/api/v1/providers/{booked['provider_id']}/feed"))
    first, second = booked["appointments"][:2]
    with app.app_context():
        checked = db.session.get(Appointment, first)
        checked.status = VisitStatus.CHECKED_IN
        checked.checked_in_at = checked.start_at - timedelta(minutes=10)
        checked.updated_at = checked.checked_in_at
        done = db.session.get(Appointment, second)
        done.status, done.completed_at = VisitStatus.COMPLETED, done.end_at
        db.session.add(
            RemsForm(
                appointment_id=second, submitted_at=done.end_at, submitted_by_label="nurse", confirmation=""
            )
        )
        db.session.commit()
    events, icaljs, _ = _read(client, path)
    uid_first, uid_second, uid_third = booked["uids"][:3]
    text = _clock_text(icaljs[uid_first]["description"])
    assert "Check-in: checked in at 8:50 AM EST" in text
    assert "Chair: Room" in text
    assert "Ride home: missing (patient may not drive)" in text
    assert "REMS form: after discharge" in text
    assert "Patient phone: (617) 555-0123" in text
    for uid in booked["uids"]:
        assert "you cannot drive yourself" not in icaljs[uid]["description"]
        assert "Please arrive" not in icaljs[uid]["description"]
        assert icaljs[uid]["location"].startswith(FULL_NAME)
        assert str(events[uid]["DESCRIPTION"]) == icaljs[uid]["description"]
    assert "REMS form: sent" in icaljs[uid_second]["description"]
    assert "Check-in: discharged" in icaljs[uid_second]["description"]
    assert "Check-in: not checked in" in icaljs[uid_third]["description"]
    assert icaljs[uid_third]["summary"] == "Dose 3 · P. I."
    answer = admin.patch(f"/api/v1/providers/{booked['provider_id']}", json={"feed_full_names": True})
    assert answer.status_code == 200 and answer.json["feed_full_names"] is True
    _, icaljs, _ = _read(client, path)
    assert icaljs[uid_third]["summary"].startswith("Dose 3 · Pat Ient")
    bad = admin.patch(f"/api/v1/providers/{booked['provider_id']}", json={"feed_full_names": "yes please"})
    assert bad.status_code == 422 and "feed_full_names" in str(bad.json)


def test_location_feed_uses_staff_wording_without_the_patients_phone(client, booked, api_as):
    path = _path(api_as("admin").post(f"/api/v1/locations/{booked['location_id']}/feed"))
    _, icaljs, _ = _read(client, path)
    for event in icaljs.values():
        assert "Patient phone" not in event["description"] and "(617) 555-0123" not in event["description"]
        assert "Check-in:" in event["description"]
    doses = [event["summary"] for event in icaljs.values() if "Dose" in event["summary"]]
    assert len(doses) == 12 and all(summary.startswith("Room ") for summary in doses)
