"""Command-line interface: create-admin, load-occupations, seed-demo, audit verify."""

import functools

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
    from competitions.promotion.cli import promotion_cli
    from competitions.results.cli import results_cli
    app.cli.add_command(audit_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(promotion_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
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
@with_appcontext
@in_english
def seed_demo(if_empty):
    """Load the demo data (idempotent: running it twice changes nothing)."""
    import sqlalchemy as sa

    from competitions.demo import is_loaded, print_logins, seed
    from competitions.errors import DomainError
    from competitions.organisations.models import Organisation

    if if_empty and db.session.scalar(sa.select(Organisation.id).limit(1)) is not None:
        click.echo("Demo data already loaded." if is_loaded() else
                   "The database already holds data: demo data not loaded.")
    else:
        try:
            seed(echo=click.echo)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"Demo data not loaded: {error.message}") from None
        db.session.commit()
    if is_loaded():
        print_logins(click.echo)
