"""Configuration classes read from the environment.

`create_app()` picks a class from ``CLINIC_ENV`` (``development`` by default). Production refuses to start
without a real ``SECRET_KEY`` rather than signing sessions with a guessable one.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CLINIC_INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class ConfigError(RuntimeError):
    """Raised when the environment lacks a setting the app cannot run without."""


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'clinic.sqlite3'}")
    # No pool_pre_ping: clinic.database pings only connections that sat idle, not one per request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    CLINIC_BASE_URL = os.environ.get("CLINIC_BASE_URL", "http://127.0.0.1:5000")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "text" or "json"
    # Feed fetches' audit rows are written by a background thread in batches, at most this many seconds (or
    # WRITE_BEHIND_BATCH rows) after the fetch, and on a worker's normal exit (clinic.write_behind); 0 writes
    # each in its request's transaction.
    WRITE_BEHIND_SECONDS = float(os.environ.get("WRITE_BEHIND_SECONDS", "1"))
    WRITE_BEHIND_BATCH = 500
    # No request needs more: a larger body is refused (413) before it is read.
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Mail (SMTP) and SMS gateway; used by the reminder channels.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Clinic <no-reply@clinic.invalid>")
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL")
    SMS_GATEWAY_USER = os.environ.get("SMS_GATEWAY_USER")
    SMS_GATEWAY_PASSWORD = os.environ.get("SMS_GATEWAY_PASSWORD")
    # Twilio's Messages API, used instead of the generic gateway when an account SID is set. The auth token
    # also signs the texts patients send back (POST /sms/inbound); without it every such request is refused.
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = os.environ.get("TWILIO_FROM")  # +1..., or a Messaging Service SID (MG...)
    TWILIO_BASE_URL = os.environ.get("TWILIO_BASE_URL", "https://api.twilio.com")
    # Per client address; the provider's webhooks come from a handful of addresses, far below it.
    SMS_INBOUND_RATE_LIMIT = os.environ.get("SMS_INBOUND_RATE_LIMIT", "300 per minute")
    NOTIFY_BACKEND = os.environ.get("NOTIFY_BACKEND", "file")  # "file" (instance/outbox/) or "smtp"
    REMINDER_MAX_ATTEMPTS = _env_int("REMINDER_MAX_ATTEMPTS", 5)
    REMINDER_BATCH_SIZE = _env_int("REMINDER_BATCH_SIZE", 200)
    DISPATCH_INTERVAL_SECONDS = _env_int("DISPATCH_INTERVAL_SECONDS", 30)

    # Sign-in
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    WEB_SESSION_HOURS = _env_int("WEB_SESSION_HOURS", 12)
    API_TOKEN_HOURS = _env_int("API_TOKEN_HOURS", 24)
    # argon2id parameters; RFC 9106's second recommended option (64 MiB, 3 passes).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_KIB = 65536
    PASSWORD_HASH_PARALLELISM = 4
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Sign-in attempts, web and API together, counted per account (the e-mail tried) and per client
    # address. An address is often a whole clinic's network, hence its higher limit; LOGIN_RATE_LIMIT is
    # the older name of the per-address limit.
    LOGIN_RATE_LIMIT_PER_ACCOUNT = os.environ.get(
        "LOGIN_RATE_LIMIT_PER_ACCOUNT", "10 per minute; 50 per hour"
    )
    LOGIN_RATE_LIMIT_PER_ADDRESS = os.environ.get(
        "LOGIN_RATE_LIMIT_PER_ADDRESS", os.environ.get("LOGIN_RATE_LIMIT", "30 per minute; 300 per hour")
    )
    # How many proxies in front of the app set X-Forwarded-For (-Proto, -Host, -Port, -Prefix); their
    # headers are trusted only when this is above 0, so the client address the limits and the audit trail
    # see is the client's, not the proxy's.
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _env_int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _env_int("PROXY_FIX_X_HOST", 0)
    PROXY_FIX_X_PORT = _env_int("PROXY_FIX_X_PORT", 0)
    PROXY_FIX_X_PREFIX = _env_int("PROXY_FIX_X_PREFIX", 0)

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the (server-side revocable) session

    # OpenAPI document and its viewer; the viewer's assets are served from our own static folder.
    API_TITLE = "clinic"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None, "persistAuthorization": False}

    @classmethod
    def validate(cls) -> None:
        """Fail fast on settings the app must not run without."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-not-secret"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Cheaper argon2 so a test that creates many users stays fast; still argon2id.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 8192
    PASSWORD_HASH_PARALLELISM = 1
    RATELIMIT_STORAGE_URI = "memory://"
    # Each test sees its audit rows when its request returns, and no writer thread outlives its database.
    WRITE_BEHIND_SECONDS = 0.0


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)

    @classmethod
    def validate(cls) -> None:
        if not cls.SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY must be set to at least 32 random characters in production")
        if "DATABASE_URL" not in os.environ:
            raise ConfigError("DATABASE_URL must be set in production")
        if not cls.RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://")):
            # Each worker and host would count sign-in attempts on its own: no real limit at all.
            raise ConfigError("RATELIMIT_STORAGE_URI must point at Redis in production (redis://host:6379/0)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by ``CLINIC_ENV``."""
    name = os.environ.get("CLINIC_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"CLINIC_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
