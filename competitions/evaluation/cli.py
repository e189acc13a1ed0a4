"""`flask evaluation report ORG YEAR --out FILE.pdf`: the annual report, as the page's link
makes it (report_pdf.annual_report)."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from competitions.evaluation.report_pdf import annual_report
from competitions.extensions import db
from competitions.organisations.models import Organisation

evaluation_cli = AppGroup("evaluation", help="Effectiveness evaluation: the annual report.")


@evaluation_cli.command("report")
@click.argument("organisation_id", type=int)
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF.")
def report(organisation_id: int, year: int, out: Path):
    """Write the annual evaluation report of ORGANISATION_ID's subtree in YEAR."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise click.ClickException(f"No organisation {organisation_id}.")
    with force_locale("en"):
        content = annual_report(organisation, year)
    out.write_bytes(content)
    click.echo(f"{out}: {len(content)} bytes, {organisation.name} {year}.")
