"""`make bench`: every benchmark of issue 18 in one run, each against a reference measured in
the same run on the same machine, ending with one line per benchmark (docs/benchmarks.md):

    BENCH <name> <value> <unit> ratio=<r> [more figures]

    python bench/run.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                        [--quick] [--seconds S] [--no-scripts]

Creates a scratch database on the server, migrates it, seeds the national competition
(competitions/scale/national.py; `--quick`: 2 small events beside the 1,000-entry one) and
this run's fixtures (bench/fixtures.py), starts gunicorn (2 sync workers) for the app and for
the reference app on free ports of 127.0.0.1, and runs results_page, mark_save and
entry_burst with their load from bench/load.py in a process of its own. Then it runs the other
benchmark scripts present in bench/ (bench_compute.py, bench_import.py,
bench_certificates.py, bench_worker_search.py) on the same database, each with
`--database-url` (and `--quick` when the script offers it), passing their BENCH lines
through, and drops the database. Every BENCH line is printed again at the very end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from bench_line import figure, rate_ratio  # noqa: E402  (bench/bench_line.py)
from fixtures import seed_registration, seed_scoring  # noqa: E402
from http_bench import (  # noqa: E402
    Line,
    People,
    entry_burst,
    insert_transactions,
    mark_save,
    results_page,
    say,
    write_reference_rows,
)
from scratch import scratch_postgres  # noqa: E402
from server import AUDIT, SECRET_KEY, WORKERS, free_port, start_gunicorn, stop  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from competitions import create_app  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.scale.national import seed_national  # noqa: E402
from competitions.scale.seed import analyse  # noqa: E402

SCRIPTS = ("bench_compute.py", "bench_import.py", "bench_certificates.py",
           "bench_worker_search.py")
BUDGET = 14.5 * 60  # seconds for the whole run: `make bench` must finish within 15 minutes


@dataclass(frozen=True)
class Sizes:
    events: int  # national: signed-off events beside the published one
    entries: int  # national: entries of each
    big_event: int  # national: entries of the published event (results_page)
    page_clients: int
    page_seconds: float
    page_warmup: float
    page_rounds: int
    mark_events: int
    mark_judges: int  # per event
    mark_entries: int  # per event: sheets per judge
    mark_warmup: float
    mark_seconds: float
    mark_rate: int  # offered saves/s (open loop)
    burst_workers: int
    burst_events: int
    burst_units: int
    burst_quota: int  # entries per unit and event
    burst_picks: int  # events each worker enters
    burst_clients: int
    orm_seconds: float  # each of the three slices of the ORM reference


FULL = Sizes(events=100, entries=400, big_event=1000, page_clients=32, page_seconds=12,
             page_warmup=2, page_rounds=2, mark_events=10, mark_judges=5, mark_entries=200,
             mark_warmup=8, mark_seconds=20, mark_rate=100, burst_workers=1000,
             burst_events=100, burst_units=10, burst_quota=2, burst_picks=1,
             burst_clients=100, orm_seconds=4)
QUICK = Sizes(events=2, entries=20, big_event=1000, page_clients=32, page_seconds=4,
              page_warmup=1, page_rounds=1, mark_events=10, mark_judges=5, mark_entries=40,
              mark_warmup=2, mark_seconds=4, mark_rate=100, burst_workers=200,
              burst_events=20, burst_units=5, burst_quota=2, burst_picks=1,
              burst_clients=50, orm_seconds=1.5)


def heading(text: str) -> None:
    print(f"\n{text}", flush=True)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) / 2**20 for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(url: str, sizes: Sizes, rows_path: Path):
    """Migrate, seed, and write the reference's rows; returns (national, scoring, burst)."""
    app = create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url, **AUDIT})
    with app.app_context():
        started = time.perf_counter()
        chatter = io.StringIO()
        try:
            with contextlib.redirect_stderr(chatter), contextlib.redirect_stdout(chatter):
                flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        except BaseException:
            print(chatter.getvalue(), file=sys.stderr)
            raise
        say("schema", f"{time.perf_counter() - started:6.1f} s")
        started = time.perf_counter()
        national = seed_national(events=sizes.events, entries=sizes.entries,
                                 big_event=sizes.big_event)
        db.session.commit()
        say("national seed", f"{time.perf_counter() - started:6.1f} s: {national.events} events, "
                             f"{national.entries:,} entries, {national.marks:,} marks")
        started = time.perf_counter()
        scoring = seed_scoring(events=sizes.mark_events, judges=sizes.mark_judges,
                               entries=sizes.mark_entries)
        db.session.commit()
        burst = seed_registration(workers=sizes.burst_workers, events=sizes.burst_events,
                                  units=sizes.burst_units, quota=sizes.burst_quota,
                                  picks=sizes.burst_picks)
        db.session.commit()
        analyse()
        say("bench fixtures", f"{time.perf_counter() - started:6.1f} s: "
                              f"{sizes.mark_events} events in scoring × {sizes.mark_judges} "
                              f"judges × {sizes.mark_entries} entries; {sizes.burst_workers:,} "
                              f"workers, {sizes.burst_events} events open for registration")
        rows = write_reference_rows(national.published_event_id, rows_path)
        say("reference rows", f"{rows:,} rows of event {national.published_event_id}")
        db.session.remove()
        db.engine.dispose()
    return app, national, scoring, burst


