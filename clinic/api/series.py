"""Series: preview and book a whole dosing series; cancel or re-plan the rest of it."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.scheduling import (
    appointments_dump_schema,
    replan_schema,
    series_cancel_schema,
    series_dump_schema,
    series_preview_schema,
    series_request_schema,
)
from clinic.api.schemas.transport import RideSchema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.series import Series
from clinic.services.access import load_for
from clinic.services.lookup import get_or_404
from clinic.services.series import (
    cancel_series,
    create_series,
    preview_series,
    replan_series,
    series_with_visits,
)
from clinic.services.transport import set_series_ride

blp = ApiBlueprint("series", __name__, url_prefix="/api/v1/series", description="Dosing series")


@blp.route("/preview")
class SeriesPreviewResource(MethodView):
    @blp.access(Action.SERIES_BOOK)
    @blp.arguments(series_request_schema)
    @blp.response(200, series_preview_schema)
    def post(self, data):
        """Plan a series without booking it: every visit ok, moved or in conflict"""
        return preview_series(data, api_actor(), utcnow())


@blp.route("")
class SeriesCollection(MethodView):
    @blp.access(Action.SERIES_BOOK)
    @blp.arguments(series_request_schema)
    @blp.response(201, series_dump_schema)
    @blp.problem(409, "Visits that cannot be booked, each with its broken rules")
    def post(self, data):
        """Book a whole series, all or nothing"""
        series = create_series(data, api_actor(), utcnow())
        return series


@blp.route("/<int:series_id>")
class SeriesResource(MethodView):
    @blp.access(Action.SERIES_READ)
    @blp.response(200, series_dump_schema)
    @blp.problem(404, "Unknown series")
    def get(self, series_id):
        """Show a series with its visits"""
        return series_with_visits(load_for(api_actor(), Action.SERIES_READ, Series, series_id, "series"))


@blp.route("/<int:series_id>/cancel")
class SeriesCancelResource(MethodView):
    @blp.access(Action.SERIES_CHANGE)
    @blp.arguments(series_cancel_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown series")
    def post(self, data, series_id):
        """Cancel every open visit of the series that has not started"""
        cancelled = cancel_series(
            get_or_404(Series, series_id, "series"), data["reason"], api_actor(), utcnow()
        )
        return cancelled


@blp.route("/<int:series_id>/replan")
class SeriesReplanResource(MethodView):
    @blp.access(Action.SERIES_CHANGE)
    @blp.arguments(replan_schema)
    @blp.response(200, appointments_dump_schema)
    @blp.problem(404, "Unknown series")
    @blp.problem(409, "Re-planned visits that cannot be booked")
    def post(self, data, series_id):
        """Re-plan the doses not yet given, e.g. after a missed dose"""
        created = replan_series(get_or_404(Series, series_id, "series"), data, api_actor(), utcnow())
        return created


@blp.route("/<int:series_id>/ride")
class SeriesRideResource(MethodView):
    @blp.access(Action.RIDE_MANAGE)
    @blp.arguments(RideSchema)
    @blp.response(200, series_dump_schema)
    @blp.problem(404, "Unknown series")
    @blp.problem(422, "An incomplete ride, or a mode the location does not accept")
    def put(self, ride, series_id):
        """Give the series its default ride: every future dose without a ride of its own gets it (arranged)"""
        series = load_for(api_actor(), Action.RIDE_MANAGE, Series, series_id, "series")
        set_series_ride(series, ride, api_actor(), utcnow())
        return series_with_visits(series)

    @blp.access(Action.RIDE_MANAGE)
    @blp.response(200, series_dump_schema)
    @blp.problem(404, "Unknown series")
    def delete(self, series_id):
        """Remove the series' default ride (rides already given to its visits stay)"""
        series = load_for(api_actor(), Action.RIDE_MANAGE, Series, series_id, "series")
        set_series_ride(series, None, api_actor(), utcnow())
        return series_with_visits(series)
