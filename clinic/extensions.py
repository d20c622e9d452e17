"""Flask extensions, created unbound and initialised in `create_app` (the API object lives in clinic.api)."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from clinic.models.base import Base

# Objects stay loaded after commit: an answer is built from what was just written, without asking the
# database again (which, if it went away right after the commit, would turn a booking into an error).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
