"""The one navigation menu: each entry names the roles that see it and the pages it stands for; entries of
pages not built are left out."""

from typing import NamedTuple

from flask import current_app, request, url_for
from flask_login import current_user


class NavEntry(NamedTuple):
    endpoint: str
    label: str
    roles: tuple[str, ...]
    # Other endpoints (or blueprint names ending in ".") that belong to this entry: on them the entry is
    # marked as the current section, so a patient's edit page still shows where in the menu it sits.
    section: tuple[str, ...] = ()


class NavLink(NamedTuple):
    """An entry as one request shows it: its URL and its aria-current value ("page", "true" or None)."""

    url: str
    label: str
    current: str | None


ADMIN_PAGES = (
    "web_admin.",
    "web_admin_locations.",
    "web_admin_chairs.",
    "web_admin_providers.",
    "web_admin_users.",
    "web_admin_protocols.",
)

PATIENT_PAGES = ("web_patients.", "web_clinical.timeline")

NAV_ENTRIES = (
    NavEntry("web_home.index", "Home", ("admin", "frontdesk")),
    NavEntry("web_provider.home", "Home", ("provider",), ("web_provider.",)),
    NavEntry("web_today.index", "Today", ("frontdesk", "provider"), ("web_today.",)),
    NavEntry("web_week.index", "Week", ("frontdesk", "provider"), ("web_week.",)),
    NavEntry("web_floor.index", "Floor", ("frontdesk", "provider"), ("web_floor.",)),
    NavEntry("web_booking.index", "Book a series", ("frontdesk", "provider"), ("web_booking.patients",)),
    NavEntry("web_booking.visit", "Book a visit", ("frontdesk",)),
    NavEntry("web_patients.index", "Patients", ("frontdesk", "provider"), PATIENT_PAGES),
    NavEntry("web_rides.at_risk", "At-risk rides", ("frontdesk",)),
    NavEntry("web_outbox.index", "Outbox", ("frontdesk",), ("web_outbox.",)),
    NavEntry("web_messages.index", "Messages", ("frontdesk", "provider"), ("web_messages.",)),
    NavEntry("web_feeds.my_feed", "My calendar", ("provider",)),
    NavEntry("web_admin.index", "Clinic setup", ("admin",), ADMIN_PAGES),
    NavEntry("api-docs.openapi_swagger_ui", "API", ("admin",)),
)


def visible_entries(role: str | None) -> list[NavEntry]:
    """The entries a role sees, in menu order, leaving out pages this app does not have."""
    if role is None:
        return []
    endpoints = current_app.view_functions
    return [entry for entry in NAV_ENTRIES if role in entry.roles and entry.endpoint in endpoints]


def _in_section(entry: NavEntry, endpoint: str) -> bool:
    return any(
        endpoint.startswith(part) if part.endswith(".") else endpoint == part for part in entry.section
    )


def current_marks(entries: list[NavEntry], endpoint: str | None) -> list[str | None]:
    """aria-current for each entry: "page" on the entry of this very page, else "true" on the one entry
    whose section holds it (the first, when sections overlap), else None."""
    marks: list[str | None] = [None] * len(entries)
    if endpoint is None:
        return marks
    exact = [i for i, entry in enumerate(entries) if entry.endpoint == endpoint]
    if exact:
        marks[exact[0]] = "page"
        return marks
    within = [i for i, entry in enumerate(entries) if _in_section(entry, endpoint)]
    if within:
        marks[within[0]] = "true"
    return marks


def inject_navigation() -> dict:
    """Template context: the signed-in user's menu (``nav_links``) and its raw entries (``nav_entries``)."""
    role = current_user.role if current_user.is_authenticated else None
    entries = visible_entries(role)
    marks = current_marks(entries, request.endpoint)
    links = [
        NavLink(url_for(entry.endpoint), entry.label, mark)
        for entry, mark in zip(entries, marks, strict=True)
    ]
    return {"nav_entries": entries, "nav_links": links}