def measure(url: str, sizes: Sizes, seconds: float | None, options: tuple[str, ...]
            ) -> list[Line]:
    heading("Preparing")
    handle, name = tempfile.mkstemp(prefix="bench-reference-", suffix=".json")
    os.close(handle)
    rows_path = Path(name)
    try:
        app, national, scoring, burst = prepare(url, sizes, rows_path)
        product_port, reference_port = free_port(), free_port()
        # PROXY_COUNT=1, as in production behind its reverse proxy: each simulated person
        # then has an address of their own (X-Forwarded-For) for the per-address limits.
        product = start_gunicorn(url, WORKERS, product_port, env={"PROXY_COUNT": "1"},
                                 options=options)
        try:
            reference = start_gunicorn(None, WORKERS, reference_port, app="reference_app:app",
                                       chdir=ROOT / "bench", probe="/",
                                       env={"BENCH_REFERENCE_ROWS": str(rows_path)},
                                       options=options)
            try:
                say("gunicorn", f"-w {WORKERS} {' '.join(options) or '(sync workers)'} each: "
                                f"app on 127.0.0.1:{product_port}, reference on "
                                f"127.0.0.1:{reference_port}")
                heading(f"results_page: event {national.published_event_id}, "
                        f"{sizes.page_clients} clients without pause ({load_average()})")
                page = results_page(f"http://127.0.0.1:{product_port}",
                                    f"http://127.0.0.1:{reference_port}",
                                    national.published_event_id, clients=sizes.page_clients,
                                    seconds=seconds or sizes.page_seconds,
                                    warmup=sizes.page_warmup, rounds=sizes.page_rounds)
            finally:
                stop(reference)
            people = People()
            with app.app_context():
                slices = []

                def orm_reference(when: str) -> None:
                    """A slice of the ORM reference, taken between the HTTP benchmarks so
                    that the machine's changing load falls on it as on them."""
                    heading(f"Reference: single-row ORM insert transactions, {when} "
                            f"({load_average()})")
                    slices.append(insert_transactions(sizes.orm_seconds))
                    say("inserts", f"{slices[-1][0] / slices[-1][1]:7.1f} transactions/s")
                    db.session.remove()

                orm_reference("before mark_save")
                heading(f"mark_save ({load_average()})")
                marks = mark_save(f"http://127.0.0.1:{product_port}", scoring, people,
                                  warmup=sizes.mark_warmup, seconds=seconds or sizes.mark_seconds,
                                  open_seconds=seconds or sizes.mark_seconds,
                                  rate=sizes.mark_rate, drafts=0)
                db.session.remove()
                orm_reference("between mark_save and entry_burst")
                heading(f"entry_burst ({load_average()})")
                registrations = entry_burst(f"http://127.0.0.1:{product_port}", burst, people,
                                            clients=sizes.burst_clients)
                db.session.remove()
                orm_reference("after entry_burst")
                inserts = sum(n for n, _ in slices) / sum(t for _, t in slices)
                say("single-row ORM inserts", f"{inserts:7.1f} transactions/s (the three "
                                              "slices together)")
                db.session.remove()
                db.engine.dispose()
        finally:
            stop(product)
    finally:
        rows_path.unlink(missing_ok=True)
    return [page,
            Line("mark_save", marks.saturation, "saves/s", rate_ratio(marks.saturation, inserts),
                 f"{marks.figures()} reference={figure(inserts)}tx/s"),
            Line("entry_burst", registrations.rate, "registrations/s",
                 rate_ratio(registrations.rate, inserts),
                 f"p99={figure(registrations.p99)}ms "
                 f"attempts={figure(registrations.attempts_rate)}/s "
                 f"quota={'exact' if registrations.quota_exact else 'BROKEN'}")]


