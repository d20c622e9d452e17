"""The clinic's own protocols: a copy of a built-in one with its phases, rules and checks changed."""

from datetime import date, time

from clinic.extensions import db
from tests.factories import FACTORY_ACTOR, make_clinic

EIGHT = {
    "code": "iv-ketamine-eight",
    "name": "IV ketamine, eight infusions",
    "based_on": "iv-ketamine-induction",
    "definition": {
        "phases": [{"doses": 8, "per_week": 2, "min_gap_days": 2, "day_offsets": [0, 3]}],
        "max_span_days": 28,
        "session": {"recheck_minutes": 10, "dose_mg_max": 150},
    },
}


def test_an_admin_copies_a_built_in_protocol_and_changes_its_phases_and_session_rules(app, clock, api_as):
    admin = api_as("admin")
    created = admin.post("/api/v1/protocols", json=EIGHT)
    assert created.status_code == 201, created.json
    assert (created.json["total_doses"], created.json["builtin"], created.json["active"]) == (8, False, True)
    session = created.json["definition"]["session"]
    assert (session["recheck_minutes"], session["dose_mg_max"]) == (10, 150)
    assert [c["name"] for c in session["checks"]] == ["bp_pre", "bp_discharge"]  # the copy keeps the checks
    assert "iv-ketamine-eight" in [p["code"] for p in admin.get("/api/v1/protocols").json]

    with app.app_context():
        from clinic.services.series import create_series

        clinic = make_clinic()
        series = create_series(
            {
                "patient_id": clinic["patient_id"],
                "protocol": "iv-ketamine-eight",
                "location_id": clinic["location_id"],
                "provider_id": clinic["provider_id"],
                "start_date": date(2027, 3, 8),
                "start_time": time(10),
                "parameters": {},
            },
            FACTORY_ACTOR,
            clock.now,
        )
        db.session.commit()
        assert len([a for a in series.appointments if a.kind == "dose"]) == 8


def test_a_definition_the_rules_refuse_is_a_422_naming_the_field_and_nothing_is_saved(app, clock, api_as):
    admin = api_as("admin")
    bad_phase = {
        **EIGHT,
        "definition": {"phases": [{"doses": 8, "per_week": 2, "min_gap_days": 2, "day_offsets": [0, 1]}]},
    }
    refused = admin.post("/api/v1/protocols", json=bad_phase)
    assert refused.status_code == 422 and "phases[0].day_offsets" in refused.json["errors"]
    bad_rule = {**EIGHT, "definition": {"session": {"urgent_systolic": 150}}}
    refused = admin.post("/api/v1/protocols", json=bad_rule)
    assert refused.status_code == 422 and "session.urgent_systolic" in refused.json["errors"]
    unknown = admin.post("/api/v1/protocols", json={**EIGHT, "based_on": "nope"})
    assert unknown.status_code == 422 and "based_on" in unknown.json["errors"]
    taken = admin.post("/api/v1/protocols", json={**EIGHT, "code": "spravato-induction"})
    assert taken.status_code == 422 and "code" in taken.json["errors"]
    assert "iv-ketamine-eight" not in [p["code"] for p in admin.get("/api/v1/protocols").json]


def test_clinic_protocols_change_and_withdraw_but_built_ins_stay_as_they_are(app, clock, api_as):
    admin = api_as("admin")
    assert admin.post("/api/v1/protocols", json=EIGHT).status_code == 201
    renamed = admin.patch(
        "/api/v1/protocols/iv-ketamine-eight",
        json={"name": "IV ketamine x8", "definition": {"monitoring_minutes": 90}},
    )
    assert renamed.status_code == 200 and renamed.json["name"] == "IV ketamine x8"
    assert renamed.json["definition"]["monitoring_minutes"] == 90
    assert renamed.json["definition"]["session"]["recheck_minutes"] == 10  # kept
    withdrawn = admin.patch("/api/v1/protocols/iv-ketamine-eight", json={"active": False})
    assert withdrawn.status_code == 200
    assert "iv-ketamine-eight" not in [p["code"] for p in admin.get("/api/v1/protocols").json]
    builtin = admin.patch("/api/v1/protocols/spravato-induction", json={"name": "Mine"})
    assert builtin.status_code == 409
    assert admin.patch("/api/v1/protocols/unknown", json={"name": "x"}).status_code == 404
    assert api_as("frontdesk").post("/api/v1/protocols", json=EIGHT).status_code == 403
