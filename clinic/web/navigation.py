"""The navigation bar: each entry names the roles that see it; entries of pages not built are left out."""

from typing import NamedTuple

from flask import current_app
from flask_login import current_user


class NavEntry(NamedTuple):
    endpoint: str
    label: str
    roles: tuple[str, ...]


NAV_ENTRIES = (
    NavEntry("web_home.index", "Home", ("admin", "frontdesk")),
    NavEntry("web_clinical.home", "Home", ("provider",)),
    NavEntry("web_today.index", "Today", ("frontdesk", "provider")),
    NavEntry("web_week.index", "Week", ("frontdesk", "provider")),
    NavEntry("web_floor.index", "Floor", ("frontdesk", "provider")),
    NavEntry("web_booking.index", "Book a series", ("frontdesk", "provider")),
    NavEntry("web_booking.visit", "Book a visit", ("frontdesk",)),
    NavEntry("web_patients.index", "Patients", ("frontdesk", "provider")),
    NavEntry("web_rides.at_risk", "At-risk rides", ("frontdesk",)),
    NavEntry("web_outbox.index", "Outbox", ("frontdesk",)),
    NavEntry("web_feeds.my_feed", "My calendar", ("provider",)),
    NavEntry("web_admin.index", "Clinic setup", ("admin",)),
    NavEntry("api-docs.openapi_swagger_ui", "API", ("admin",)),
)


def visible_entries(role: str | None) -> list[NavEntry]:
    if role is None:
        return []
    endpoints = current_app.view_functions
    return [entry for entry in NAV_ENTRIES if role in entry.roles and entry.endpoint in endpoints]


def inject_navigation() -> dict:
    role = current_user.role if current_user.is_authenticated else None
    return {"nav_entries": visible_entries(role)}
