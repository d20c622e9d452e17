"""The clinic web application."""

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module

PROXY_FIX_HEADERS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")


def create_app(config: type[config_module.Config] | None = None, **overrides: Any) -> Flask:
    """Build the app: configuration, extensions, API, pages, CLI and error handlers."""
    config_class = config or config_module.config_from_env()
    config_class.validate()
    instance_path = overrides.pop("INSTANCE_PATH", None) or str(config_module.INSTANCE_DIR)
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_object(config_class)
    app.config.update(overrides)
    _trust_proxies(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from clinic.logsetup import configure_logging

    configure_logging(app.config["LOG_FORMAT"])

    from clinic.routing import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter
    _init_extensions(app)

    from clinic.api.routes import register_api
    from clinic.cli import register_cli
    from clinic.errors import register_error_handlers
    from clinic.security import register_security
    from clinic.web import register_web

    register_api(app)
    register_web(app)
    from clinic.feeds.views import bp as feeds_bp

    app.register_blueprint(feeds_bp)
    from clinic.fhir.views import bp as fhir_bp

    app.register_blueprint(fhir_bp)
    register_cli(app)
    register_error_handlers(app)
    register_security(app)
    from clinic.request_limits import register_request_limits

    register_request_limits(app)
    from clinic.unit_of_work import register_unit_of_work

    register_unit_of_work(app)  # last: its after-request hook commits before the others run
    return app


def _trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the configured number of proxies' X-Forwarded-* headers."""
    counts = {name: app.config[f"PROXY_FIX_{name.upper()}"] for name in PROXY_FIX_HEADERS}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


def _init_extensions(app: Flask) -> None:
    from clinic import models  # noqa: F401 - registers every model with the metadata
    from clinic.database import configure_engine
    from clinic.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
