"""An idempotent demo clinic for trying the app and for `make run`, busy at the moment it is seeded.

The demo is built relative to `now` (the CLI passes the current time, tests a frozen instant), so that right
after seeding the floor board has a visit in every phase, Today and the provider home have work on them, and
the at-risk list has a ride to chase (clinic.services.demo_scenes says what happens when).

Time of day. A visit in every phase needs the clinic open from about 2 h 20 min before `now` (the Spravato
patient who is ready to go home checked in then) until about 2 h 25 min after it (the infusion arriving in
half an hour holds its chair for almost two hours), all on the location's "today", since the floor shows
today's visits. Opening hours alone cannot promise that: at 03:00 or 23:30 in any one timezone no day-time
clinic is busy, and a clinic open around the clock would be a strange demo (and still empty just after
midnight, when "today" has only begun). So the demo clinic, Riverside Clinic, is open every day 07:00-21:00
with its staff on duty then, and it is placed in the first timezone of `DEMO_SITES` (New York first) where
the local time at seeding is between 09:30 and 18:30; the sites are spread around the world so one always
is. Weekends need nothing special: the clinic is open seven days a week.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.domain.localtime import local_date_of
from clinic.extensions import db
from clinic.models.chair import Chair
from clinic.models.location import Location
from clinic.models.patient import Patient
from clinic.models.provider import Provider
from clinic.models.user import User
from clinic.services.actor import Actor
from clinic.services.chairs import create_chair
from clinic.services.demo_scenes import THERAPY_PROTOCOL, Cast, seed_activity
from clinic.services.demo_sessions import Demo, family_contact
from clinic.services.locations import create_location
from clinic.services.patients import create_patient
from clinic.services.protocols import create_protocol
from clinic.services.providers import create_provider
from clinic.services.users import create_user

DEMO_LOCATION = "Riverside Clinic"
OPENS, CLOSES = time(7), time(21)
# The local times at seeding that leave room for the whole floor inside the opening hours (see above).
BUSY_FROM, BUSY_UNTIL = time(9, 30), time(18, 30)
# The clinic, its staff and its patients were set up this long before the demo's "now".
SET_UP_BEFORE = timedelta(days=60)


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


@dataclass(frozen=True)
class DemoSite:
    """Where the demo clinic may be: an IANA timezone with a made-up address (phone numbers from the ranges
    reserved for fiction, where the country has one)."""

    timezone: str
    address: str
    phone: str | None
    locale: str


# At most 8 hours apart around the globe, so the 9-hour busy window always holds one of them.
DEMO_SITES = (
    DemoSite("America/New_York", "120 Harbor Street, Suite 300, Boston, MA 02110", "+16175550100", "en_US"),
    DemoSite("America/Chicago", "455 Riverside Plaza, Chicago, IL 60606", "+13125550100", "en_US"),
    DemoSite("America/Denver", "1600 Platte Street, Denver, CO 80202", "+13035550100", "en_US"),
    DemoSite("America/Los_Angeles", "2200 Riverside Drive, Los Angeles, CA 90039", "+12135550100", "en_US"),
    DemoSite("Pacific/Honolulu", "700 Bishop Street, Suite 900, Honolulu, HI 96813", "+18085550100", "en_US"),
    DemoSite("Europe/London", "12 Riverside Walk, London SE1 9PP", "+442079460100", "en_GB"),
    DemoSite("Asia/Singapore", "8 Riverside Quay, #05-01, Singapore 179000", None, "en_SG"),
    DemoSite("Australia/Sydney", "88 Riverside Parade, Parramatta NSW 2150", "+61255500100", "en_AU"),
)

# (name, role, max concurrent dosing visits supervised)
DEMO_PROVIDERS = (
    ("Dr. Maya Okafor", "prescriber", 4),
    ("Dr. Samuel Reyes", "prescriber", 3),
    ("Nina Alvarez, RN", "nurse", 3),
    ("Jonah Whitfield, LCSW", "therapist", 1),
)

# (first name, last name, enrolled in the Spravato REMS)
DEMO_PATIENTS = (
    ("Avery", "Lindqvist", True),
    ("Jordan", "Mbeki", False),
    ("Riley", "Castellanos", True),
    ("Morgan", "Fairweather", False),
    ("Casey", "Nakamura", True),
    ("Quinn", "Oyelaran", False),
    ("Taylor", "Brannigan", True),
    ("Drew", "Halvorsen", False),
    ("Jamie", "Petrakis", True),
    ("Skyler", "Adebayo", False),
    ("Rowan", "Kowalczyk", True),
    ("Emerson", "Delacroix", False),
    ("Hayden", "Sorensen", True),
    ("Parker", "Vasquez-Lee", False),
    ("Reese", "Thornbury", True),
    ("Sawyer", "Iwu", False),
    ("Finley", "Marchetti", False),  # booked for Spravato, enrolment still due
    ("Dakota", "Ferreira", False),
    ("Harper", "Zielinski", True),
    ("Blake", "Okonkwo", False),
)


# Patients without a usual ride on file: their next infusion has no ride home yet (the at-risk list).
NO_USUAL_RIDE = frozenset({"Quinn"})


def demo_site(now: datetime) -> DemoSite:
    """The first site where the local time at `now` leaves room for a busy floor (see the module doc)."""
    for site in DEMO_SITES:
        local = now.astimezone(ZoneInfo(site.timezone)).time()
        if BUSY_FROM <= local < BUSY_UNTIL:
            return site
    return DEMO_SITES[0]  # not reached: the sites cover every hour


def demo_location() -> Location | None:
    """The demo clinic's location, once seeded."""
    return db.session.scalar(select(Location).where(Location.name == DEMO_LOCATION))


