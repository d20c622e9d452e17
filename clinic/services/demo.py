"""An idempotent demo clinic for trying the app and for `make run`."""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from clinic.extensions import db
from clinic.models.location import Location
from clinic.models.provider import Provider
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.chairs import create_chair
from clinic.services.locations import create_location
from clinic.services.patients import create_patient
from clinic.services.providers import create_provider
from clinic.services.users import create_user

DEMO_LOCATION = "Riverside Clinic"
WEEKDAY_HOURS = [["08:00", "18:00"]]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str


DEMO_LOGINS = (
    DemoLogin("admin@demo.clinic", "demo-admin-password", "admin"),
    DemoLogin("frontdesk@demo.clinic", "demo-frontdesk-password", "frontdesk"),
    DemoLogin("provider@demo.clinic", "demo-provider-password", "provider"),
)

# (name, role, max concurrent dosing visits supervised)
DEMO_PROVIDERS = (
    ("Dr. Maya Okafor", "prescriber", 4),
    ("Dr. Samuel Reyes", "prescriber", 3),
    ("Nina Alvarez, RN", "nurse", 3),
    ("Jonah Whitfield, LCSW", "therapist", 1),
)

DEMO_PATIENTS = (
    ("Avery", "Lindqvist"),
    ("Jordan", "Mbeki"),
    ("Riley", "Castellanos"),
    ("Morgan", "Fairweather"),
    ("Casey", "Nakamura"),
    ("Quinn", "Oyelaran"),
    ("Taylor", "Brannigan"),
    ("Drew", "Halvorsen"),
    ("Jamie", "Petrakis"),
    ("Skyler", "Adebayo"),
    ("Rowan", "Kowalczyk"),
    ("Emerson", "Delacroix"),
    ("Hayden", "Sorensen"),
    ("Parker", "Vasquez-Lee"),
    ("Reese", "Thornbury"),
    ("Sawyer", "Iwu"),
    ("Finley", "Marchetti"),
    ("Dakota", "Ferreira"),
    ("Harper", "Zielinski"),
    ("Blake", "Okonkwo"),
)


def seed_demo(actor: Actor, now: datetime) -> bool:
    """Create the demo clinic unless it exists; True when something was created."""
    if db.session.scalar(select(Location.id).where(Location.name == DEMO_LOCATION)) is not None:
        return False
    location = _seed_location(actor, now)
    providers = _seed_providers(location, actor, now)
    _seed_patients(actor, now)
    _seed_logins(providers[0], actor, now)
    return True


def _seed_location(actor: Actor, now: datetime) -> Location:
    hours = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
    hours["sat"] = [["09:00", "13:00"]]
    location = create_location(
        {
            "name": DEMO_LOCATION,
            "timezone": "America/New_York",
            "address": "120 Harbor Street, Suite 300, Boston, MA 02110",
            "phone": "+16175550100",
            "opening_hours": hours,
            "allowed_transport_modes": ["driver", "taxi", "medical_transport"],
        },
        actor,
        now,
    )
    for number in range(1, 5):
        create_chair(
            {"location_id": location.id, "name": f"Infusion chair {number}", "kind": "infusion_chair"},
            actor,
            now,
        )
    for number in range(1, 3):
        create_chair(
            {"location_id": location.id, "name": f"Spravato room {number}", "kind": "spravato_room"},
            actor,
            now,
        )
    return location


def _seed_providers(location: Location, actor: Actor, now: datetime) -> list[Provider]:
    providers = []
    for index, (name, role, max_concurrent) in enumerate(DEMO_PROVIDERS):
        email = f"{name.split()[-1].strip(',').lower()}@demo.clinic"
        availability = [
            {"weekday": weekday, "start": time(8), "end": time(18), "location_id": location.id}
            for weekday in range(5)
            if (weekday + index) % 5 != 4  # everyone has one weekday off, on different days
        ]
        providers.append(
            create_provider(
                {
                    "name": name,
                    "role": role,
                    "email": email,
                    "max_concurrent": max_concurrent,
                    "availability": availability,
                },
                actor,
                now,
            )
        )
    return providers


def _seed_patients(actor: Actor, now: datetime) -> None:
    for index, (first, last) in enumerate(DEMO_PATIENTS):
        spravato = index % 2 == 0
        create_patient(
            {
                "first_name": first,
                "last_name": last,
                "date_of_birth": date(1960 + index * 2, 1 + index % 12, 1 + index),
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone": f"+1617555{1000 + index:04d}",
                "reminder_channels": ["email", "sms"] if index % 3 else ["email"],
                "reminder_consent": True,
                "rems_enrolled_on": date(2026, 1, 5) if spravato else None,
            },
            actor,
            now,
        )


def _seed_logins(prescriber: Provider, actor: Actor, now: datetime) -> None:
    for login in DEMO_LOGINS:
        if db.session.scalar(select(User.id).where(User.email == login.email)) is None:
            provider_id = prescriber.id if login.role == "provider" else None
            create_user(login.email, login.password, login.role, actor, now, provider_id)
