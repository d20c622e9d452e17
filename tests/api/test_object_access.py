"""Changing an id never reveals another patient's data: providers reach only the patients they treat."""

from datetime import date, time

import pytest

from clinic.extensions import db
from clinic.services.series import create_series
from tests.factories import FACTORY_ACTOR, make_clinic, make_patient, make_provider


@pytest.fixture
def two_practices(app, clock):
    """Patient A treated by provider A, patient B by provider B, each with a Spravato series."""
    with app.app_context():
        clinic = make_clinic()
        other_provider = make_provider(None, max_concurrent=2)
        from clinic.models.provider import ProviderAvailability

        for weekday in range(5):
            db.session.add(
                ProviderAvailability(
                    provider=other_provider,
                    weekday=weekday,
                    start=time(8),
                    end=time(18),
                    location_id=clinic["location_id"],
                )
            )
        other_patient = make_patient(rems_enrolled_on=date(2027, 1, 1))
        db.session.commit()
        ids = {}
        for key, patient_id, provider_id, at in (
            ("a", clinic["patient_id"], clinic["provider_id"], time(9)),
            ("b", other_patient.id, other_provider.id, time(13)),
        ):
            series = create_series(
                {
                    "patient_id": patient_id,
                    "protocol": "spravato-induction",
                    "location_id": clinic["location_id"],
                    "provider_id": provider_id,
                    "start_date": date(2027, 3, 8),
                    "start_time": at,
                    "parameters": {},
                },
                FACTORY_ACTOR,
                clock.now,
            )
            db.session.commit()
            ids[key] = {
                "patient": patient_id,
                "provider": provider_id,
                "series": series.id,
                "appointment": series.appointments[0].id,
            }
        return ids


def test_a_provider_cannot_reach_another_providers_patient_by_id(api_as, two_practices):
    a, b = two_practices["a"], two_practices["b"]
    doctor_a = api_as("provider", provider_id=a["provider"])
    own = [
        f"/api/v1/patients/{a['patient']}",
        f"/api/v1/series/{a['series']}",
        f"/api/v1/appointments/{a['appointment']}",
        f"/api/v1/appointments/{a['appointment']}/reminders",
        f"/api/v1/patients/{a['patient']}/monitoring",
    ]
    for path in own:
        assert doctor_a.get(path).status_code == 200, path
    for path in [
        p.replace(str(a[k]), str(b[k]), 1)
        for p, k in zip(own, ("patient", "series", "appointment", "appointment", "patient"), strict=True)
    ]:
        response = doctor_a.get(path)
        assert response.status_code == 404, path
        assert "Ient" not in response.get_data(as_text=True)
        # A foreign id answers exactly what an id that does not exist answers.
        foreign_id = path.rstrip("/").split("/")[4]
        unknown = doctor_a.get(path.replace(foreign_id, "999999", 1))
        assert unknown.status_code == 404
        assert response.json["detail"].replace(foreign_id, "999999") == unknown.json["detail"]
    listed = doctor_a.get("/api/v1/appointments").json
    assert {v["patient_id"] for v in listed} == {a["patient"]}
    assert doctor_a.get(f"/api/v1/appointments?provider_id={b['provider']}").status_code == 403
    assert {p["id"] for p in doctor_a.get("/api/v1/patients").json} == {a["patient"]}
    assert (
        doctor_a.post(
            f"/api/v1/appointments/{b['appointment']}/measurements",
            json={"instrument": "sedation", "moaas": 5},
        ).status_code
        == 404
    )
    assert doctor_a.post(f"/api/v1/providers/{b['provider']}/feed").status_code == 404


def test_admins_manage_the_clinic_not_patients(api_as, two_practices):
    admin = api_as("admin")
    a = two_practices["a"]
    for path in (
        f"/api/v1/patients/{a['patient']}",
        f"/api/v1/appointments/{a['appointment']}",
        f"/api/v1/series/{a['series']}",
        "/api/v1/appointments",
        "/api/v1/patients",
    ):
        assert admin.get(path).status_code == 403, path
