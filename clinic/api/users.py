"""Staff accounts, managed by admins. Disabling an account ends its sessions and tokens."""

from flask.views import MethodView

from clinic.api.context import api_actor
from clinic.api.schemas.users import user_dump_schema, user_load_schema, user_update_schema, users_dump_schema
from clinic.api.smorest import ApiBlueprint
from clinic.clock import utcnow
from clinic.domain.policy import Action
from clinic.models.user import User
from clinic.services.lookup import get_or_404
from clinic.services.users import create_user, list_users, update_user

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="Staff accounts")


@blp.route("")
class UsersResource(MethodView):
    @blp.access(Action.USERS_MANAGE)
    @blp.response(200, users_dump_schema)
    def get(self):
        """List staff accounts"""
        return list_users()

    @blp.access(Action.USERS_MANAGE)
    @blp.arguments(user_load_schema)
    @blp.response(201, user_dump_schema)
    def post(self, data):
        """Create a staff account"""
        user = create_user(
            data["email"], data["password"], data["role"], api_actor(), utcnow(), data.get("provider_id")
        )
        return user


@blp.route("/<int:user_id>")
class UserResource(MethodView):
    @blp.access(Action.USERS_MANAGE)
    @blp.arguments(user_update_schema)
    @blp.response(200, user_dump_schema)
    @blp.problem(404, "Unknown user")
    def patch(self, changes, user_id):
        """Change role or password, or disable an account (ends its sessions)"""
        user = get_or_404(User, user_id, "user")
        update_user(user, changes, api_actor(), utcnow())
        return user
