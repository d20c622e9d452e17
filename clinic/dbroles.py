"""PostgreSQL roles: the owner runs the migrations and owns every table; the app connects as a role that reads
and writes rows but may only add to and read the audit trail.

What `grant_app_privileges` leaves the app's role with, in the schema the tables live in:

- every table: SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, REFERENCES or TRIGGER);
- audit_events: SELECT and INSERT only; alembic_version: SELECT only (only the owner migrates);
- every sequence: USAGE and SELECT (nextval, not setval);
- tables and sequences the owner creates later: the same four and two by default, so the app keeps working
  after a migration adds a table; running the grant again after each upgrade applies the exceptions to them.

Not owning any table, the role can neither ALTER one (so no DISABLE TRIGGER), nor DROP it, nor grant itself
more. The trigger that refuses UPDATE and DELETE on audit rows stays as a second guard.
"""

from sqlalchemy import Connection, text

APPEND_ONLY_TABLES = ("audit_events",)
READ_ONLY_TABLES = ("alembic_version",)
ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"


class RoleError(Exception):
    """The grant cannot be made as asked; the message says why and what to do."""


def _owner_of_tables(connection: Connection) -> str:
    owner = connection.scalar(
        text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = :name"),
        {"name": APPEND_ONLY_TABLES[0]},
    )
    if owner is None:
        raise RoleError("There is no audit_events table in this database yet: run `flask db upgrade` first.")
    return owner


def _check_roles(connection: Connection, role: str, owner: str) -> None:
    facts = connection.execute(
        text(
            "SELECT rolsuper, pg_has_role(rolname, :owner, 'MEMBER'),"
            " pg_has_role(current_user, :owner, 'USAGE'), current_user FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role, "owner": owner},
    ).first()
    if facts is None:
        raise RoleError(f"There is no database role {role}: create it first (CREATE ROLE {role} LOGIN ...).")
    is_superuser, is_owner, runs_as_owner, current_user = facts
    if is_superuser:
        raise RoleError(f"{role} is a superuser, unbound by any privilege: the app needs a role of its own.")
    if is_owner:
        owning = "owns the tables" if role == owner else f"is a member of {owner}, who owns the tables"
        raise RoleError(f"{role} {owning}: the app needs a role of its own.")
    if not runs_as_owner:
        raise RoleError(f"Run this as the tables' owner, {owner}, not as {current_user}.")


def grant_app_privileges(connection: Connection, role: str) -> None:
    """Give `role` exactly the app's privileges (see the module's docstring), whatever it had before.

    Run it as the tables' owner after each `flask db upgrade`; running it again changes nothing.
    """
    if connection.dialect.name != "postgresql":
        raise RoleError(f"Database roles need PostgreSQL; this database is {connection.dialect.name}.")
    owner = _owner_of_tables(connection)
    _check_roles(connection, role, owner)
    quote = connection.dialect.identifier_preparer.quote
    schema = connection.scalar(text("SELECT current_schema()"))
    grantee, in_schema = quote(role), f"IN SCHEMA {quote(schema)}"
    by_default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} {in_schema} GRANT"
    statements = [
        f"REVOKE ALL ON ALL TABLES {in_schema} FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES {in_schema} FROM {grantee}",
        f"GRANT {ROW_PRIVILEGES} ON ALL TABLES {in_schema} TO {grantee}",
        *(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {grantee}" for table in APPEND_ONLY_TABLES),
        *(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {grantee}" for table in READ_ONLY_TABLES),
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES {in_schema} TO {grantee}",
        f"{by_default} {ROW_PRIVILEGES} ON TABLES TO {grantee}",
        f"{by_default} {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {grantee}",
    ]
    has_usage = connection.scalar(
        text("SELECT has_schema_privilege(:role, :schema, 'USAGE')"), {"role": role, "schema": schema}
    )
    if not has_usage:
        # PUBLIC has USAGE on the public schema unless someone revoked it; grant it only where it is missing.
        statements.insert(0, f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}")
    for statement in statements:
        connection.execute(text(statement))
