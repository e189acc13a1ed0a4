"""`flask seed-scale --province | --national`: benchmark data, never a deployment's."""

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from competitions.cli import in_english
from competitions.database import utcnow
from competitions.extensions import db


def default_last_year() -> int:
    """This year once its contests are over (from November), else last year."""
    today = utcnow()
    return today.year if today.month >= 11 else today.year - 1


@click.command("seed-scale")
@click.option("--province", "province", is_flag=True,
              help="Generate one province: workers, organisations, three years of contests.")
@click.option("--national", "national", is_flag=True,
              help="Generate a national competition: EVENTS signed-off events of ENTRIES "
                   "entries, each marked on 10 criteria by 3 judges, and one event of "
                   "BIG-EVENT entries whose results are published.")
@click.option("--workers", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
              help="--province: how many workers.")
@click.option("--last-year", type=int, default=None,
              help="--province: the last of the three years of competitions (default: this "
                   "year from November, else last year).")
@click.option("--events", type=click.IntRange(min=1), default=100, show_default=True,
              help="--national: signed-off events.")
@click.option("--entries", type=click.IntRange(min=1), default=400, show_default=True,
              help="--national: entries in each signed-off event.")
@click.option("--big-event", type=click.IntRange(min=1), default=1000, show_default=True,
              help="--national: entries in the published event.")
@click.option("--links", "links", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="--national: write a one-time sign-in link for every account the "
                   "competition has (organiser, officials, entrants) to this file, readable "
                   "by its owner only (mode 0600): username, role, link, tab-separated. No "
                   "account has a password; a link asks for one and signs in, once, within "
                   "7 days.")
@click.option("--seed", type=int, default=17, show_default=True,
              help="The same seed and counts give the same data.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Also into a database that already holds data.")
@with_appcontext
@in_english
def seed_scale(province, national, workers, last_year, events, entries, big_event, links, seed,
               yes, force):
    """Fill the database with scale data for benchmarks. --province: WORKERS workers with
    valid ID numbers, a hundredth as many organisations, a tenth as many entries, three years
    of competitions and drills. --national: a national competition beside whatever the
    database holds (docs/scale.md). Not audited row by row: for benchmark databases only."""
    from competitions.errors import DomainError
    from competitions.scale.seed import analyse, holds_data

    if province == national:
        raise click.UsageError("Give one of --province and --national.")
    if links and not national:
        raise click.UsageError("--links goes with --national.")
    where = db.engine.url.render_as_string(hide_password=True)
    if holds_data() and not force:
        raise click.ClickException(f"{where} already holds organisations or workers; scale "
                                   "data goes into an empty database. Add --force if you mean "
                                   "it.")
    what = (f"a national competition of {events:,} × {entries:,} entries and one of "
            f"{big_event:,}" if national else f"a scale province of {workers:,} workers")
    if not yes:
        click.confirm(f"Write {what} into {where}? It is for benchmarks only", abort=True)
    started = time.monotonic()
    try:
        if national:
            report = _national(events, entries, big_event, seed, force, links)
        else:
            report = _province(workers, seed, force, last_year)
    except (DomainError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing written: {getattr(error, 'message', error)}"
                                   ) from None
    analysed = analyse()
    click.echo(f"Seeded in {time.monotonic() - started:.0f} s {report}")
    if not analysed:
        click.echo(f"Warning: {db.engine.url.username} does not own the tables, so the "
                   "planner's statistics were not updated; until autovacuum does, queries may "
                   "take a bad plan. Run ANALYZE as their owner before measuring.", err=True)


def _province(workers, seed, force, last_year) -> str:
    from competitions.scale.seed import seed_province

    summary = seed_province(workers=workers, seed=seed, force=force,
                            last_year=last_year or default_last_year(),
                            progress=click.progressbar)
    db.session.commit()
    return (f"(seed {summary.seed}, years {summary.years[0]}–{summary.years[-1]}): "
            f"{summary.organisations:,} organisations, {summary.workers:,} workers, "
            f"{summary.competitions:,} competitions with {summary.events:,} events, "
            f"{summary.entries:,} entries, {summary.results:,} results, "
            f"{summary.nominations:,} nominations, {summary.titles:,} titles, "
            f"{summary.promotions:,} promotions, {summary.drills:,} drills with "
            f"{summary.drill_places:,} named places. The province is organisation "
            f"{summary.province_id}.")


def _national(events, entries, big_event, seed, force, links_path) -> str:
    from competitions.scale.links import activation_links, competition_accounts, write_links
    from competitions.scale.national import seed_national

    summary = seed_national(events=events, entries=entries, big_event=big_event, seed=seed,
                            force=force, progress=click.progressbar)
    if links_path:
        accounts = competition_accounts(summary.competition_id)
        links = activation_links(name for name, _role in accounts)
    db.session.commit()
    written = write_links(links_path, accounts, links) if links_path else 0
    return (f"(seed {summary.seed}): national competition {summary.competition_id} under "
            f"organisation {summary.root_id}, {summary.events:,} events "
            f"({summary.events - 1:,} signed off, event {summary.published_event_id} "
            f"published), {summary.entries:,} entries, {summary.marks:,} marks on "
            f"{summary.score_sheets:,} score sheets, {summary.imported_marks:,} imported "
            f"scores, {summary.judges:,} judges and {summary.chief_judges:,} chief judges, "
            f"{summary.workers:,} workers, {summary.accounts:,} accounts without a password, "
            f"{summary.organisations:,} organisations."
            + (f" {written:,} one-time links in {links_path}." if links_path else "")
            + f" Competition {summary.competition_id}, published event "
              f"{summary.published_event_id}.")
