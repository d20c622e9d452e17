"""Command line: ``flask users``, ``demo``, ``scheduler``, ``reminders`` and ``db-roles``."""

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from clinic.clock import utcnow
from clinic.dbroles import RoleError, grant_app_privileges
from clinic.extensions import db
from clinic.models.user import ROLES, User
from clinic.services.actor import Actor
from clinic.services.demo import DEMO_LOGINS, demo_location, seed_demo
from clinic.services.errors import ServiceError
from clinic.services.users import create_user, update_user

CLI_ACTOR = Actor(user=None, label="cli", trusted=True)

users_cli = AppGroup("users", help="Manage staff accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process.")
reminders_cli = AppGroup("reminders", help="The reminder outbox.")
db_roles_cli = AppGroup("db-roles", help="PostgreSQL roles: what the app's own role may do.")


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    messages = "; ".join(f"{k}: {', '.join(v)}" for k, v in (error.errors or {}).items()) or error.detail
    raise click.ClickException(messages)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--provider-id", type=int, default=None, help="Link a provider account to its provider.")
def create_user_command(email: str, role: str, password_stdin: bool, provider_id: int | None) -> None:
    """Create a staff account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, CLI_ACTOR, utcnow(), provider_id)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id})")


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable an account and end all its sessions and tokens."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user {email}")
    update_user(user, {"active": False}, CLI_ACTOR, utcnow())
    db.session.commit()
    click.echo(f"Disabled {user.email}")


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the demo clinic (once), busy at this moment, and print its logins."""
    if current_app.config["ENV_NAME"] == "production":
        # Its logins are printed here and in the README: anyone could sign in as its admin.
        raise click.ClickException(
            "The demo clinic is not for production (CLINIC_ENV=production): nothing was created."
        )
    now = utcnow()
    try:
        created = seed_demo(CLI_ACTOR, now)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    if created:
        location = demo_location()
        local = now.astimezone(location.zone)
        click.echo(
            f"Demo clinic created: {location.name}, in {location.timezone} (it is {local:%A %H:%M} there), "
            "with today's visits on the floor."
        )
    else:
        click.echo("Demo clinic already present: nothing was changed.")
    click.echo(f"Open {current_app.config['CLINIC_BASE_URL']} and sign in with:")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.role:<10} {login.email:<24} {login.password}")


@scheduler_cli.command("run")
def run_scheduler_command() -> None:
    """Run the scheduler in this process until interrupted."""
    from clinic.jobs.runner import run_scheduler

    run_scheduler(current_app._get_current_object())


@reminders_cli.command("dispatch")
@click.option("--once", is_flag=True, help="One pass over the due reminders, then exit.")
def dispatch_command(once: bool) -> None:
    """Send due reminders (once, or every DISPATCH_INTERVAL_SECONDS until interrupted)."""
    from clinic.jobs.dispatch import dispatch_due_reminders

    while True:
        outcomes = dispatch_due_reminders()
        click.echo(
            ", ".join(f"{status}: {count}" for status, count in sorted(outcomes.items())) or "nothing due"
        )
        if once:
            return
        time.sleep(current_app.config["DISPATCH_INTERVAL_SECONDS"])


@db_roles_cli.command("grant")
@click.argument("app_role")
def grant_app_role_command(app_role: str) -> None:
    """Let APP_ROLE read and write the app's tables but only add to and read the audit trail.

    Run it as the tables' owner after `flask db upgrade`; running it again is safe.
    """
    try:
        with db.engine.begin() as connection:
            grant_app_privileges(connection, app_role)
    except RoleError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{app_role} may read and write the app's tables; audit_events only SELECT and INSERT.")


def register_cli(app: Flask) -> None:
    for group in (users_cli, demo_cli, scheduler_cli, reminders_cli, db_roles_cli):
        app.cli.add_command(group)