def seed_demo(actor: Actor, now: datetime) -> bool:
    """Create the demo clinic, busy at `now`, unless it exists; True when something was created."""
    if demo_location() is not None:
        return False
    set_up = now - SET_UP_BEFORE
    location = _seed_location(demo_site(now), actor, set_up)
    providers = _seed_providers(location, actor, set_up)
    patients = _seed_patients(actor, set_up)
    _seed_logins(providers[0], actor, set_up)
    _seed_protocols(actor, set_up)
    chairs = db.session.scalars(
        select(Chair)
        .where(Chair.location_id == location.id, Chair.kind == "infusion_chair")
        .order_by(Chair.id)
    )
    cast = Cast(
        patients={p.first_name: p for p in patients},
        prescriber=providers[0],
        second_prescriber=providers[1],
        nurse=providers[2],
        infusion_chairs=list(chairs),
    )
    seed_activity(Demo(location, actor, local_date_of(now, location.zone)), cast, now)
    return True


def _seed_protocols(actor: Actor, now: datetime) -> None:
    """The clinic's own IV induction: the built-in one with a video integration session after each dose."""
    create_protocol(
        THERAPY_PROTOCOL,
        "IV ketamine induction with integration",
        "iv-ketamine-induction",
        {"integration": {"within_days": 2, "every_doses": 1, "modality": "virtual"}},
        actor,
        now,
    )


def _seed_location(site: DemoSite, actor: Actor, now: datetime) -> Location:
    hours = [[OPENS.strftime("%H:%M"), CLOSES.strftime("%H:%M")]]
    location = create_location(
        {
            "name": DEMO_LOCATION,
            "timezone": site.timezone,
            "address": site.address,
            "phone": site.phone,
            "locale": site.locale,
            "opening_hours": {day: hours for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
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
    for name, role, max_concurrent in DEMO_PROVIDERS:
        email = f"{name.split()[-1].strip(',').lower()}@demo.clinic"
        # Clinicians cover the opening hours every day; the therapist sees patients on weekdays.
        days, start, end = (range(5), time(9), time(17)) if role == "therapist" else (range(7), OPENS, CLOSES)
        availability = [
            {"weekday": weekday, "start": start, "end": end, "location_id": location.id} for weekday in days
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


def _seed_patients(actor: Actor, now: datetime) -> list[Patient]:
    enrolled_on = local_date_of(now, "UTC") - timedelta(days=30)
    patients = []
    for index, (first, last, rems) in enumerate(DEMO_PATIENTS):
        contact, contact_phone = family_contact(index, last)
        ride = {"mode": "driver", "contact_name": contact, "contact_phone": contact_phone}
        data = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": date(1960 + index * 2, 1 + index % 12, 1 + index),
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "phone": f"+1617555{1000 + index:04d}",
            "reminder_channels": ["email", "sms"] if index % 3 else ["email"],
            "reminder_consent": True,
            "rems_enrolled_on": enrolled_on - timedelta(days=index) if rems else None,
            "emergency_contact_name": contact,
            "emergency_contact_phone": contact_phone,
            # The usual ride home, copied to each new dosing visit; the desk has none on file for these.
            "default_ride": None if first in NO_USUAL_RIDE else ride,
        }
        patients.append(create_patient(data, actor, now))
    return patients


def _seed_logins(prescriber: Provider, actor: Actor, now: datetime) -> None:
    for login in DEMO_LOGINS:
        if db.session.scalar(select(User.id).where(User.email == login.email)) is None:
            provider_id = prescriber.id if login.role == "provider" else None
            create_user(login.email, login.password, login.role, actor, now, provider_id)
