"""Every read of a patient's records, on the API and the pages, leaves an audit row naming the reader."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models.audit import AuditEvent
from clinic.services.reminders import plan_reminders
from tests.factories import book_series, make_clinic, make_user
from tests.sessions import bp, check_in_with_ride, record
from tests.web.test_login import _sign_in

DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)


@pytest.fixture
def visit(app, clock):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        plan_reminders(series.appointments, clock.now)
        make_user("frontdesk", email="desk@example.com")
        make_user("provider", email="doc@example.com", provider_id=clinic["provider_id"])
        db.session.commit()
        return {**clinic, "series": series.id, "dose": series.appointments[0].id}


def _reads(app, patient_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "patient.read", AuditEvent.object_id == str(patient_id)
            )
        ).all()
        return [(e.actor_label, e.details["via"]) for e in events]


API_READS = {
    "frontdesk": [
        "/api/v1/appointments",
        "/api/v1/appointments/{dose}",
        "/api/v1/series/{series}",
        "/api/v1/transport/at-risk?hours=168",
        "/api/v1/appointments/{dose}/reminders",
    ],
    "provider": ["/api/v1/alerts", "/api/v1/patients/{patient_id}/monitoring"],
}


@pytest.mark.parametrize(
    ("role", "path"), [(role, path) for role, paths in API_READS.items() for path in paths]
)
def test_each_api_read_of_patient_data_is_audited(app, clock, api_as, visit, role, path):
    clock.now = DOSE_TIME
    email = f"{role}-reader@example.com"
    client = api_as(
        role, email=email, **({"provider_id": visit["provider_id"]} if role == "provider" else {})
    )
    if role == "provider":
        check_in_with_ride(api_as("frontdesk"), visit["dose"])
        record(client, visit["dose"], bp("pre", 190, 95))
    before = len(_reads(app, visit["patient_id"]))
    response = client.get(path.format(**visit))
    assert response.status_code == 200, response.get_data(as_text=True)
    reads = _reads(app, visit["patient_id"])
    assert len(reads) == before + 1
    assert reads[-1][0] == email


PAGE_READS = {
    "desk@example.com": [
        "/appointments/{dose}",
        "/today/?date=2027-03-08",
        "/rides/at-risk?hours=168",
        "/outbox/",
        "/book/?patient_id={patient_id}",
        "/patients/{patient_id}",
    ],
    "doc@example.com": ["/appointments/{dose}/rems-form", "/patients/{patient_id}/timeline", "/provider"],
}


@pytest.mark.parametrize(
    ("email", "path"), [(email, path) for email, paths in PAGE_READS.items() for path in paths]
)
def test_each_page_showing_patient_data_is_audited(app, client, clock, visit, email, path):
    clock.now = datetime(2027, 3, 5, 15, tzinfo=UTC)
    _sign_in(client, email=email)
    response = client.get(path.format(**visit))
    assert response.status_code == 200
    reads = _reads(app, visit["patient_id"])
    assert reads and reads[-1][0] == email


def test_a_refused_read_discloses_nothing_and_is_not_a_read(app, api_as, visit):
    outsider = api_as("provider", email="outsider@example.com")
    assert outsider.get(f"/api/v1/appointments/{visit['dose']}").status_code == 404
    assert all(label != "outsider@example.com" for label, _ in _reads(app, visit["patient_id"]))
