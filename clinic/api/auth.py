"""POST /api/v1/auth/token: exchange staff credentials for a bearer token; DELETE ends it."""

from flask import g, request
from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.problems import problem_response
from clinic.api.schemas.users import token_dump_schema, token_request_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.services.auth import authenticate, end_session, start_session
from clinic.services.errors import NotAuthenticated

blp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Staff sign-in for API clients")


@blp.route("/token")
class TokenResource(MethodView):
    @blp.arguments(token_request_schema)
    @blp.response(201, token_dump_schema)
    @blp.problem(401, "Wrong e-mail or password")
    @blp.problem(429, "Too many sign-in attempts")
    @blp.doc(security=[])
    def post(self, credentials):
        """Sign in and get a bearer token"""
        now = utcnow()
        user = authenticate(credentials["email"], credentials["password"], api_actor(), now)
        if user is None:
            raise NotAuthenticated("Wrong e-mail or password, or the account is disabled")
        issued = start_session(user, "api", now)
        return {"token": issued.key, "token_type": "Bearer", "expires_at": issued.expires_at}

    @blp.response(204)
    @blp.problem(401, "Not signed in")
    def delete(self):
        """End the bearer token used for this request"""
        if g.get("api_user") is None:
            return problem_response(401, "Not signed in", headers={"WWW-Authenticate": "Bearer"})
        token = request.headers["Authorization"].partition(" ")[2].strip()
        end_session(token, "api", api_actor(), utcnow())
        return None
