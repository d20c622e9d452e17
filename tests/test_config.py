import pytest

import config
from clinic import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "short")
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_needs_database_url(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(config.ConfigError, match="DATABASE_URL"):
        create_app(config.ProductionConfig)


def test_unknown_environment_name_is_an_error(monkeypatch):
    monkeypatch.setenv("CLINIC_ENV", "staging-ish")
    with pytest.raises(config.ConfigError, match="CLINIC_ENV"):
        config.config_from_env()


def test_default_database_is_sqlite_under_instance():
    assert config.DevelopmentConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("clinic.sqlite3")
