"""A request either answers 2xx and is saved, or answers an error and writes nothing.

Every write endpoint of the API is called with a valid request while building its answer fails: the use case
has done its work, the answer cannot be sent, and nothing of it may be in the database afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from clinic.api.smorest import ApiBlueprint
from clinic.extensions import db
from clinic.models.message import InboundMessage
from tests.factories import DEFAULT_PASSWORD, book_series, make_clinic, make_patient, make_user
from tests.sessions import monitored_session

DOSE_TIME = datetime(2027, 3, 8, 14, 5, tzinfo=UTC)  # during the first dose (09:00 New York)


@dataclass(frozen=True)
class Case:
    role: str
    method: str
    path: str
    body: dict | None = None
    prepare: Callable | None = None
    at: datetime | None = None
    ids: dict = field(default_factory=dict)


def _checked_in(api, w):
    api.post(f"/api/v1/appointments/{w['dose']}/check-in", json={"override_reason": "ride on its way"})


def _monitored(api, w):
    monitored_session(api.frontdesk, api.doctor, w["dose"], api.clock)


def _completed(api, w):
    _monitored(api, w)
    api.post(f"/api/v1/appointments/{w['dose']}/complete", json={})


def _dosed(api, w):
    _checked_in(api, w)
    api.doctor.post(f"/api/v1/appointments/{w['dose']}/dose", json={"dose_mg": 56, "lot_number": "LOT-1"})


def _measured(api, w):
    _checked_in(api, w)
    w["measurement"] = api.doctor.post(
        f"/api/v1/appointments/{w['dose']}/measurements", json={"instrument": "sedation", "moaas": 5}
    ).json["measurement"]["id"]


def _alerted(api, w):
    _checked_in(api, w)
    body = {"instrument": "bp", "timepoint": "pre", "systolic": 190, "diastolic": 95}
    w["alert"] = api.doctor.post(f"/api/v1/appointments/{w['dose']}/measurements", json=body).json["alerts"][
        0
    ]["id"]


def _closure(api, w):
    w["closure"] = api.admin.post(
        f"/api/v1/locations/{w['location_id']}/closures", json={"date": "2027-12-24", "reason": "Holiday"}
    ).json["id"]


TIME_OFF = {"start": "2027-03-15T08:00:00-04:00", "end": "2027-03-15T18:00:00-04:00", "reason": "Training"}


def _protocol(api, w):
    body = {"code": "iv-ketamine-ours", "name": "IV ketamine, ours", "based_on": "iv-ketamine-induction"}
    w["clinic_protocol"] = api.admin.post("/api/v1/protocols", json=body).json["code"]


def _time_off(api, w):
    w["time_off"] = api.admin.post(f"/api/v1/providers/{w['provider_id']}/time-off", json=TIME_OFF).json["id"]


def _feed(kind):
    def issue(api, w):
        client = api.admin if kind in ("provider", "location") else api
        key = {"patient": "patient_id", "provider": "provider_id", "location": "location_id"}[kind]
        client.post(f"/api/v1/{kind}s/{w[key]}/feed")

    return issue


def _inbound_message(api, w):
    with api.frontdesk.client.application.app_context():
        message = InboundMessage(
            provider_message_id="SM0001",
            from_number="+16175550199",
            body="Running late",
            received_at=api.clock.now,
        )
        db.session.add(message)
        db.session.commit()
        w["message"] = message.id


NEW_PATIENT = {"first_name": "Riley", "last_name": "Castellanos", "date_of_birth": "1990-05-01"}
RIDE = {"mode": "driver", "contact_name": "Sam", "contact_phone": "+16175550100", "status": "arranged"}

CASES = {
    "location create": Case(
        "admin",
        "POST",
        "/api/v1/locations",
        {"name": "Harbor", "timezone": "America/Chicago", "opening_hours": {"mon": [["08:00", "17:00"]]}},
    ),
    "location change": Case("admin", "PATCH", "/api/v1/locations/{location_id}", {"name": "Renamed"}),
    "closure add": Case(
        "admin", "POST", "/api/v1/locations/{location_id}/closures", {"date": "2027-12-24", "reason": "x"}
    ),
    "closure remove": Case(
        "admin", "DELETE", "/api/v1/locations/{location_id}/closures/{closure}", prepare=_closure
    ),
    "holidays import": Case(
        "admin", "POST", "/api/v1/locations/{location_id}/holidays", {"country": "US", "years": [2027]}
    ),
    "chair create": Case(
        "admin", "POST", "/api/v1/chairs", {"location_id": "{location_id}", "name": "Chair 9"}
    ),
    "chair change": Case("admin", "PATCH", "/api/v1/chairs/{chair}", {"name": "Window chair"}),
    "provider create": Case(
        "admin", "POST", "/api/v1/providers", {"name": "Ana Ruiz, RN", "role": "nurse", "email": "ana@x.org"}
    ),
    "provider change": Case("admin", "PATCH", "/api/v1/providers/{provider_id}", {"max_concurrent": 3}),
    "provider time off add": Case("admin", "POST", "/api/v1/providers/{provider_id}/time-off", TIME_OFF),
    "provider time off remove": Case(
        "admin", "DELETE", "/api/v1/providers/{provider_id}/time-off/{time_off}", prepare=_time_off
    ),
    "user create": Case(
        "admin",
        "POST",
        "/api/v1/users",
        {"email": "new.desk@example.com", "password": "harbor-lantern-quietly-47", "role": "frontdesk"},
    ),
    "user change": Case("admin", "PATCH", "/api/v1/users/{desk_user}", {"active": False}),
    "provider feed issue": Case("admin", "POST", "/api/v1/providers/{provider_id}/feed"),
    "provider feed revoke": Case(
        "admin", "DELETE", "/api/v1/providers/{provider_id}/feed", prepare=_feed("provider")
    ),
    "location feed issue": Case("admin", "POST", "/api/v1/locations/{location_id}/feed"),
    "location feed revoke": Case(
        "admin", "DELETE", "/api/v1/locations/{location_id}/feed", prepare=_feed("location")
    ),
    "message handled": Case(
        "frontdesk", "POST", "/api/v1/messages/{message}/handled", prepare=_inbound_message
    ),
    "patient register": Case("frontdesk", "POST", "/api/v1/patients", NEW_PATIENT),
    "patient change": Case("frontdesk", "PATCH", "/api/v1/patients/{patient_id}", {"phone": "+16175550199"}),
    "patient feed issue": Case("frontdesk", "POST", "/api/v1/patients/{patient_id}/feed"),
    "patient feed revoke": Case(
        "frontdesk", "DELETE", "/api/v1/patients/{patient_id}/feed", prepare=_feed("patient")
    ),
    "series book": Case(
        "frontdesk",
        "POST",
        "/api/v1/series",
        {
            "patient_id": "{other_patient}",
            "protocol": "spravato-maintenance",
            "location_id": "{location_id}",
            "provider_id": "{provider_id}",
            "start_date": "2027-04-05",
            "start_time": "11:00",
            "rems_override_reason": "Enrolment form faxed today",
        },
    ),
    "series cancel": Case("frontdesk", "POST", "/api/v1/series/{series}/cancel", {"reason": "Moving away"}),
    "series replan": Case(
        "frontdesk", "POST", "/api/v1/series/{series}/replan", {"start_date": "2027-03-22"}
    ),
    "series ride set": Case(
        "frontdesk",
        "PUT",
        "/api/v1/series/{series}/ride",
        {"mode": "driver", "contact_name": "Sam Lindqvist", "contact_phone": "+16175550177"},
    ),
    "series ride clear": Case("frontdesk", "DELETE", "/api/v1/series/{series}/ride"),
    "protocol create": Case(
        "admin",
        "POST",
        "/api/v1/protocols",
        {"code": "iv-ketamine-eight", "name": "IV ketamine x8", "based_on": "iv-ketamine-induction"},
    ),
    "protocol change": Case(
        "admin", "PATCH", "/api/v1/protocols/{clinic_protocol}", {"name": "Ours"}, prepare=_protocol
    ),
    "visit book": Case(
        "frontdesk",
        "POST",
        "/api/v1/appointments",
        {
            "patient_id": "{other_patient}",
            "kind": "consult",
            "location_id": "{location_id}",
            "provider_id": "{provider_id}",
            "start": "2027-03-03T10:00:00-05:00",
        },
    ),
    "visit move": Case(
        "frontdesk", "PATCH", "/api/v1/appointments/{dose}", {"start": "2027-03-08T10:00:00-05:00"}
    ),
    "questionnaire link send": Case("frontdesk", "POST", "/api/v1/appointments/{dose}/questionnaire-link"),
    "visit cancel": Case("frontdesk", "POST", "/api/v1/appointments/{dose}/cancel", {"reason": "Unwell"}),
    "visit no-show": Case("frontdesk", "POST", "/api/v1/appointments/{dose}/no-show", at=DOSE_TIME),
    "ride record": Case("frontdesk", "PUT", "/api/v1/appointments/{dose}/transport", RIDE),
    "check in": Case(
        "frontdesk",
        "POST",
        "/api/v1/appointments/{dose}/check-in",
        {"override_reason": "ride on its way"},
        at=DOSE_TIME,
    ),
    "undo check-in": Case(
        "frontdesk",
        "POST",
        "/api/v1/appointments/{dose}/undo-check-in",
        {"reason": "checked in the wrong patient"},
        prepare=_checked_in,
        at=DOSE_TIME,
    ),
    "dose record": Case(
        "provider",
        "POST",
        "/api/v1/appointments/{dose}/dose",
        {"dose_mg": 56, "lot_number": "LOT-1"},
        prepare=_checked_in,
        at=DOSE_TIME,
    ),
    "dose correct": Case(
        "provider",
        "POST",
        "/api/v1/appointments/{dose}/dose",
        {"dose_mg": 84, "lot_number": "LOT-1", "correction_reason": "three devices, not two"},
        prepare=_dosed,
        at=DOSE_TIME,
    ),
    "discharge": Case(
        "frontdesk",
        "POST",
        "/api/v1/appointments/{dose}/complete",
        {},
        prepare=_monitored,
        at=DOSE_TIME,
    ),
    "discharge override": Case(
        "provider",
        "POST",
        "/api/v1/appointments/{dose}/complete",
        {"override_reason": "left against advice after 90 minutes, escort present"},
        prepare=_dosed,
        at=DOSE_TIME,
    ),
    "measurement record": Case(
        "provider",
        "POST",
        "/api/v1/appointments/{dose}/measurements",
        {"instrument": "phq9", "items": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
        prepare=_checked_in,
        at=DOSE_TIME,
    ),
    "measurement correct": Case(
        "provider",
        "POST",
        "/api/v1/measurements/{measurement}/corrections",
        {"instrument": "sedation", "moaas": 4, "correction_reason": "misread"},
        prepare=_measured,
        at=DOSE_TIME,
    ),
    "alert acknowledge": Case(
        "provider",
        "POST",
        "/api/v1/alerts/{alert}/acknowledge",
        {"note": "Called"},
        prepare=_alerted,
        at=DOSE_TIME,
    ),
    "REMS form submit": Case(
        "provider",
        "POST",
        "/api/v1/appointments/{dose}/rems-form",
        {"confirmation": "RX-1"},
        prepare=_completed,
        at=DOSE_TIME,
    ),
    "sign in": Case(
        "anonymous", "POST", "/api/v1/auth/token", {"email": "desk@example.com", "password": DEFAULT_PASSWORD}
    ),
    "sign out": Case("frontdesk", "DELETE", "/api/v1/auth/token"),
}

# POST endpoints that only compute an answer (previews): nothing to write, nothing to roll back.
READ_ONLY_POSTS = {"/api/v1/series/preview", "/api/v1/appointments/<int:appointment_id>/reschedule-preview"}


def test_every_write_endpoint_is_covered(app):
    """A new write endpoint must join CASES, so this promise stays checked."""
    writes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if rule.rule not in READ_ONLY_POSTS
    }
    covered = set()
    for case in CASES.values():
        pattern = case.path
        for rule in app.url_map.iter_rules():
            if case.method in rule.methods and _matches(rule.rule, pattern):
                covered.add((case.method, rule.rule))
    assert writes - covered == set()


def _matches(rule: str, pattern: str) -> bool:
    rule_parts, pattern_parts = rule.split("/"), pattern.split("/")
    return len(rule_parts) == len(pattern_parts) and all(
        r == p or (r.startswith("<") and p.startswith("{"))
        for r, p in zip(rule_parts, pattern_parts, strict=True)
    )


class Clients:
    def __init__(self, api_as, doctor_provider: int, clock):
        self.clock = clock
        self.frontdesk = api_as("frontdesk", email="desk@example.com")
        self.admin = api_as("admin")
        self.doctor = api_as("provider", provider_id=doctor_provider)

    def post(self, *args, **kwargs):
        return self.frontdesk.post(*args, **kwargs)


@pytest.fixture
def world(app, clock, api_as):
    with app.app_context():
        clinic = make_clinic()
        series = book_series(clinic, clock.now)
        other = make_patient()
        db.session.commit()
        w = {
            **clinic,
            "chair": clinic["rooms"][0],
            "series": series.id,
            "dose": series.appointments[0].id,
            "other_patient": other.id,
        }
    with app.app_context():
        w["desk_user"] = make_user("frontdesk").id
        db.session.commit()
    return w, lambda: Clients(api_as, clinic["provider_id"], clock)


def _snapshot(app) -> dict[str, list]:
    with app.app_context():
        tables = sorted(t.name for t in db.metadata.sorted_tables)
        return {
            name: sorted(map(repr, db.session.execute(text(f"SELECT * FROM {name}")).all()))  # noqa: S608
            for name in tables
        }


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(clients, case, ids):
    client = {"admin": clients.admin, "frontdesk": clients.frontdesk, "provider": clients.doctor}.get(
        case.role
    )
    path = case.path.format(**ids)
    body = _fill(case.body, ids) if case.body is not None else None
    if client is None:
        return clients.frontdesk.client.open(path, method=case.method, json=body)
    return client._call(case.method, path, **({"json": body} if body is not None else {}))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_request_whose_answer_fails_writes_nothing(app, clock, world, monkeypatch, name):
    case = CASES[name]
    ids, sign_in = world
    if case.at is not None:
        clock.now = case.at
    clients = sign_in()
    if case.prepare is not None:
        case.prepare(clients, ids)
    before = _snapshot(app)

    def answer_cannot_be_built(data):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(ApiBlueprint, "_prepare_response_content", staticmethod(answer_cannot_be_built))
    failed = _call(clients, case, ids)
    assert failed.status_code == 500, failed.get_data(as_text=True)
    assert _snapshot(app) == before

    monkeypatch.undo()
    saved = _call(clients, case, ids)
    assert saved.status_code < 300, saved.get_data(as_text=True)
    assert _snapshot(app) != before


def test_a_rejected_ride_leaves_every_list_working(app, world):
    ids, sign_in = world
    clients = sign_in()
    bad = clients.frontdesk.put(
        f"/api/v1/appointments/{ids['dose']}/transport", json={**RIDE, "pickup_at": "0001-01-01T00:00:00Z"}
    )
    assert bad.status_code == 422
    for path in (
        f"/api/v1/appointments/{ids['dose']}",
        "/api/v1/appointments",
        "/api/v1/transport/at-risk?hours=168",
    ):
        assert clients.frontdesk.get(path).status_code == 200, path
