"""`flask seed-scale --province`: benchmark data, never a deployment's."""

import time

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
@click.option("--province", "province", is_flag=True, required=True,
              help="Generate one province (the only mode so far).")
@click.option("--workers", type=click.IntRange(min=1000), default=1_000_000, show_default=True)
@click.option("--seed", type=int, default=17, show_default=True,
              help="The same seed and counts give the same data.")
@click.option("--last-year", type=int, default=None,
              help="The last of the three years of competitions (default: this year from "
                   "November, else last year).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Also into a database that already holds data.")
@with_appcontext
@in_english
def seed_scale(province, workers, seed, last_year, yes, force):
    """Fill the database with a scale province for benchmarks: WORKERS workers with valid ID
    numbers, a hundredth as many organisations, a tenth as many entries, three years of
    competitions and drills. Not audited row by row: for benchmark databases only."""
    from competitions.errors import DomainError
    from competitions.scale.seed import analyse, holds_data, seed_province

    where = db.engine.url.render_as_string(hide_password=True)
    if holds_data() and not force:
        raise click.ClickException(f"{where} already holds organisations or workers; scale "
                                   "data goes into an empty database. Add --force if you mean "
                                   "it.")
    if not yes:
        click.confirm(f"Write a scale province of {workers:,} workers into {where}? It is for "
                      "benchmarks only", abort=True)
    started = time.monotonic()
    try:
        summary = seed_province(workers=workers, seed=seed, force=force,
                                last_year=last_year or default_last_year(),
                                progress=click.progressbar)
    except (DomainError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing written: {getattr(error, 'message', error)}"
                                   ) from None
    db.session.commit()
    analysed = analyse()
    click.echo(f"Seeded in {time.monotonic() - started:.0f} s (seed {summary.seed}, years "
               f"{summary.years[0]}–{summary.years[-1]}): {summary.organisations:,} "
               f"organisations, {summary.workers:,} workers, {summary.competitions:,} "
               f"competitions with {summary.events:,} events, {summary.entries:,} entries, "
               f"{summary.results:,} results, {summary.nominations:,} nominations, "
               f"{summary.titles:,} titles, {summary.promotions:,} promotions, "
               f"{summary.drills:,} drills with {summary.drill_places:,} named places. "
               f"The province is organisation {summary.province_id}.")
    if not analysed:
        click.echo(f"Warning: {db.engine.url.username} does not own the tables, so the "
                   "planner's statistics were not updated; until autovacuum does, queries may "
                   "take a bad plan. Run ANALYZE as their owner before measuring.", err=True)
