"""`flask results …`: the published ranking in the terminal, and the spreadsheet or notice on disk,
from the same rows as the public page (exports.result_rows)."""

import re
import unicodedata
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import to_user_timezone

from competitions.cli import in_english
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging.scoring import two_places
from competitions.results.awards import awards_text
from competitions.results.exports import (
    ResultRow,
    component_names,
    is_public,
    notice_period,
    result_rows,
    results_workbook,
)
from competitions.results.notice_pdf import render_notice

results_cli = AppGroup("results", help="Published results: show and export them.")


def _published_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"No event {event_id}.")
    if not is_public(event):
        raise click.ClickException(f"Event {event_id} has no published results "
                                   f"(stage: {event.stage.label}).")
    return event


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: list[str], lines: list[list[str]]) -> list[str]:
    widths = [max(_width(cell) for cell in column) for column in zip(header, *lines,
                                                                      strict=True)]
    return ["  ".join(cell + " " * (width - _width(cell)) for cell, width in
                      zip(line, widths, strict=True)).rstrip() for line in [header, *lines]]


def ranking_lines(rows: list[ResultRow], *, masked: bool) -> list[str]:
    components = component_names(rows)
    header = ["Rank", "Name", "Unit", *components, "Total", "Std", "Award"]
    lines = []
    for row in rows:
        scores = dict(row.components)
        lines.append([str(row.rank), row.masked_name if masked else row.full_name, row.unit,
                      *[two_places(scores.get(name)) for name in components],
                      two_places(row.total), str(row.standardised),
                      awards_text(row.awards)])
    return _table(header, lines)


@results_cli.command("show")
@click.argument("event_id", type=int)
@click.option("--masked", is_flag=True, help="Mask names as the public notice does (张*明).")
@in_english
def show(event_id, masked):
    """Print the published ranking of EVENT_ID."""
    event = _published_event(event_id)
    rows = result_rows(event)
    click.echo(f"{event.competition.name} · {event.name} · {event.stage.label}")
    for line in ranking_lines(rows, masked=masked):
        click.echo(line)
    click.echo(f"{len(rows)} entries.")


def _write(event: Event, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        path.write_bytes(results_workbook(event))
    elif suffix == ".pdf":
        starts_at, ends_at = notice_period(event)
        path.write_bytes(render_notice(event, result_rows(event), starts_at=starts_at,
                                       ends_at=ends_at, printed_at=to_user_timezone(utcnow())))
    else:
        raise click.ClickException(f"{path.name}: write a .xlsx (results) or a .pdf (notice).")


@results_cli.command("export")
@click.argument("event_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@in_english
def export(event_id, file):
    """Write EVENT_ID's results to FILE: .xlsx (full names, for organisers) or .pdf (the
    notice, names masked)."""
    event = _published_event(event_id)
    _write(event, file)
    click.echo(f"Wrote {file}.")


@results_cli.command("export-competition")
@click.argument("competition_id", type=int)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@in_english
def export_competition(competition_id, directory):
    """Write every published event of COMPETITION_ID to DIRECTORY: a .xlsx and a .pdf each."""
    competition = db.session.get(Competition, competition_id)
    if competition is None:
        raise click.ClickException(f"No competition {competition_id}.")
    events = [event for event in competition.events if is_public(event)]
    if not events:
        raise click.ClickException(f"Competition {competition_id} has no published results.")
    directory.mkdir(parents=True, exist_ok=True)
    with click.progressbar(events, label="Events") as bar:
        for event in bar:
            stem = re.sub(r'[\\/:*?"<>|\s·]+', "_", f"{event.id}-{event.occupation.name}-"
                                                     f"{event.group.value}")
            _write(event, directory / f"{stem}.xlsx")
            _write(event, directory / f"{stem}.pdf")
    click.echo(f"Wrote {2 * len(events)} files to {directory}.")
