"""Command-line interface: flask create-admin, flask seed-demo, flask audit verify."""

import click
from flask.cli import with_appcontext

from competitions.extensions import db


def register_commands(app) -> None:
    from competitions.audit.cli import audit_cli
    app.cli.add_command(audit_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--name", "display_name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default=None)
@with_appcontext
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


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo data (idempotent: running it twice changes nothing)."""
    from competitions.demo import seed
    seed(echo=click.echo)
    db.session.commit()
