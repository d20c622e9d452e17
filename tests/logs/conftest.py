"""The log tests share the gunicorn fixture of the concurrency tests (and its log attached to failures)."""

from tests.concurrency.conftest import gunicorn_server, pytest_runtest_makereport

__all__ = ["gunicorn_server", "pytest_runtest_makereport"]
