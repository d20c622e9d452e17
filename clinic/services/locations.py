"""Managing locations, their closure days and the public holidays imported as closures."""

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from babel import Locale, UnknownLocaleError
from sqlalchemy import select

from clinic.domain.plausible import visit_days
from clinic.domain.policy import Action
from clinic.extensions import db
from clinic.formatting import Place, Where
from clinic.models.location import Location, LocationClosure
from clinic.services.access import authorize
from clinic.services.actor import Actor
from clinic.services.audit import changed_fields, record_event
from clinic.services.errors import Invalid, NotFound

LOCATION_FIELDS = (
    "name",
    "public_name",
    "timezone",
    "locale",
    "address",
    "phone",
    "opening_hours",
    "allowed_transport_modes",
)
def home_place() -> Where:
    """The conventions of the clinic's first location (zone and locale), for what belongs to no one location:
    a user's last sign-in, a phone number typed without its country code. UTC and en_US only while the clinic
    has no location."""
    row = db.session.execute(
        select(Location.timezone, Location.locale).order_by(Location.id).limit(1)
    ).first()
    return Place(ZoneInfo(row.timezone), row.locale) if row else Place(ZoneInfo("UTC"))


# The locales the setup page offers; the API accepts any locale Babel knows, written the same way.
COMMON_LOCALES = (
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "es_US",
    "es_ES",
    "fr_FR",
    "fr_CA",
    "de_DE",
    "nl_NL",
    "it_IT",
)
_LOCALE_SHAPE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
MAX_REASON = 200


def _check_name_free(name: str, location_id: int | None = None) -> None:
    existing = db.session.scalar(select(Location.id).where(Location.name == name))
    if existing is not None and existing != location_id:
        raise Invalid.field("name", "A location with this name already exists")


def is_known_locale(name: str) -> bool:
    """Whether `name` is a CLDR locale written the usual way (``en_US``, ``de``), so dates and numbers can
    be shown in it."""
    if not isinstance(name, str) or not _LOCALE_SHAPE.match(name):
        return False
    try:
        # Babel fills an unknown territory with a likely one (en_ZZ -> en_US): only an exact match is known.
        return str(Locale.parse(name)) == name
    except (ValueError, UnknownLocaleError):
        return False


def _check_locale(data: dict[str, Any]) -> None:
    if "locale" in data and not is_known_locale(data["locale"]):
        raise Invalid.field("locale", "Not a known locale; write it like en_US or de_DE")


def create_location(data: dict[str, Any], actor: Actor, now: datetime) -> Location:
    """Create a location from validated fields (a public name of "" means patients see `name`)."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    _check_name_free(data["name"])
    _check_locale(data)
    location = Location(created_at=now, **{k: v for k, v in data.items() if k in LOCATION_FIELDS})
    db.session.add(location)
    db.session.flush()
    record_event(actor, "location.create", now, object_type="location", object_id=location.id)
    return location


def update_location(location: Location, changes: dict[str, Any], actor: Actor, now: datetime) -> Location:
    """Change a location's fields."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if "name" in changes:
        _check_name_free(changes["name"], location.id)
    _check_locale(changes)
    before = {field: getattr(location, field) for field in LOCATION_FIELDS}
    for field in LOCATION_FIELDS:
        if field in changes:
            setattr(location, field, changes[field])
    after = {field: getattr(location, field) for field in LOCATION_FIELDS}
    record_event(
        actor,
        "location.update",
        now,
        object_type="location",
        object_id=location.id,
        details={"fields": changed_fields(before, after)},
    )
    return location


def list_locations() -> list[Location]:
    return list(db.session.scalars(select(Location).order_by(Location.name)))


