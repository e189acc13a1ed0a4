"""`flask certificates …`: issue a competition's certificates, and write them to a folder for
batch printing, with a progress bar (PDFs are rendered from the records, ~150 a second)."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from competitions.accounts.models import SYSTEM
from competitions.audit.services import record
from competitions.certificates import documents, services
from competitions.certificates.models import Certificate
from competitions.cli import in_english
from competitions.contests.models import Competition
from competitions.extensions import db

certificates_cli = AppGroup("certificates", help="Certificates: issue and export them.")


def _competition(competition_id: int) -> Competition:
    competition = db.session.get(Competition, competition_id)
    if competition is None:
        raise click.ClickException(f"No competition {competition_id}.")
    return competition


@certificates_cli.command("issue")
@click.argument("competition_id", type=int)
@in_english
def issue(competition_id):
    """Issue every certificate COMPETITION_ID's final events and approved titles call for.
    Running it again issues only what is new or changed."""
    competition = _competition(competition_id)
    with click.progressbar(length=len(competition.events), label="Events") as bar:
        report = services.issue_for_competition(SYSTEM, competition, progress=bar.update)
    db.session.commit()
    click.echo(f"{len(report.issued)} issued, {len(report.confirmed)} confirmed after review, "
               f"{len(report.revoked)} revoked.")
    for cert in report.missing:
        click.echo(f"{cert.serial} {cert.holder_name}: {cert.missing_characters} is in no "
                   "shipped font and prints as 〓.", err=True)


@certificates_cli.command("export")
@click.argument("competition_id", type=int)
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the PDFs to (created if missing), one per certificate.")
@in_english
def export(competition_id, out_dir: Path):
    """Write every valid or under-review certificate of COMPETITION_ID as a PDF."""
    competition = _competition(competition_id)
    certs = list(db.session.scalars(sa.select(Certificate).where(
        Certificate.competition_id == competition.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.event_id, Certificate.id)))
    out_dir.mkdir(parents=True, exist_ok=True)
    with click.progressbar(documents.pdfs(certs), length=len(certs),
                           label="Certificates") as bar:
        for cert, content in bar:
            (out_dir / documents.file_name(cert)).write_bytes(content)
    record(SYSTEM, "certificate.export", competition,
           after={"certificates": len(certs), "to": str(out_dir)})
    db.session.commit()
    click.echo(f"{len(certs)} certificates written to {out_dir}.")
