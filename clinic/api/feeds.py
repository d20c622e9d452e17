"""Issuing and revoking calendar feed URLs for patients, providers and locations."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.feeds import feed_dump_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.services.feeds import issue_feed, revoke_feed

blp = ApiBlueprint("feed_urls", __name__, url_prefix="/api/v1", description="Calendar feed URLs")


def _issue(owner_type: str, owner_id: int):
    issued = issue_feed(owner_type, owner_id, api_actor(), utcnow())
    return issued


def _revoke(owner_type: str, owner_id: int) -> None:
    revoke_feed(owner_type, owner_id, api_actor(), utcnow())


@blp.route("/patients/<int:patient_id>/feed")
class PatientFeedResource(MethodView):
    @blp.access(Action.PATIENT_FEED_MANAGE)
    @blp.response(201, feed_dump_schema)
    @blp.problem(404, "Unknown patient")
    def post(self, patient_id):
        """Give the patient a new feed URL; the old one stops working"""
        return _issue("patient", patient_id)

    @blp.access(Action.PATIENT_FEED_MANAGE)
    @blp.response(204)
    @blp.problem(404, "Unknown patient or no active feed")
    def delete(self, patient_id):
        """Revoke the patient's feed URL"""
        _revoke("patient", patient_id)


@blp.route("/providers/<int:provider_id>/feed")
class ProviderFeedResource(MethodView):
    @blp.access(Action.PROVIDER_FEED_MANAGE)
    @blp.response(201, feed_dump_schema)
    @blp.problem(404, "Unknown provider")
    def post(self, provider_id):
        """A new feed URL of a provider's own visits (admins, or the provider themself)"""
        return _issue("provider", provider_id)

    @blp.access(Action.PROVIDER_FEED_MANAGE)
    @blp.response(204)
    @blp.problem(404, "Unknown provider or no active feed")
    def delete(self, provider_id):
        """Revoke a provider's feed URL"""
        _revoke("provider", provider_id)


@blp.route("/locations/<int:location_id>/feed")
class LocationFeedResource(MethodView):
    @blp.access(Action.LOCATION_FEED_MANAGE)
    @blp.response(201, feed_dump_schema)
    @blp.problem(404, "Unknown location")
    def post(self, location_id):
        """A staff feed of every chair at a location"""
        return _issue("location", location_id)

    @blp.access(Action.LOCATION_FEED_MANAGE)
    @blp.response(204)
    @blp.problem(404, "Unknown location or no active feed")
    def delete(self, location_id):
        """Revoke a location's feed URL"""
        _revoke("location", location_id)
