"""One Spravato patient through induction, with frozen time: plan items, alerts, roles."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from tests.factories import book_series, make_clinic, make_patient, make_provider
from tests.sessions import check_in_with_ride

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # total 8, item 9 = 0
DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)  # during the first dose (09:00 New York)


@pytest.fixture
def induction(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        doses = [a.id for a in series.appointments if a.kind == "dose"]
        follow_ups = [a.id for a in series.appointments if a.kind == "follow_up"]
        starts = {a.id: a.start_at for a in series.appointments}
        return {
            **clinic,
            "series_id": series.id,
            "doses": doses,
            "follow_ups": follow_ups,
            "starts": starts,
        }


@pytest.fixture
def doctor(api_as, induction):
    def signed_in():
        return api_as("provider", provider_id=induction["provider_id"])

    return signed_in


@pytest.fixture
def arrive(api_as):
    """The patient checks in for a dose: ``arrive(visit_id)`` (the clock must be in the check-in window)."""

    def check_in(visit_id):
        check_in_with_ride(api_as("frontdesk"), visit_id)

    return check_in


def _items(client, patient_id, code, appointment_id=None):
    plan = client.get(f"/api/v1/patients/{patient_id}/monitoring")
    assert plan.status_code == 200, plan.json
    items = [i for s in plan.json["series"] for i in s["items"] if i["code"] == code]
    if appointment_id is not None:
        items = [i for i in items if i["appointment_id"] == appointment_id]
    return items


def test_dose_items_become_due_then_overdue_or_done(app, clock, doctor, induction, arrive):
    first = induction["doses"][0]  # Mon 8 March 09:00 EST = 14:00 UTC
    clock.now = datetime(2027, 3, 8, 13, 0, tzinfo=UTC)
    client = doctor()
    [bp_pre] = _items(client, induction["patient_id"], "bp_pre", first)
    assert bp_pre["status"] == "upcoming"
    [phq] = _items(client, induction["patient_id"], "phq9_pre_dose", first)
    assert phq["status"] == "due"  # from 24 h before

    clock.now = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)
    assert _items(client, induction["patient_id"], "bp_pre", first)[0]["status"] == "due"
    arrive(first)
    recorded = client.post(
        f"/api/v1/appointments/{first}/measurements",
        json={"instrument": "bp", "timepoint": "pre", "systolic": 128, "diastolic": 82},
    )
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["alerts"] == []
    assert _items(client, induction["patient_id"], "bp_pre", first)[0]["status"] == "done"

    clock.now = datetime(2027, 3, 8, 14, 16, tzinfo=UTC)  # after the dose: the PHQ-9 was never taken
    assert _items(client, induction["patient_id"], "phq9_pre_dose", first)[0]["status"] == "overdue"
    overdue = client.get("/api/v1/monitoring/overdue").json
    assert any(o["item"]["code"] == "phq9_pre_dose" and o["item"]["appointment_id"] == first for o in overdue)

    clock.now = datetime(2027, 3, 8, 15, 10, tzinfo=UTC)  # 40 min after the 14:15 dose, post-40 due
    assert _items(client, induction["patient_id"], "bp_post40", first)[0]["status"] == "due"


def test_rems_form_is_due_within_seven_days_of_the_session(app, clock, doctor, induction, api_as):
    first = induction["doses"][0]
    clock.now = datetime(2027, 3, 8, 17, 0, tzinfo=UTC)  # the session ended at 11:30 EST
    client = doctor()
    [form] = _items(client, induction["patient_id"], "rems_monitoring_form", first)
    assert form["status"] == "due"
    assert form["deadline"] == "2027-03-16T04:00:00+00:00"  # through 15 March, as the REMS form says
    clock.now = datetime(2027, 3, 16, 3, 59, tzinfo=UTC)  # 23:59 EDT on the 7th day: still on time
    client = doctor()
    assert _items(client, induction["patient_id"], "rems_monitoring_form", first)[0]["status"] == "due"
    form = client.get(f"/api/v1/appointments/{first}/rems-form").json
    assert (form["due_by"], form["status"]) == ("2027-03-15", "due")
    clock.now = datetime(2027, 3, 16, 4, 1, tzinfo=UTC)
    client = doctor()
    assert _items(client, induction["patient_id"], "rems_monitoring_form", first)[0]["status"] == "overdue"
    not_completed = client.post(f"/api/v1/appointments/{first}/rems-form", json={})
    assert not_completed.status_code == 409


def test_follow_ups_appear_in_upcoming_and_if_cancelled_in_due_but_unbooked(
    app, clock, doctor, induction, api_as
):
    clock.now = datetime(2027, 4, 28, 12, 0, tzinfo=UTC)  # the 7-day follow-up is on 3 May
    client = doctor()
    upcoming = client.get("/api/v1/followups?days=14").json
    assert [u["appointment_id"] for u in upcoming["upcoming"]] == [induction["follow_ups"][0]]
    api_as("frontdesk").post(
        f"/api/v1/appointments/{induction['follow_ups'][0]}/cancel", json={"reason": "Travel"}
    )
    clock.now = datetime(2027, 5, 3, 12, 0, tzinfo=UTC)
    client = doctor()
    unbooked = client.get("/api/v1/followups?days=14").json["unbooked"]
    assert [u["item"]["code"] for u in unbooked] == ["follow_up_visit"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"instrument": "phq9", "items": [1, 1, 1, 1, 1, 1, 1, 1, 1]}, "phq9_item9"),
        ({"instrument": "bp", "timepoint": "pre", "systolic": 180, "diastolic": 90}, "bp_high_before_dose"),
        ({"instrument": "bp", "timepoint": "pre", "systolic": 150, "diastolic": 110}, "bp_high_before_dose"),
        (
            {"instrument": "bp", "timepoint": "discharge", "systolic": 182, "diastolic": 100},
            "bp_not_recovered",
        ),
    ],
)
def test_each_threshold_raises_an_alert_that_is_acknowledged_and_audited(
    app, clock, doctor, induction, arrive, body, code
):
    clock.now = DOSE_TIME
    client = doctor()
    first = induction["doses"][0]
    arrive(first)
    response = client.post(f"/api/v1/appointments/{first}/measurements", json=body)
    assert response.status_code == 201, response.json
    assert [a["code"] for a in response.json["alerts"]] == [code]
    alert_id = response.json["alerts"][0]["id"]
    assert [a["id"] for a in client.get("/api/v1/alerts").json] == [alert_id]
    acknowledged = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "Called the patient"})
    assert acknowledged.status_code == 200
    assert acknowledged.json["acknowledged_at"] == clock.now.isoformat()
    assert client.get("/api/v1/alerts").json == []
    assert client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 409
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.acknowledge"))
        assert event.details["alert_id"] == alert_id


def test_worsening_from_baseline_and_corrections_keep_the_original(app, clock, doctor, induction, arrive):
    first, second = induction["doses"][:2]
    clock.now = induction["starts"][first]
    arrive(first)
    baseline = doctor().post(
        f"/api/v1/appointments/{first}/measurements", json={"instrument": "phq9", "items": PHQ9_MILD}
    )
    assert baseline.json["alerts"] == []
    clock.now = induction["starts"][second]
    arrive(second)
    client = doctor()
    worse = client.post(
        f"/api/v1/appointments/{second}/measurements",
        json={"instrument": "phq9", "items": [2, 2, 2, 2, 2, 1, 1, 1, 0]},
    )
    assert [a["code"] for a in worse.json["alerts"]] == ["phq9_worsening"]
    corrected = client.post(
        f"/api/v1/measurements/{baseline.json['measurement']['id']}/corrections",
        json={
            "instrument": "phq9",
            "items": [1, 1, 1, 1, 1, 1, 1, 0, 0],
            "correction_reason": "Item 8 misread",
        },
    )
    assert corrected.status_code == 201
    assert corrected.json["measurement"]["amends_id"] == baseline.json["measurement"]["id"]
    history = client.get(f"/api/v1/patients/{induction['patient_id']}/monitoring").json["measurements"]
    original = next(m for m in history if m["id"] == baseline.json["measurement"]["id"])
    assert original["total"] == 8 and original["superseded_at"] is not None
    missing_reason = client.post(
        f"/api/v1/measurements/{corrected.json['measurement']['id']}/corrections",
        json={"instrument": "phq9", "items": PHQ9_MILD, "correction_reason": ""},
    )
    assert missing_reason.status_code == 422


def test_invalid_measurements_name_the_field(app, clock, doctor, induction, arrive):
    clock.now = DOSE_TIME
    client = doctor()
    first = induction["doses"][0]
    arrive(first)
    for body, field in (
        ({"instrument": "phq9", "items": [1, 2, 3]}, "items"),
        ({"instrument": "phq9", "items": [1, 1, 1, 1, 1, 1, 1, 1, 4]}, "items[8]"),
        ({"instrument": "bp", "timepoint": "pre", "systolic": 80, "diastolic": 90}, "diastolic"),
        ({"instrument": "bp", "timepoint": "later", "systolic": 120, "diastolic": 80}, "timepoint"),
        ({"instrument": "sedation", "moaas": 9}, "moaas"),
    ):
        response = client.post(f"/api/v1/appointments/{first}/measurements", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (field, response.json)


def test_front_desk_and_other_providers_see_no_clinical_data(app, api_as, doctor, induction):
    desk = api_as("frontdesk")
    first = induction["doses"][0]
    assert (
        desk.post(
            f"/api/v1/appointments/{first}/measurements", json={"instrument": "phq9", "items": PHQ9_MILD}
        ).status_code
        == 403
    )
    assert desk.get("/api/v1/alerts").status_code == 403
    assert desk.get(f"/api/v1/patients/{induction['patient_id']}/monitoring").status_code == 403
    with app.app_context():
        other = make_provider(None).id
        stranger = make_patient().id
        db.session.commit()
    outsider = api_as("provider", provider_id=other)
    # A patient outside the provider's care answers what an unknown id answers.
    assert outsider.get(f"/api/v1/patients/{induction['patient_id']}/monitoring").status_code == 404
    assert (
        outsider.post(
            f"/api/v1/appointments/{first}/measurements", json={"instrument": "phq9", "items": PHQ9_MILD}
        ).status_code
        == 404
    )
    assert (
        outsider.get(f"/api/v1/monitoring/overdue?provider_id={induction['provider_id']}").status_code == 403
    )
    assert doctor().get(f"/api/v1/patients/{stranger}/monitoring").status_code == 404


def test_the_digest_lists_overdue_monitoring_and_open_alerts(app, clock, doctor, induction, arrive):
    clock.now = DOSE_TIME
    client = doctor()
    first = induction["doses"][0]
    arrive(first)
    alerted = client.post(
        f"/api/v1/appointments/{first}/measurements",
        json={"instrument": "bp", "timepoint": "pre", "systolic": 190, "diastolic": 95},
    )
    assert alerted.status_code == 201, alerted.json
    clock.now = datetime(2027, 3, 9, 12, 0, tzinfo=UTC)
    with app.app_context():
        from clinic.models.provider import Provider
        from clinic.services.digests import render_provider_digest

        digest = render_provider_digest(
            db.session.get(Provider, induction["provider_id"]), clock.now, clock.now
        )
    assert "Open urgent alert for P. I." in digest.text
    assert "PHQ-9" in digest.text  # the pre-dose questionnaire of dose 1 was never recorded
