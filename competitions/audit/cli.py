import click
from flask.cli import AppGroup

from competitions.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


@audit_cli.command("verify")
def verify():
    """Check every link of the audit chain, then that every stored mark is the one the chain
    last recorded for it; name what is wrong."""
    from competitions.judging.signoff import reconcile_marks  # judging builds on audit

    checked, problem = verify_chain()
    if problem is not None:
        click.echo(f"Audit chain BROKEN at entry {problem.seq}: {problem.message} "
                   f"({checked} entries verified before it).", err=True)
        raise SystemExit(1)
    click.echo(f"Audit chain intact: {checked} entries verified.")
    mismatches = reconcile_marks()
    for mismatch in mismatches[:50]:
        click.echo(f"Mark differs from the audit log: {mismatch}", err=True)
    if mismatches:
        click.echo(f"{len(mismatches)} marks differ from the audit log.", err=True)
        raise SystemExit(1)
    click.echo("Every mark matches the audit log.")
