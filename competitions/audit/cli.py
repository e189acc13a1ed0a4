import click
from flask.cli import AppGroup

from competitions.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


@audit_cli.command("verify")
def verify():
    """Check every link of the audit chain; name the first broken one."""
    checked, problem = verify_chain()
    if problem is None:
        click.echo(f"Audit chain intact: {checked} entries verified.")
        return
    click.echo(f"Audit chain BROKEN at entry {problem.seq}: {problem.message} "
               f"({checked} entries verified before it).", err=True)
    raise SystemExit(1)
