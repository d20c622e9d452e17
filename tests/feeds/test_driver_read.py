"""DriverRead, the feed's one-statement read through libpq: it survives psycopg dropping every prepared
statement of the connection (DEALLOCATE ALL after a ROLLBACK), and a connection the server ended fails that
read with SQLAlchemy's OperationalError (a 503) and is replaced for the next."""

import pytest
from sqlalchemy import bindparam, create_engine, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from clinic.database import DriverRead


@pytest.fixture
def one_connection(backend, database_url):
    """An engine on the test database whose every checkout is the same connection."""
    if backend != "postgresql":
        pytest.skip("DriverRead runs on PostgreSQL only")
    engine = create_engine(database_url, poolclass=StaticPool)
    yield engine
    engine.dispose()


READ = DriverRead(select(literal(41) + bindparam("n", type_=None, value=0), literal("ok")))


@pytest.mark.postgres_only
def test_a_read_prepares_again_after_its_statement_was_dropped(one_connection):
    assert READ.first(one_connection, {"n": 1}) == (42, "ok")
    with one_connection.connect() as connection:
        connection.exec_driver_sql("DEALLOCATE ALL")
        connection.commit()
    assert READ.first(one_connection, {"n": 2}) == (43, "ok")
    assert READ.first(one_connection, {"n": 3}) == (44, "ok")


@pytest.mark.postgres_only
def test_a_read_on_a_connection_the_server_ended_fails_once(one_connection, database_url):
    assert READ.first(one_connection, {"n": 1}) == (42, "ok")
    with one_connection.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        connection.commit()
    other = create_engine(database_url)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()
    with pytest.raises(OperationalError):
        READ.first(one_connection, {"n": 1})
    assert READ.first(one_connection, {"n": 1}) == (42, "ok")
