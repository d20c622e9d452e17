"""Server-rendered pages for staff: sign-in, home, and the pages later features add."""

from flask import Flask, g
from werkzeug.local import LocalProxy

from clinic.clock import utcnow
from clinic.domain.floor import FloorPhase
from clinic.domain.reminders import ReminderStatus
from clinic.domain.transport import CallOutcome, TransportStatus
from clinic.domain.visits import SeriesStatus, VisitStatus
from clinic.extensions import login_manager
from clinic.formatting import (
    format_datetime,
    format_day,
    format_phone,
    format_time,
    format_time_range,
    zone_abbreviation,
)
from clinic.models.user import User
from clinic.services.auth import resolve_session
from clinic.services.locations import home_place
from clinic.web import (
    admin,
    appointments,
    auth,
    booking,
    clinical,
    feeds,
    floor,
    health,
    home,
    messages,
    navigation,
    outbox,
    patients,
    provider,
    questionnaire_link,
    rides,
    series,
    sms_inbound,
    today,
    week,
)
from clinic.web.admin import chairs as admin_chairs
from clinic.web.admin import locations as admin_locations
from clinic.web.admin import protocols as admin_protocols
from clinic.web.admin import providers as admin_providers
from clinic.web.admin import users as admin_users


@login_manager.user_loader
def _load_user(session_key: str) -> User | None:
    return resolve_session(session_key, "web", utcnow())


def _request_place():
    if "home_place" not in g:
        g.home_place = home_place()
    return g.home_place


def _inject_place() -> dict:
    # Pages showing what belongs to no one location (a sign-in time, a date of birth) read the clinic's
    # first location's zone and locale; a view that knows the location passes its own `place`. Read on
    # first use only, once per request.
    return {"place": LocalProxy(_request_place)}


def register_web(app: Flask) -> None:
    login_manager.login_view = "web_auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    for blueprint in (
        admin.bp,
        admin_locations.bp,
        admin_chairs.bp,
        admin_providers.bp,
        admin_protocols.bp,
        admin_users.bp,
        auth.bp,
        health.bp,
        home.bp,
        patients.bp,
        booking.bp,
        today.bp,
        week.bp,
        floor.bp,
        appointments.bp,
        outbox.bp,
        rides.bp,
        series.bp,
        feeds.bp,
        clinical.bp,
        provider.bp,
        messages.bp,
        sms_inbound.bp,
        questionnaire_link.bp,
    ):
        app.register_blueprint(blueprint)
    app.context_processor(navigation.inject_navigation)
    app.context_processor(_inject_place)
    # Templates compare statuses with the domain's vocabularies, never with loose words.
    app.jinja_env.globals.update(
        VisitStatus=VisitStatus,
        SeriesStatus=SeriesStatus,
        FloorPhase=FloorPhase,
        TransportStatus=TransportStatus,
        ReminderStatus=ReminderStatus,
        CallOutcome=CallOutcome,
    )
    # Every time, date and phone number on a page is written by these, in the location's zone and locale:
    # {{ visit.start_at|local_datetime(visit.location) }}.
    app.jinja_env.filters.update(
        local_time=format_time,
        local_day=format_day,
        local_datetime=format_datetime,
        local_time_range=format_time_range,
        zone_abbreviation=zone_abbreviation,
        phone=format_phone,
    )
