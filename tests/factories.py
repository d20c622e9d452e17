"""Building test data through the real services, the way the app itself creates it."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Any

from flask.testing import FlaskClient

from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.auth import start_session
from clinic.services.chairs import create_chair
from clinic.services.locations import create_location
from clinic.services.patients import create_patient
from clinic.services.providers import create_provider
from clinic.services.users import create_user

FACTORY_ACTOR = Actor(user=None, label="test-factory", trusted=True)
FACTORY_NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
DEFAULT_PASSWORD = "correct horse battery staple"
WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

_sequence = count(1)


def _n() -> int:
    return next(_sequence)


def make_location(**fields: Any) -> Location:
    data = {
        "name": f"Location {_n()}",
        "timezone": "America/New_York",
        "address": "1 Main Street, Boston, MA",
        "opening_hours": WEEKDAY_HOURS,
        **fields,
    }
    return create_location(data, FACTORY_ACTOR, FACTORY_NOW)


def make_chair(location: Location, **fields: Any) -> Chair:
    data = {"location_id": location.id, "name": f"Chair {_n()}", "kind": "infusion_chair", **fields}
    return create_chair(data, FACTORY_ACTOR, FACTORY_NOW)


def make_provider(location: Location | None = None, **fields: Any) -> Provider:
    availability = []
    if location is not None:
        availability = [
            {"weekday": day, "start": time(8), "end": time(18), "location_id": location.id}
            for day in range(5)
        ]
    data = {
        "name": f"Provider {_n()}",
        "role": "prescriber",
        "email": f"provider{_n()}@example.com",
        "max_concurrent": 2,
        "availability": availability,
        **fields,
    }
    return create_provider(data, FACTORY_ACTOR, FACTORY_NOW)


def make_patient(**fields: Any) -> Patient:
    number = _n()
    data = {
        "first_name": "Pat",
        "last_name": f"Ient{number}",
        "date_of_birth": date(1985, 5, 17),
        "email": f"patient{number}@example.com",
        "phone": "+16175550123",
        "reminder_channels": ["email"],
        "reminder_consent": True,
        **fields,
    }
    return create_patient(data, FACTORY_ACTOR, FACTORY_NOW)


def make_user(role: str = "frontdesk", password: str = DEFAULT_PASSWORD, **fields: Any) -> User:
    email = fields.pop("email", f"{role}{_n()}@example.com")
    return create_user(email, password, role, FACTORY_ACTOR, FACTORY_NOW, **fields)


def bearer_for(user: User, now: datetime) -> dict[str, str]:
    """An Authorization header with a fresh API token of the user (committed)."""
    issued = start_session(user, "api", now)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.key}"}


class ApiClient:
    """A test client that sends the bearer token of one staff user with every request."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def _call(self, method: str, path: str, **kwargs: Any):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self._call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self._call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self._call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self._call("DELETE", path, **kwargs)


def make_clinic(**location_fields: Any) -> dict[str, Any]:
    """A location open Mon-Fri 08:00-18:00 with two Spravato rooms, two infusion chairs, a prescriber
    available there all week (two concurrent doses) and a REMS-enrolled patient. Returns their ids."""
    location = make_location(**location_fields)
    rooms = [make_chair(location, name=f"Room {n}", kind="spravato_room") for n in (1, 2)]
    chairs = [make_chair(location, name=f"Infusion {n}", kind="infusion_chair") for n in (1, 2)]
    provider = make_provider(location, max_concurrent=2)
    patient = make_patient(rems_enrolled_on=date(2027, 1, 4))
    db.session.commit()
    return {
        "location_id": location.id,
        "provider_id": provider.id,
        "patient_id": patient.id,
        "rooms": [room.id for room in rooms],
        "chairs": [chair.id for chair in chairs],
    }


def book_series(clinic: dict[str, Any], now: datetime, protocol: str = "spravato-induction", **fields: Any):
    """Book a series for the clinic's patient with its provider (Mon 8 March 2027, 09:00, by default)."""
    from clinic.services.series import create_series

    data = {
        "patient_id": clinic["patient_id"],
        "protocol": protocol,
        "location_id": clinic["location_id"],
        "provider_id": clinic["provider_id"],
        "start_date": date(2027, 3, 8),
        "start_time": time(9),
        "parameters": {},
        **fields,
    }
    series = create_series(data, FACTORY_ACTOR, now)
    db.session.commit()
    return series


def make_infusion_day(
    now: datetime,
    patient_name: tuple[str, str] = ("Ines", "Alvarez"),
    consult_patient_name: tuple[str, str] | None = ("Noor", "Haddad"),
) -> dict[str, Any]:
    """Mon 8 March 2027 in New York: an IV ketamine induction whose first infusion is 10:00-11:55 EST with the
    clinic's provider and, unless `consult_patient_name` is None, a 30-minute consult at 14:00 with a second
    provider (Dr Okafor) for another patient, without a chair. Staff users desk@ and doc@example.com exist."""
    from clinic.services.appointments import book_appointment

    ids = make_clinic()
    patient = db.session.get(Patient, ids["patient_id"])
    patient.first_name, patient.last_name = patient_name
    series = book_series(ids, now, "iv-ketamine-induction", start_time=time(10))
    day = {**ids, "infusion": series.appointments[0].id, "series": [a.id for a in series.appointments]}
    if consult_patient_name is not None:
        other_provider = make_provider(db.session.get(Location, ids["location_id"]), name="Dr Okafor")
        first, last = consult_patient_name
        other = make_patient(first_name=first, last_name=last)
        consult = book_appointment(
            {
                "patient_id": other.id,
                "kind": "consult",
                "location_id": ids["location_id"],
                "provider_id": other_provider.id,
                "start": datetime(2027, 3, 8, 19, 0, tzinfo=UTC),  # 14:00 in New York
            },
            FACTORY_ACTOR,
            now,
        )
        day |= {"consult": consult.id, "other_provider_id": other_provider.id, "other_patient_id": other.id}
    make_user("frontdesk", email="desk@example.com")
    make_user("provider", email="doc@example.com", provider_id=ids["provider_id"])
    db.session.commit()
    return day


def make_due_reminders(count: int, now: datetime, key_prefix: str = "load") -> int:
    """A follow-up a week ahead (real weekday, 15:00 UTC) and `count` e-mail reminders about it, all due a
    minute before `now`; for dispatch tests and benchmarks that drain a full outbox. Returns the visit id."""
    from sqlalchemy import insert

    from clinic.models.reminder import Reminder
    from clinic.services.appointments import book_appointment

    clinic = make_clinic()
    patient = make_patient(reminder_channels=["email"])
    db.session.commit()
    start = (now + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    visit = book_appointment(
        {
            "patient_id": patient.id,
            "kind": "follow_up",
            "location_id": clinic["location_id"],
            "provider_id": clinic["provider_id"],
            "start": start,
        },
        FACTORY_ACTOR,
        now,
    )
    db.session.flush()
    rows = [
        {
            "idempotency_key": f"{key_prefix}-{n:06d}",
            "kind": "visit_24h",
            "channel": "email",
            "appointment_id": visit.id,
            "patient_id": patient.id,
            "due_at": now - timedelta(minutes=1),
            "status": "pending",
            "attempts": 0,
            "status_reason": "",
            "recipient": "",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Reminder), rows)
    db.session.commit()
    return visit.id
