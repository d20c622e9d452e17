"""Running a dosing session through the API the way staff do: ride, check-in, dose, checks, discharge."""

from typing import Any

RIDE_VERIFIED = {
    "mode": "driver",
    "contact_name": "Sam Lindqvist",
    "contact_phone": "+16175550177",
    "status": "verified",
}


def bp(timepoint: str, systolic: int = 128, diastolic: int = 82) -> dict[str, Any]:
    return {"instrument": "bp", "timepoint": timepoint, "systolic": systolic, "diastolic": diastolic}


SEDATION_AWAKE = {"instrument": "sedation", "moaas": 5}
NO_DISSOCIATION = {"instrument": "dissociation", "cadss_total": 0}


def record(doctor, visit_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = doctor.post(f"/api/v1/appointments/{visit_id}/measurements", json=body)
    assert response.status_code == 201, response.json
    return response.json


def check_in_with_ride(desk, visit_id: int) -> None:
    """The escort is at the desk and the patient checks in (the clock must be in the check-in window)."""
    assert desk.put(f"/api/v1/appointments/{visit_id}/transport", json=RIDE_VERIFIED).status_code == 200
    checked_in = desk.post(f"/api/v1/appointments/{visit_id}/check-in", json={})
    assert checked_in.status_code == 200, checked_in.json


def dose(doctor, visit_id: int, dose_mg: float = 56, **fields: Any):
    return doctor.post(
        f"/api/v1/appointments/{visit_id}/dose",
        json={"dose_mg": dose_mg, "lot_number": "LOT-2027-A", **fields},
    )


def monitored_session(
    desk, doctor, visit_id: int, clock, *, spravato: bool = True, dose_mg: float = 56
) -> None:
    """Check in now, BP, dose, every check of the protocol, and the clock past the minimum monitoring:
    every discharge rule then holds (Spravato 120 minutes, IV ketamine 60)."""
    check_in_with_ride(desk, visit_id)
    record(doctor, visit_id, bp("pre"))
    given = dose(doctor, visit_id, dose_mg if spravato else 35)
    assert given.status_code == 201, given.json
    if spravato:
        clock.advance(minutes=40)
        record(doctor, visit_id, bp("post40", 138, 88))
        record(doctor, visit_id, SEDATION_AWAKE)
        record(doctor, visit_id, NO_DISSOCIATION)
        clock.advance(minutes=70)
    else:
        clock.advance(minutes=50)
    record(doctor, visit_id, bp("discharge", 124, 80))
    clock.advance(minutes=11)
