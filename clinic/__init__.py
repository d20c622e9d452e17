"""The clinic web application."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module

PROXY_FIX_HEADERS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")


class ClinicFlask(Flask):
    """Flask, deciding once per function whether a view or request hook is a coroutine.

    Flask asks `inspect.iscoroutinefunction` anew for every hook and view of every request (a dozen per
    request here); none of ours is one, and what a function is does not change.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: set[Callable] = set()

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            if func in self._synchronous:
                return func
        except TypeError:  # unhashable: asked every time, as Flask does
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            self._synchronous.add(func)
        return wrapped


def create_app(config: type[config_module.Config] | None = None, **overrides: Any) -> Flask:
    """Build the app: configuration, extensions, API, pages, CLI and error handlers."""
    config_class = config or config_module.config_from_env()
    config_class.validate()
    instance_path = overrides.pop("INSTANCE_PATH", None) or str(config_module.INSTANCE_DIR)
    app = ClinicFlask(__name__, instance_path=instance_path)
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
    from clinic.request_limits import endpoint_is_rate_limited
    from clinic.security import CookieSessionInterface, session_in_use

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    app.session_interface = CookieSessionInterface()
    # Each extension's request hooks run only on the requests they can concern. Flask-Login's refreshes the
    # remember-me cookie from the session, and reading the session marks every answer `Vary: Cookie`.
    _hooks_only_when(app, lambda: login_manager.init_app(app), session_in_use)
    # CSRF checks only the methods that change something (a GET returns at once).
    _hooks_only_when(app, lambda: csrf.init_app(app), _may_need_csrf_check)
    # flask-limiter works out and evaluates the limits of every request, though one endpoint has any.
    _hooks_only_when(app, lambda: limiter.init_app(app), endpoint_is_rate_limited)
    with app.app_context():
        configure_engine(db.engine)


def _may_need_csrf_check() -> bool:
    return request.method in current_app.config["WTF_CSRF_METHODS"]


_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def _hooks_only_when(app: Flask, init: Callable[[], None], applies: Callable[[], bool]) -> None:
    """Run `init` (an extension's `init_app`), then make each app-wide request hook it added run only on
    requests for which `applies()` holds; the hooks keep their place, so the order of all hooks is kept."""
    before = {name: list(getattr(app, name).get(None, ())) for name in _HOOKS}
    init()
    for name in _HOOKS:
        hooks = getattr(app, name).get(None, [])
        for index, hook in enumerate(hooks):
            if not any(hook is known for known in before[name]):
                hooks[index] = _only_when(name, hook, applies)


def _only_when(kind: str, hook: Callable, applies: Callable[[], bool]) -> Callable:
    if kind == "after_request_funcs":

        def after(response):
            return hook(response) if applies() else response

        return after

    def before_or_teardown(*args):
        return hook(*args) if applies() else None

    return before_or_teardown
