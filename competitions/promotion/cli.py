"""`flask promotion …`: a competition's eligibilities to .xlsx (every status, full ID numbers,
audited), and the reminders of eligibilities about to expire undecided (run daily by cron)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from competitions.accounts.models import SYSTEM
from competitions.cli import in_english
from competitions.contests.models import Competition
from competitions.database import utcnow
from competitions.extensions import db
from competitions.promotion import eligibility as service
from competitions.promotion import exports

promotion_cli = AppGroup("promotion", help="Promotion: export eligibilities, send reminders.")


@promotion_cli.command("export")
@click.argument("competition_id", type=int)
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@in_english
def export(competition_id, out_file: Path):
    """Write every eligibility of COMPETITION_ID, whatever its status, with full ID numbers."""
    competition = db.session.get(Competition, competition_id)
    if competition is None:
        raise click.ClickException(f"No competition {competition_id}.")
    filters = exports.Filters(competition_id=competition.id, status=exports.EVERYONE)
    now = utcnow()
    total = db.session.scalar(exports.statement(SYSTEM, filters, now).with_only_columns(
        db.func.count()).order_by(None))
    with click.progressbar(exports.eligibility_rows(SYSTEM, filters, now, full_ids=True),
                           length=total, label="Eligibilities") as bar:
        content = exports.export_xlsx(SYSTEM, filters, bar)
    out_file.write_bytes(content)
    db.session.commit()
    click.echo(f"{total} eligibilities written to {out_file}.")


@promotion_cli.command("remind")
@click.option("--within-days", default=14, show_default=True, type=click.IntRange(1, 365),
              help="Remind of eligibilities expiring within this many days.")
@in_english
def remind(within_days: int):
    """Tell the reviewers of eligibilities that expire soon without a decision."""
    sent = service.remind(utcnow(), within_days=within_days)
    db.session.commit()
    click.echo(f"{sent} reminders sent.")
