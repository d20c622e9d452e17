"""The feed tests share the gunicorn fixture of the concurrency tests (and its log attached to failures), and
the libical reader built once per session."""

from tests.concurrency.conftest import gunicorn_server, pytest_runtest_makereport
from tests.feeds.libical import libical_reader

__all__ = ["gunicorn_server", "libical_reader", "pytest_runtest_makereport"]
