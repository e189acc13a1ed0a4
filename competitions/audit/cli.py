from importlib import import_module

import click
from flask.cli import AppGroup

from competitions.audit.checkpoints import (
    make_checkpoint,
    signing_key_id,
    signing_public_key,
    verify_checkpoints,
)
from competitions.audit.services import verify_chain
from competitions.extensions import db

audit_cli = AppGroup("audit", help="The keyed, per-event audit chains and their checkpoints.")

# What `verify` reconciles with the log: (what, "module:function" returning a list of
# differences). The domains build on audit, so they are imported only when verifying.
RECONCILERS = [
    ("mark", "competitions.judging.signoff:reconcile_marks"),
    ("flag resolution", "competitions.judging.flags:reconcile_flag_resolutions"),
    ("result", "competitions.audit.reconcile:reconcile_results"),
    ("title", "competitions.audit.reconcile:reconcile_titles"),
    ("certificate", "competitions.audit.reconcile:reconcile_certificates"),
    ("promotion", "competitions.audit.reconcile:reconcile_promotions"),
    ("appeal", "competitions.audit.reconcile:reconcile_appeals"),
    ("stage", "competitions.audit.reconcile:reconcile_stages"),
    ("competition", "competitions.audit.reconcile:reconcile_competition_states"),
    ("blind-code", "competitions.audit.reconcile:reconcile_blind_codes"),
    ("worker", "competitions.audit.reconcile:reconcile_workers"),
]


def _reconciler(path):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


@audit_cli.command("verify")
@click.option("--checkpoints", "checkpoint_file", type=click.File("r", encoding="utf-8"),
              help="Also check the log against every signed checkpoint in this file.")
def verify(checkpoint_file):
    """Check every link and MAC of every chain, then the chains against the signed checkpoints,
    then that every trust-critical state is the one the log last recorded; name what is
    wrong."""
    checked, problem = verify_chain()
    if problem is not None:
        click.echo(f"Audit chain BROKEN at entry {problem.seq} of chain {problem.chain}: "
                   f"{problem.message} ({checked} entries verified before it).", err=True)
        raise SystemExit(1)
    click.echo(f"Audit chain intact: {checked} entries verified.")
    if checkpoint_file is not None:
        signed, problems = verify_checkpoints(checkpoint_file)
        for found in problems[:50]:
            click.echo(f"Checkpoint line {found.line}: {found.message}", err=True)
        if problems:
            click.echo(f"{len(problems)} differences from the signed checkpoints.", err=True)
            raise SystemExit(1)
        click.echo(f"The log agrees with {signed} signed checkpoints.")
    failed = False
    for what, path in RECONCILERS:
        differences = _reconciler(path)()
        for difference in differences[:50]:
            click.echo(f"{what.capitalize()} differs from the audit log: {difference}", err=True)
        if differences:
            click.echo(f"{len(differences)} {what} states differ from the audit log.", err=True)
            failed = True
    if failed:
        raise SystemExit(1)
    click.echo("Every mark, result, title, appeal, stage, blind code and worker identity "
               "matches the audit log.")


@audit_cli.command("checkpoint")
@click.option("--reason", default="manual", show_default=True)
def checkpoint(reason):
    """Sign every chain's head and append the checkpoint to AUDIT_CHECKPOINT_PATH."""
    made = make_checkpoint(reason)
    db.session.commit()  # the line is written to the sink once this commits
    click.echo(f"Checkpoint {made.fingerprint} signed.", err=True)


@audit_cli.command("grant")
@click.argument("role")
def grant(role):
    """(PostgreSQL) Give the application's ROLE its privileges: every table, but the audit log
    insert-only. Run as the owner (MIGRATION_DATABASE_URL) after each `flask db upgrade`."""
    import sqlalchemy as sa
    from flask import current_app

    from competitions.audit.roles import grant_app_role

    engine = sa.create_engine(current_app.config["MIGRATION_DATABASE_URI"])
    try:
        if engine.dialect.name != "postgresql":
            raise click.ClickException("roles are a PostgreSQL matter")
        grant_app_role(engine, role)
    finally:
        engine.dispose()
    click.echo(f"Granted {role} the application's privileges.")


@audit_cli.command("public-key")
def public_key():
    """Print the public half of the checkpoint signing key, for AUDIT_VERIFY_KEYS elsewhere."""
    key = signing_public_key()
    click.echo(f"{key}  (key id {signing_key_id(key)})")