def offers_quick(script: Path) -> bool:
    try:
        shown = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                               text=True, timeout=60, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return False
    return "--quick" in shown.stdout


def run_scripts(url: str, quick: bool, deadline: float) -> tuple[list[str], list[str]]:
    """The other benchmarks, one process each, on the same database: their BENCH lines, and
    a note for each that gave none."""
    present = [ROOT / "bench" / name for name in SCRIPTS if (ROOT / "bench" / name).exists()]
    missing = [name for name in SCRIPTS if not (ROOT / "bench" / name).exists()]
    if missing:
        heading(f"Not present, not run: {', '.join(missing)}")
    plain_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**os.environ, "SECRET_KEY": SECRET_KEY, **AUDIT, "DATABASE_URL": plain_url}
    lines, missing_lines = [], []
    for n, script in enumerate(present):
        # What is left of the budget, less a minute for each script still to come.
        limit = max(60.0, deadline - time.monotonic() - 60 * (len(present) - n - 1))
        command = [sys.executable, str(script), "--database-url", plain_url]
        if quick and offers_quick(script):
            command.append("--quick")
        heading(f"{script.name} (at most {limit:.0f} s; {load_average()})")
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                   env=env, start_new_session=True)
        started = time.monotonic()
        try:
            output, _ = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)  # the script and whatever it started
            output, _ = process.communicate()
            print(f"  {script.name} stopped after {limit:.0f} s", flush=True)
        for line in output.splitlines():
            print(f"  | {line}", flush=True)
        found = [line.strip() for line in output.splitlines() if line.startswith("BENCH ")]
        if process.returncode != 0 or not found:
            note = (f"{script.name}: exit status {process.returncode}, "
                    f"{'no BENCH line' if not found else 'BENCH line kept'}")
            print(f"  {note}", flush=True)
            if not found:
                missing_lines.append(note)
        say("took", f"{time.monotonic() - started:.0f} s")
        lines.extend(found[-1:])
    return lines, missing_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="the PostgreSQL server to create the scratch database on")
    parser.add_argument("--quick", action="store_true",
                        help="small data and short runs: a check that everything works")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds of each measured load phase (default: 15-20, quick 4)")
    parser.add_argument("--no-scripts", action="store_true",
                        help="only the HTTP benchmarks, not the other bench_*.py scripts")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync",
                        help="gunicorn's worker class, for the app and the reference alike")
    parser.add_argument("--threads", type=int, default=4, help="threads of a gthread worker")
    args = parser.parse_args()
    options = (("--worker-class", "gthread", "--threads", str(args.threads))
               if args.worker_class == "gthread" else ())
    started = time.monotonic()
    sizes = QUICK if args.quick else FULL
    print(f"make bench{' (quick)' if args.quick else ''}: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"machine: {machine()}; {load_average()} at the start")
    with scratch_postgres(args.database_url, "bench_run") as (url, version):
        print(f"PostgreSQL {version}, scratch database {make_url(url).database}", flush=True)
        lines = [str(line) for line in measure(url, sizes, args.seconds, options)]
        notes = []
        if not args.no_scripts:
            found, notes = run_scripts(url, args.quick, started + BUDGET)
            lines += found
    print(f"\nmake bench took {time.monotonic() - started:.0f} s; {load_average()} at the end")
    for note in notes:
        print(f"Missing: {note}")
    print()
    for line in lines:
        print(line, flush=True)


if __name__ == "__main__":
    main()
