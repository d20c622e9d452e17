"""The migrations build the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from clinic.extensions import db


def test_migrations_match_the_models(app, backend):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models drifted from the migrations on {backend}: {differences}"


def test_schema_is_at_the_latest_revision(app):
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
        with db.engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = set(inspect(db.engine).get_table_names())
    assert current == heads
    assert {t.name for t in db.metadata.sorted_tables} <= tables
