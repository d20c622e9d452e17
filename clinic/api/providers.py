"""Providers and their weekly availability."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.providers import (
    provider_dump_schema,
    provider_load_schema,
    provider_update_schema,
    providers_dump_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.provider import Provider
from clinic.services.lookup import get_or_404
from clinic.services.providers import create_provider, list_providers, update_provider

blp = ApiBlueprint(
    "providers", __name__, url_prefix="/api/v1/providers", description="Prescribers, nurses, therapists"
)


@blp.route("")
class ProvidersResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, providers_dump_schema)
    def get(self):
        """List providers"""
        return list_providers()

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(provider_load_schema)
    @blp.response(201, provider_dump_schema)
    def post(self, data):
        """Create a provider with weekly availability"""
        provider = create_provider(data, api_actor(), utcnow())
        return provider


@blp.route("/<int:provider_id>")
class ProviderResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, provider_dump_schema)
    @blp.problem(404, "Unknown provider")
    def get(self, provider_id):
        """Show a provider"""
        return get_or_404(Provider, provider_id, "provider")

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(provider_update_schema)
    @blp.response(200, provider_dump_schema)
    @blp.problem(404, "Unknown provider")
    def patch(self, changes, provider_id):
        """Change a provider; a given availability list replaces the old one"""
        provider = get_or_404(Provider, provider_id, "provider")
        update_provider(provider, changes, api_actor(), utcnow())
        return provider
