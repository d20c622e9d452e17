"""Providers, their weekly availability and time off."""

from zoneinfo import ZoneInfo

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.providers import (
    provider_dump_schema,
    provider_load_schema,
    provider_update_schema,
    providers_dump_schema,
    time_off_dump_schema,
    time_off_load_schema,
    time_offs_dump_schema,
)
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.provider import Provider, ProviderTimeOff
from clinic.services.lookup import get_or_404
from clinic.services.providers import (
    add_time_off,
    booked_counts,
    create_provider,
    list_providers,
    provider_zone,
    remove_time_off,
    update_provider,
)

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


def _time_off_answer(entry: ProviderTimeOff, booked: int, zone: ZoneInfo) -> dict:
    return {
        "id": entry.id,
        "provider_id": entry.provider_id,
        "start": entry.start.astimezone(zone),
        "end": entry.end.astimezone(zone),
        "reason": entry.reason,
        "booked_visits": booked,
    }


@blp.route("/<int:provider_id>/time-off")
class TimeOffListResource(MethodView):
    @blp.access(Action.CLINIC_READ)
    @blp.response(200, time_offs_dump_schema)
    @blp.problem(404, "Unknown provider")
    def get(self, provider_id):
        """List a provider's time off, with how many visits are still booked inside each"""
        provider = get_or_404(Provider, provider_id, "provider")
        counts, zone = booked_counts(provider), provider_zone(provider)
        return [_time_off_answer(entry, counts.get(entry.id, 0), zone) for entry in provider.time_off]

    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.arguments(time_off_load_schema)
    @blp.response(201, time_off_dump_schema)
    @blp.problem(404, "Unknown provider")
    def post(self, data, provider_id):
        """Block a provider's time; visits already booked inside it stay and are counted in `booked_visits`"""
        provider = get_or_404(Provider, provider_id, "provider")
        added = add_time_off(provider, data["start"], data["end"], data["reason"], api_actor(), utcnow())
        return _time_off_answer(added.entry, len(added.booked), provider_zone(provider))


@blp.route("/<int:provider_id>/time-off/<int:time_off_id>")
class TimeOffResource(MethodView):
    @blp.access(Action.CLINIC_CONFIGURE)
    @blp.response(204)
    @blp.problem(404, "Unknown provider or time off")
    def delete(self, provider_id, time_off_id):
        """Remove time off; the time becomes bookable again"""
        provider = get_or_404(Provider, provider_id, "provider")
        remove_time_off(provider, time_off_id, api_actor(), utcnow())