def add_closure(location: Location, day: date, reason: str, actor: Actor, now: datetime) -> LocationClosure:
    """Close a location for a day (a holiday, a training day)."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    if any(closure.date == day for closure in location.closures):
        raise Invalid.field("date", f"{day.isoformat()} is already a closure day")
    closure = LocationClosure(location=location, date=day, reason=reason)
    db.session.add(closure)
    db.session.flush()
    record_event(
        actor,
        "location.closure.add",
        now,
        object_type="location",
        object_id=location.id,
        details={"date": day.isoformat()},
    )
    return closure


def remove_closure(location: Location, closure_id: int, actor: Actor, now: datetime) -> None:
    """Reopen a closure day."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    closure = next((c for c in location.closures if c.id == closure_id), None)
    if closure is None:
        raise NotFound(f"No closure with id {closure_id} at this location")
    location.closures.remove(closure)
    record_event(
        actor,
        "location.closure.remove",
        now,
        object_type="location",
        object_id=location.id,
        details={"date": closure.date.isoformat()},
    )


# --- public holidays ------------------------------------------------------------------------------


def holiday_countries() -> dict[str, list[str]]:
    """ISO 3166 country code -> the subdivision codes the holiday calendar knows for it."""
    return holidays.list_supported_countries(include_aliases=False)


def holiday_years(now: datetime) -> range:
    """The years whose holidays can be imported: those in which closures can be entered (see
    `clinic.domain.plausible.visit_days`)."""
    days = visit_days(now)
    return range(days.earliest.year, days.latest.year + 1)


def public_holidays(
    country: str, subdivision: str | None, years: Iterable[int], locale: str = "en_US"
) -> list[tuple[date, str]]:
    """The public holidays of a country (and one of its subdivisions) in the given years, named in the
    location's language where the calendar has it; Invalid naming `country` or `subdivision` otherwise."""
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip().upper() or None
    supported = holiday_countries()
    if country not in supported:
        raise Invalid.field("country", "Not a country the holiday calendar knows (use an ISO code, e.g. US)")
    if subdivision is not None and subdivision not in supported[country]:
        raise Invalid.field("subdivision", f"Not a subdivision of {country} the holiday calendar knows")
    # Without years the calendar computes nothing: it only tells which languages it names holidays in.
    languages = getattr(holidays.country_holidays(country, subdiv=subdivision), "supported_languages", ())
    entity = holidays.country_holidays(
        country, subdiv=subdivision, years=sorted(set(years)), language=_holiday_language(languages, locale)
    )
    return sorted(entity.items())


def _holiday_language(supported: Iterable[str], locale: str) -> str | None:
    supported = tuple(supported)
    for candidate in (locale, locale.split("_")[0]):
        if candidate in supported:
            return candidate
    return None


def import_public_holidays(
    location: Location,
    country: str,
    subdivision: str | None,
    years: list[int],
    actor: Actor,
    now: datetime,
) -> list[LocationClosure]:
    """Close the location on each public holiday of the years that is not a closure day yet (the reason is
    the holiday's name); returns the closures created. Years outside `holiday_years` are refused."""
    authorize(actor, Action.CLINIC_CONFIGURE)
    allowed = holiday_years(now)
    if not years or any(year not in allowed for year in years):
        raise Invalid.field("years", f"Choose years between {allowed.start} and {allowed.stop - 1}")
    found = public_holidays(country, subdivision, years, location.locale or "en_US")
    days = visit_days(now)
    closed = {closure.date for closure in location.closures}
    created = []
    for day, name in found:
        if day in closed or day not in days:
            continue
        closure = LocationClosure(location=location, date=day, reason=name[:MAX_REASON])
        db.session.add(closure)
        closed.add(day)
        created.append(closure)
    db.session.flush()
    record_event(
        actor,
        "location.holidays.import",
        now,
        object_type="location",
        object_id=location.id,
        details={
            "country": country.strip().upper(),
            "subdivision": (subdivision or "").strip().upper(),
            "years": sorted(set(years)),
            "dates": [closure.date.isoformat() for closure in created],
        },
    )
    return created
