"""results_compute (issue 18): seconds to compute the results, awards, titles and promotion
eligibility of a whole national competition.

    python bench/bench_compute.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
        [--competition-id N] [--profile] [--gc wsgi|python|freeze|off]
        [--events N] [--fixture-events 10] [--quick]

Point it at a database filled by `flask seed-scale --national` (100 signed-off events of 400
entries, 10 criteria marked by 3 judges, and one published event of 1,000): it takes the
national competition with the most events (or `--competition-id`). For every event in a result
stage it runs, as the services do between sign-off and finalisation, in a fresh session and
one transaction that is rolled back afterwards (the database is left as it was):

1. results and awards: `results.services.compute_results` (marks → component scores →
   total → rank with tie-breaks → standardised score → award plan);
2. the snapshot: `services.store_results` (what publishing stores; titles and eligibility
   read it);
3. titles: `results.honours_rules.recommend_titles`;
4. eligibility: `promotion.eligibility.assess_event`.

A competition without title or promotion rules gets, in that transaction only, the national
class I ones (titles national_class1_nengshou and national_wuyi; promotion
national_class1_2015), so that steps 3 and 4 do their work. The figure is the sum of the
four steps over every event, with the statements sent, the time in the database driver and
in Python's garbage collector. `--profile` prints cProfile's hotspots of one event's four
steps. The app is loaded as gunicorn and `flask --app wsgi` load it (wsgi.py, whose settings
of the garbage collector are part of the product); `--gc` tries the alternatives the issue
asks about (it found 39 % of the time in the collector): `python`, Python's own settings
(as bench/results_bench.py measured); `freeze`, Python's thresholds and gc.freeze() at
start-up; `off`, the collector disabled around each event's steps (what a context manager in
the services would do).

Without such a competition it seeds a small one (`seed_national`, --fixture-events events of
400 entries) in a scratch database on the same server and drops it afterwards: a figure on it
is not comparable with the target.

Reference: one SQL aggregate over all the marks of those events (sum, mean and count of
marks.value per entry, every row fetched), best of three. BENCH value: the seconds above;
ratio = reference seconds / product seconds (a duration: 1.0 would be as fast as the bare
aggregate). Target: ≤ 10 s. It prints figures and never asserts.
"""

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pstats
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_line import bench_line, deployed_app, duration_ratio  # bench/bench_line.py
from scratch import scratch_postgres  # bench/scratch.py

from competitions import create_app  # noqa: E402
from competitions.accounts.models import SYSTEM  # noqa: E402
from competitions.config import normalise_database_url  # noqa: E402
from competitions.contests.models import Competition, Event  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.judging.models import Mark, ScoreSheet  # noqa: E402
from competitions.organisations.models import Tier  # noqa: E402
from competitions.promotion import eligibility  # noqa: E402
from competitions.promotion.rules import preset  # noqa: E402
from competitions.results import honours_rules, services  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"SECRET_KEY": "compute-bench", "AUDIT_KEY": "compute-bench-audit",
          "AUDIT_SIGNING_KEY": "42" * 32, "AUDIT_CHECKPOINT_PATH": os.devnull}
TITLE_RULES = [["national_class1_nengshou", {}], ["national_wuyi", {"top": 1}]]
PROMOTION_PRESET = "national_class1_2015"
STEPS = ("results and awards", "stored snapshot", "titles", "eligibility")


def make_app(url: str):
    return create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})


# --- measuring --------------------------------------------------------------------------------

class Meter:
    """Statements sent, time inside the driver's execute (the query and its rows) and time in
    Python's cyclic garbage collector, while the block runs (as bench/results_bench.py)."""

    def __init__(self):
        self.statements, self.sql, self.gc, self.full_collections = 0, 0.0, 0.0, 0
        self._sql_began = self._gc_began = self._gc_in_sql = 0.0

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._before)
        sa.event.listen(db.engine, "after_cursor_execute", self._after)
        gc.callbacks.append(self._collect)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._before)
        sa.event.remove(db.engine, "after_cursor_execute", self._after)
        gc.callbacks.remove(self._collect)

    def _before(self, *args):
        self.statements += 1
        self._sql_began, self._gc_in_sql = time.perf_counter(), self.gc

    def _after(self, *args):  # a collection while the driver built rows counts as the GC's
        self.sql += time.perf_counter() - self._sql_began - (self.gc - self._gc_in_sql)

    def _collect(self, phase, info):
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc += time.perf_counter() - self._gc_began
            self.full_collections += info["generation"] == 2


@dataclass
class Totals:
    steps: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    events: int = 0
    lines: int = 0
    titles: int = 0
    assessed: int = 0
    eligible: int = 0
    statements: int = 0
    sql: float = 0.0
    gc: float = 0.0
    full_collections: int = 0
    wall: float = 0.0  # the whole loop: sessions, rule settings and rollbacks included

    @property
    def seconds(self) -> float:
        return sum(self.steps.values())


def competition_events(competition_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(Event.id).where(Event.competition_id == competition_id,
                                  Event.stage.in_(services.RESULT_STAGES)).order_by(Event.id)))


