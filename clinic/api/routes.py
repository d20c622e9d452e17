"""Registering the API blueprints with flask-smorest."""

from flask import Flask, request

from clinic.api import (
    appointments,
    auth,
    chairs,
    feeds,
    floor,
    locations,
    messages,
    monitoring,
    patients,
    protocols,
    providers,
    questionnaire_links,
    series,
    session,
    slots,
    transport,
    users,
)
from clinic.api.context import load_bearer_user
from clinic.api.smorest import ProblemApi
from clinic.extensions import csrf

api = ProblemApi()

BLUEPRINTS = (
    auth.blp,
    locations.blp,
    chairs.blp,
    providers.blp,
    patients.blp,
    users.blp,
    protocols.blp,
    series.blp,
    appointments.blp,
    slots.blp,
    transport.blp,
    session.blp,
    floor.blp,
    feeds.blp,
    monitoring.blp,
    messages.blp,
    questionnaire_links.blp,
)


def _authenticate_api_request() -> None:
    if request.path.startswith("/api/"):
        load_bearer_user()


def register_api(app: Flask) -> None:
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in BLUEPRINTS:
        # Bearer tokens are not sent by browsers on their own, so cross-site request forgery does not apply.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.before_request(_authenticate_api_request)
