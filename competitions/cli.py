"""Command-line interface: create-admin, load-occupations, seed-demo, audit verify."""

import functools
import os

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from competitions.extensions import db


def in_english(command):
    """Run a command with English messages: there is no request to choose a language from."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale("en"):
            return command(*args, **kwargs)

    return wrapped


def register_commands(app) -> None:
    from competitions.audit.cli import audit_cli
    from competitions.certificates.cli import certificates_cli
    from competitions.evaluation.cli import evaluation_cli
    from competitions.notifications.cli import notifications_cli
    from competitions.promotion.cli import promotion_cli
    from competitions.results.cli import results_cli
    from competitions.scale.cli import seed_scale
    app.cli.add_command(audit_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(evaluation_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(promotion_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_scale)
    app.cli.add_command(load_occupations)


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--name", "display_name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default=None)
@with_appcontext
@in_english
def create_admin(username, display_name, password, email):
    """Create a platform administrator."""
    from competitions.accounts.models import SYSTEM, Role
    from competitions.accounts.services import create_user, grant_role
    from competitions.errors import DomainError

    try:
        user = create_user(None, username=username, password=password,
                           display_name=display_name, email=email)
        grant_role(SYSTEM, user, Role.ADMIN)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Administrator {username} created.")


@click.command("load-occupations")
@with_appcontext
@in_english
def load_occupations():
    """Add the shipped occupation catalogue (idempotent: only missing occupations are added)."""
    from competitions.accounts.models import SYSTEM
    from competitions.promotion.catalogue import OCCUPATIONS, ensure_occupations

    added = ensure_occupations(SYSTEM)
    db.session.commit()
    click.echo(f"{len(added)} occupations added; the catalogue has {len(OCCUPATIONS)}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Only load into a database that holds no organisation yet.")
@click.option("--reset", is_flag=True,
              help="Delete every record first (the audit log included), then load the demo.")
@click.option("--yes", is_flag=True, help="With --reset: do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="With --reset: also on a database other than SQLite, or one holding data "
                   "that is not the demo's.")
@with_appcontext
@in_english
def seed_demo(if_empty, reset, yes, force):
    """Load the demo data (idempotent: running it twice changes nothing); --reset starts afresh."""
    import sqlalchemy as sa

    from competitions.demo import is_loaded, print_logins, seed
    from competitions.errors import DomainError
    from competitions.organisations.models import Organisation

    holds_data = db.session.scalar(sa.select(Organisation.id).limit(1)) is not None
    if reset:
        _reset_database(holds_data and not is_loaded(), yes=yes, force=force)
    elif if_empty and holds_data:
        click.echo("Demo data already loaded." if is_loaded() else
                   "The database already holds data: demo data not loaded.")
        if is_loaded():
            print_logins(click.echo)
        return
    try:
        seed(echo=click.echo)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"Demo data not loaded: {error.message}") from None
    db.session.commit()
    if is_loaded():
        print_logins(click.echo)


def _reset_database(foreign_data: bool, *, yes: bool, force: bool) -> None:
    """Empty the database for a fresh demo. A slip must not empty a deployment's database: a
    server database (PostgreSQL) or data that is not the demo's needs --force; a reset is
    confirmed unless --yes, and one over data not the demo's by typing the database's name."""
    import sqlalchemy as sa
    from flask import current_app

    from competitions.demo.reset import empty_database, set_checkpoints_aside

    url = db.engine.url
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "sqlite" and not force:
        raise click.ClickException(
            f"--reset deletes every record, and {where} is not an SQLite demo database. "
            "Add --force if you mean it.")
    if foreign_data and not force:
        raise click.ClickException(
            f"{where} holds data that is not the demo's; --reset would delete it. "
            "Add --force if you mean it.")
    if foreign_data:  # even with --yes: this is a deployment's data, most likely
        name = url.database or ""
        typed = click.prompt(f"{where} holds data that is not the demo's. Type its name "
                             f"({os.path.basename(name)}) to delete every record", default="",
                             show_default=False)
        if typed != os.path.basename(name):
            raise click.ClickException("The name did not match: nothing was deleted.")
    elif not yes:
        click.confirm(f"Delete every record in {where}, the audit log included, and load the "
                      "demo afresh?", abort=True)
    db.session.remove()
    owner = sa.create_engine(current_app.config["MIGRATION_DATABASE_URI"])
    try:
        empty_database(owner)
    finally:
        owner.dispose()
    kept = set_checkpoints_aside(current_app.config.get("AUDIT_CHECKPOINT_PATH"))
    click.echo(f"Every record deleted from {where}." +
               (f" The old audit checkpoints are kept in {kept}." if kept else ""))