def prepare(event_id: int) -> Event:
    """A fresh session, as a request or a CLI run has; the national rules where none are set
    (flushed into the transaction, never committed)."""
    db.session.remove()
    event = db.session.get(Event, event_id)
    competition = event.competition
    if not competition.title_rules:
        competition.title_rules = TITLE_RULES
    if not competition.promotion_rules:
        competition.promotion_rules = preset(PROMOTION_PRESET).to_json()
    db.session.flush()
    return event


def pipeline(event: Event, totals: Totals) -> None:
    """The four steps of one event, each timed."""
    clock = time.perf_counter
    began = clock()
    lines = services.compute_results(event)
    computed = clock()
    services.store_results(event, lines)
    stored = clock()
    titles = honours_rules.recommend_titles(SYSTEM, event)
    titled = clock()
    assessed = eligibility.assess_event(SYSTEM, event)
    ended = clock()
    for step, seconds in zip(STEPS, (computed - began, stored - computed, titled - stored,
                                     ended - titled), strict=True):
        totals.steps[step] += seconds
    totals.lines += len(lines)
    totals.titles += len(titles)
    totals.assessed += len(assessed)
    totals.eligible += sum(1 for e in assessed if e.eligible)


@contextmanager
def no_collector():
    """What a service could wrap its work in: the cyclic collector off, back on afterwards."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_competition(event_ids: list[int], *, collector_off: bool = False) -> Totals:
    totals = Totals(events=len(event_ids))
    started = time.perf_counter()
    for event_id in event_ids:
        event = prepare(event_id)
        with Meter() as meter:
            if collector_off:
                with no_collector():
                    pipeline(event, totals)
            else:
                pipeline(event, totals)
        db.session.rollback()
        totals.statements += meter.statements
        totals.sql += meter.sql
        totals.gc += meter.gc
        totals.full_collections += meter.full_collections
    db.session.remove()
    totals.wall = time.perf_counter() - started
    return totals


def row(label: str, text: str) -> None:
    print(f"  {label:<34} {text}", flush=True)


def report(totals: Totals) -> None:
    total = totals.seconds
    row("the four steps, every event", f"{total:7.2f} s ({totals.events} events, "
        f"{totals.lines:,} result lines, {totals.titles:,} titles recommended, "
        f"{totals.assessed:,} eligibilities assessed, {totals.eligible:,} eligible)")
    for step, seconds in totals.steps.items():
        row(f"  {step}", f"{seconds:7.2f} s ({seconds / total:.0%})")
    row("  statements", f"{totals.statements:,} ({totals.statements / totals.events:,.0f} "
                        f"an event)")
    row("  time in the driver (SQL and rows)", f"{totals.sql:7.2f} s ({totals.sql / total:.0%})")
    row("  time in the garbage collector", f"{totals.gc:7.2f} s ({totals.gc / total:.0%}; "
        f"{totals.full_collections / totals.events:.1f} full collections an event, of "
        f"{len(gc.get_objects()):,} tracked objects now)")
    rest = total - totals.sql - totals.gc
    row("  the rest (ORM, Python)", f"{rest:7.2f} s ({rest / total:.0%})")
    row("the loop's wall clock", f"{totals.wall:7.2f} s (with sessions, settings, rollbacks)")


def reference(event_ids: list[int]) -> tuple[float, int, int]:
    """Best of three: seconds of one aggregate over every mark of the events, and the rows
    and marks it covered."""
    stmt = (sa.select(ScoreSheet.entry_id, sa.func.sum(Mark.value), sa.func.avg(Mark.value),
                      sa.func.count(Mark.id))
            .join(ScoreSheet, ScoreSheet.id == Mark.sheet_id)
            .where(ScoreSheet.event_id.in_(event_ids))
            .group_by(ScoreSheet.entry_id))
    best, rows = float("inf"), []
    for _ in range(3):
        db.session.remove()
        started = time.perf_counter()
        rows = db.session.execute(stmt).all()
        best = min(best, time.perf_counter() - started)
    db.session.remove()
    return best, len(rows), sum(count for *_, count in rows)


def profile(event_id: int) -> None:
    event = prepare(event_id)
    profiler = cProfile.Profile()
    profiler.enable()
    pipeline(event, Totals())
    profiler.disable()
    db.session.rollback()
    db.session.remove()
    for order, restriction, title in (("cumulative", ("competitions/", 25), "the app's code"),
                                      ("tottime", (25,), "everything")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*restriction)
        lines = out.getvalue().splitlines()
        start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"  cProfile of event {event_id}'s four steps, {title} by {order}:")
        print("\n".join("    " + line for line in lines[start:] if line.strip()))


# --- the data ---------------------------------------------------------------------------------

def national_competition(competition_id: int | None) -> int | None:
    """The competition asked for, else the national one with the most events in a result
    stage; None when there is none."""
    if competition_id is not None:
        return competition_id if db.session.get(Competition, competition_id) else None
    counted = sa.func.count(Event.id)
    return db.session.scalar(
        sa.select(Competition.id).join(Event, Event.competition_id == Competition.id)
        .where(Competition.tier == Tier.NATIONAL, Event.stage.in_(services.RESULT_STAGES))
        .group_by(Competition.id).order_by(counted.desc(), Competition.id).limit(1))


def build_fixture(url: str, events: int) -> None:
    import flask_migrate

    from competitions.scale.national import seed_national
    from competitions.scale.seed import analyse

    app = make_app(url)
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        started = time.perf_counter()
        summary = seed_national(events=events, entries=400, big_event=400)
        db.session.commit()
        analyse()
        print(f"fixture: {summary.events} events, {summary.entries:,} entries, "
              f"{summary.marks:,} marks, seeded in {time.perf_counter() - started:.0f} s (not "
              f"the 100 × 400 of the target: not comparable with it)", flush=True)
        db.session.remove()
        db.engine.dispose()


def measure(app, competition_id: int, args) -> None:
    with app.app_context():
        competition = db.session.get(Competition, competition_id)
        event_ids = competition_events(competition_id)[:args.events]
        version = db.session.scalar(sa.text("SHOW server_version")) \
            if db.engine.dialect.name == "postgresql" else "(not PostgreSQL)"
        own = competition.title_rules and competition.promotion_rules
        print(f"PostgreSQL {version}; competition {competition_id} {competition.name}: "
              f"{len(event_ids)} events in a result stage; rules: titles "
              f"{competition.title_rules or TITLE_RULES}, promotion "
              f"{(competition.promotion_rules or {}).get('name', PROMOTION_PRESET)}"
              f"{'' if own else ' (set for the run only)'}", flush=True)
        db.session.remove()
        if not event_ids:
            raise SystemExit(f"Competition {competition_id} has no event in a result stage.")
        ref_seconds, ref_rows, ref_marks = reference(event_ids)
        row("reference: one aggregate of the marks", f"{ref_seconds:7.3f} s ({ref_marks:,} "
            f"marks, {ref_rows:,} entries)")
        if args.profile:
            profile(event_ids[1] if len(event_ids) > 1 else event_ids[0])
        collector_off = args.gc == "off"
        run_competition(event_ids[:2], collector_off=collector_off)  # warm: the caches, pages
        totals = run_competition(event_ids, collector_off=collector_off)
        report(totals)
        db.engine.dispose()
    print(f"  target: ≤ 10 s; {totals.seconds:.2f} s measured")
    bench_line("results_compute", totals.seconds, "s",
               duration_ratio(ref_seconds, totals.seconds))


GC_MODES = {
    "wsgi": "as deployed: wsgi.py's settings (gc.freeze() after create_app, thresholds "
            "50,000/20/20)",
    "python": "Python's defaults: thresholds 700/10/10, nothing frozen (bench/results_bench.py "
              "measured so)",
    "freeze": "Python's thresholds, and gc.freeze() once the app is created and its mappers "
              "configured",
    "off": "wsgi.py's settings, and the collector off around each event's steps",
}


def collector(mode: str) -> None:
    """Set the collector up for `mode` once the app is loaded (wsgi.py has run)."""
    if mode in ("python", "freeze"):
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)
    if mode == "freeze":
        sa.orm.configure_mappers()
        gc.collect()
        gc.freeze()
    print(f"garbage collector: {GC_MODES[mode]}; {gc.get_freeze_count():,} objects frozen, "
          f"thresholds {gc.get_threshold()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a database seeded with `flask seed-scale --national`")
    parser.add_argument("--competition-id", type=int, help="default: the national one")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's hotspots of one event's steps")
    parser.add_argument("--gc", choices=tuple(GC_MODES), default="wsgi",
                        help="; ".join(f"{mode}: {text}" for mode, text in GC_MODES.items()))
    parser.add_argument("--fixture-events", type=int, default=10,
                        help="signed-off events of the fixture built when there is no "
                             "national competition")
    parser.add_argument("--events", type=int, help="only the first EVENTS events (a trial)")
    parser.add_argument("--quick", action="store_true",
                        help="a check that it works: at most 5 events, a fixture of 2")
    args = parser.parse_args()
    if args.quick:
        args.fixture_events, args.events = 2, min(args.events or 5, 5)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # drop the scratch database

    probe = make_app(args.database_url)
    with probe.app_context():
        try:
            competition_id = national_competition(args.competition_id)
        except sa.exc.ProgrammingError:  # no schema at all
            competition_id = None
        db.session.remove()
        db.engine.dispose()
    if competition_id is not None:
        app = deployed_app(normalise_database_url(args.database_url))
        collector(args.gc)
        measure(app, competition_id, args)
        return
    if args.competition_id is not None:
        raise SystemExit(f"No competition {args.competition_id}.")
    print("no national competition: building a fixture in a scratch database", flush=True)
    with scratch_postgres(args.database_url, "bench_compute") as (url, _version):
        build_fixture(url, args.fixture_events)
        app = deployed_app(url)
        collector(args.gc)
        with app.app_context():
            competition_id = national_competition(None)
            db.session.remove()
        measure(app, competition_id, args)


if __name__ == "__main__":
    main()
