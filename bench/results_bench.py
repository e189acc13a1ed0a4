"""Results of a whole competition on PostgreSQL: compute, publish, then the public page under load.

    python bench/results_bench.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--events 100] [--entries 400] [--readers 8] [--seconds 20]
                                  [--workers 4] [--profile]

Creates a scratch database on the server and bulk-loads (competitions/scale/judged.py, as
`flask seed-scale --national` does) one city competition of `--events` events, each with
`--entries` approved, drawn entrants (one worker each, spread over 300
Nanjing enterprises), a locked scheme of 10 criteria (theory 30 %: one imported exam score;
practical 70 %: 3 measurement criteria of one judge and 6 judgement criteria of panels of 3),
six judges (five from Suzhou firms, one from an entrants' firm, for whose entrants a reserve
steps in), a submitted score sheet for every entry and judge on its panels, imported theory
scores, times, a few penalties, and a sign-off; every event signed off and decrypted. It then
times `compute_results` for every event (each in a fresh session, as a request would; with
the statements sent and the time spent in the driver and in Python's garbage collector) and
`lifecycle.publish` for every event (which computes again, stores the snapshot and audits).
When the public results page exists (`public.event_results`), it times one reader in-process,
then starts `gunicorn -w <workers> wsgi:app` on a free port and has `--readers` threads GET
the results pages of random events for `--seconds` seconds. It prints figures and never
asserts; `--profile` adds cProfile's hotspots of computing one event and of one page.
"""

import argparse
import cProfile
import gc
import io
import pstats
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import click
import sqlalchemy as sa
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mark_bench import (  # bench/mark_bench.py
    AUDIT,
    free_port,
    percentile,
    start_gunicorn,
    stop,
)
from scratch import scratch_postgres  # bench/scratch.py

from competitions import create_app  # noqa: E402
from competitions.accounts.models import Role, RoleGrant, User  # noqa: E402
from competitions.bulk import Ids, Writer  # noqa: E402
from competitions.contests.models import (  # noqa: E402
    Competition,
    CompetitionState,
    Event,
    EventGroup,
    EventStage,
)
from competitions.database import utcnow  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.judging import signoff  # noqa: E402
from competitions.judging.models import ComponentKind, CriterionKind  # noqa: E402
from competitions.organisations.models import Organisation, OrgKind, Tier  # noqa: E402
from competitions.promotion.models import Occupation  # noqa: E402
from competitions.registration.models import Worker  # noqa: E402
from competitions.registration.sex import Sex  # noqa: E402
from competitions.results import lifecycle, services  # noqa: E402
from competitions.scale.judged import (  # noqa: E402
    ComponentSpec,
    CriterionSpec,
    Entrant,
    JudgedEvents,
    Officials,
)

ENTRANT_FIRMS = 300
JUDGE_FIRMS = 50
JUDGES = 6  # per event: J0…J4 from Suzhou firms, J5 from an entrants' firm (a reserve covers)


# --- seeding ----------------------------------------------------------------------------------

def org(name, kind, tier, parent=None) -> Organisation:
    node = Organisation(name=name, kind=kind, tier=tier, parent=parent)
    db.session.add(node)
    db.session.flush()
    node.path = (parent.path if parent else "/") + f"{node.id}/"
    return node


def id_number(i: int) -> str:
    """Distinct valid numbers: 500 men born on each day from 1980 on."""
    body = f"320102{date(1980, 1, 1) + timedelta(days=i // 500):%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")


def build_tree() -> tuple[User, Competition, list[Organisation], list[Organisation]]:
    province = org("江苏省总工会", OrgKind.UNION, Tier.PROVINCIAL)
    city = org("南京市总工会", OrgKind.UNION, Tier.CITY, province)
    judges_city = org("苏州市总工会", OrgKind.UNION, Tier.CITY, province)
    firms = [org(f"南京企业{n:03d}", OrgKind.ENTERPRISE, Tier.ENTERPRISE, city)
             for n in range(ENTRANT_FIRMS)]
    judge_firms = [org(f"苏州企业{n:02d}", OrgKind.ENTERPRISE, Tier.ENTERPRISE, judges_city)
                   for n in range(JUDGE_FIRMS)]
    organiser = User(username="organiser", display_name="组织者", password_hash="!")
    db.session.add_all([organiser, RoleGrant(user=organiser, role=Role.ORGANISER,
                                             organisation=city)])
    competition = Competition(name="2026年南京市职工职业技能大赛", year=2026, tier=Tier.CITY,
                              organiser=city, state=CompetitionState.DRAWN,
                              starts_on=date(2026, 9, 1))
    db.session.add(competition)
    db.session.flush()
    return organiser, competition, firms, judge_firms


def bench_scheme() -> tuple[ComponentSpec, ...]:
    """Theory 30 % (T1 imported), practical 70 % (M1–M3 measurement, J1–J6 panels of 3).
    Seats: M1 [J0, J3], M2 [J1, J4], M3 [J5, J2]; judgement criterion n: four judges in turn
    from Jn (three mark, the fourth is the reserve)."""
    measured = tuple(
        CriterionSpec(f"M{n + 1}", f"尺寸精度{n + 1}", Decimal(10), CriterionKind.MEASUREMENT,
                      seats=seats) for n, seats in enumerate(((0, 3), (1, 4), (5, 2))))
    judged = tuple(
        CriterionSpec(f"J{n + 1}", f"工艺评价{n + 1}", Decimal(10), CriterionKind.JUDGEMENT,
                      panel_size=3, seats=tuple((n + k) % JUDGES for k in range(4)))
        for n in range(6))
    return (ComponentSpec("理论", ComponentKind.THEORY, Decimal(30), (
                CriterionSpec("T1", "理论考试", Decimal(100), CriterionKind.IMPORTED),)),
            ComponentSpec("实操", ComponentKind.PRACTICAL, Decimal(70), measured + judged))


class Seeder:
    """Small rows (events, judges) through the ORM; the bulk through competitions.scale."""

    def __init__(self, entries: int):
        self.rng = random.Random(2026)
        self.ids = Ids()
        self.entries = entries
        self.organiser, self.competition, self.firms, self.judge_firms = build_tree()
        self.workers = Writer(Worker)
        self.judged = JudgedEvents(self.ids, self.rng, parents=(self.workers,))
        self.scheme = bench_scheme()

    def event(self, number: int) -> None:
        """One signed-off, decrypted event."""
        now = utcnow()
        event = Event(competition=self.competition,
                      occupation=Occupation(name=f"工种{number:03d}"),
                      group=EventGroup.EMPLOYEE, stage=EventStage.SIGNED_OFF, drawn_at=now,
                      decrypted_at=now, quota_per_org=None)
        db.session.add(event)
        conflicted_firm = self.firms[number % len(self.firms)]
        units = [self.judge_firms[(number * 5 + k) % JUDGE_FIRMS] for k in range(JUDGES - 1)]
        units.append(conflicted_firm)
        judges = [User(username=f"e{number:03d}judge{k}", display_name=f"裁判{number}-{k}",
                       password_hash="!", employer=unit) for k, unit in enumerate(units)]
        chief = User(username=f"e{number:03d}chief", display_name=f"裁判长{number}",
                     password_hash="!", employer=units[0])
        db.session.add_all([*judges, chief])
        db.session.flush()
        db.session.add_all([RoleGrant(user=u, role=Role.JUDGE, event_id=event.id)
                            for u in judges])
        db.session.add(RoleGrant(user=chief, role=Role.CHIEF_JUDGE, event_id=event.id))
        db.session.flush()
        entrants = []
        for worker_id in self.ids.take(Worker.__table__, self.entries):
            firm = self.firms[self.rng.randrange(len(self.firms))]
            number_id = id_number(worker_id)
            self.workers.add(dict(
                id=worker_id, name=f"选手{worker_id}", id_number=number_id,
                birth_date=ric.get_birth_date(number_id), sex=Sex.MALE, employer_id=firm.id,
                group=EventGroup.EMPLOYEE, created_at=now, updated_at=now))
            entrants.append(Entrant(worker_id, firm.id, firm.id))
        officials = Officials(tuple(u.id for u in judges), tuple(u.id for u in units), chief.id,
                              registrar=self.organiser.id)
        self.judged.write_event(event.id, self.scheme, officials, entrants, at=now,
                                registered_at=now)
        self.judged.flush()
        db.session.commit()


def seed(events: int, entries: int) -> tuple[list[int], JudgedEvents]:
    seeder = Seeder(entries)
    with click.progressbar(range(events), label="  seeding events", show_pos=True,
                           file=sys.stdout) as bar:
        for number in bar:
            seeder.event(number + 1)
    event_ids = list(db.session.scalars(sa.select(Event.id).order_by(Event.id)))
    return event_ids, seeder.judged


# --- timing -----------------------------------------------------------------------------------

class Meter:
    """Statements sent, time inside the database driver's execute (the query and its rows),
    and time in Python's cyclic garbage collector, while the block runs."""

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


def row(label: str, text: str) -> None:
    print(f"  {label:<38} {text}")


def summary(label: str, seconds: list[float]) -> None:
    row(label, f"total {sum(seconds):7.2f} s   mean {statistics.fmean(seconds) * 1000:7.1f} ms"
               f"   p50 {percentile(seconds, 50) * 1000:7.1f} ms   p95 "
               f"{percentile(seconds, 95) * 1000:7.1f} ms   max {max(seconds) * 1000:7.1f} ms")


def fresh_event(event_id: int) -> Event:
    """A new session for each event, as a request (or a CLI run) would have."""
    db.session.remove()
    return db.session.get(Event, event_id)


def check_first(event_id: int) -> None:
    state = signoff.overview(fresh_event(event_id))
    row("sign-off check (first event)",
        f"{len(state.rows)} entries, {len(state.cells):,} panel cells, {state.missing_marks} "
        f"marks missing, {len(state.gaps)} staffing gaps, {len(state.flagged)} flagged")


def time_compute(event_ids: list[int]) -> None:
    seconds, meters, lines = [], [], 0
    for event_id in event_ids:
        event = fresh_event(event_id)
        with Meter() as meter:
            started = time.perf_counter()
            computed = services.compute_results(event)
            seconds.append(time.perf_counter() - started)
        meters.append(meter)
        lines += len(computed)
    summary("compute_results() per event", seconds)
    total = sum(seconds)
    row("  result lines", f"{lines:,} ({lines / total:,.0f} lines/s)")
    row("  SQL statements per event", f"min {min(m.statements for m in meters)}, "
                                      f"max {max(m.statements for m in meters)}")
    sql, collector = sum(m.sql for m in meters), sum(m.gc for m in meters)
    row("  time in the driver (SQL and rows)", f"{sql:7.2f} s ({sql / total:.0%})")
    row("  time in the garbage collector", f"{collector:7.2f} s ({collector / total:.0%}; "
        f"{sum(m.full_collections for m in meters) / len(meters):.1f} full collections "
        f"per event, of {len(gc.get_objects()):,} tracked objects)")
    row("  the rest (ORM loading, Python)", f"{total - sql - collector:7.2f} s "
                                            f"({(total - sql - collector) / total:.0%})")


def time_publish(event_ids: list[int]) -> None:
    seconds = []
    for event_id in event_ids:
        event = fresh_event(event_id)
        organiser = db.session.scalar(sa.select(User).where(User.username == "organiser"))
        started = time.perf_counter()
        lifecycle.publish(organiser, event)
        db.session.commit()
        seconds.append(time.perf_counter() - started)
    summary("lifecycle.publish() + commit", seconds)
    seconds = []
    for event_id in event_ids:
        event = fresh_event(event_id)
        started = time.perf_counter()
        services.published_results(event)
        seconds.append(time.perf_counter() - started)
    summary("published_results() in-process", seconds)


def profile(what: str, call) -> None:
    """Print cProfile's hotspots of one call: the app's own functions, then everything."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    for order, restriction, title in (("cumulative", ("competitions/", 15), "the app's code"),
                                      ("tottime", (12,), "everything")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*restriction)
        print(f"  cProfile of {what}, {title} by {order}:")
        lines = out.getvalue().splitlines()
        start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print("\n".join("    " + line for line in lines[start:] if line.strip()))


# --- the public page --------------------------------------------------------------------------

def read_pages(base: str, event_ids: list[int], readers: int, duration: float):
    seconds: list[float] = []
    statuses: Counter = Counter()
    sizes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(readers + 1)
    deadline = [0.0]

    def reader(n: int) -> None:
        rng = random.Random(n)
        start.wait()
        while time.perf_counter() < deadline[0]:
            path = f"/events/{rng.choice(event_ids)}/results"
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    status, size = response.status, len(response.read())
            except urllib.error.HTTPError as error:
                status, size = error.code, 0
            except OSError as error:
                status, size = type(error).__name__, 0
            with lock:
                seconds.append(time.perf_counter() - began)
                statuses[status] += 1
                sizes.append(size)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + duration
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return seconds, statuses, sizes, time.perf_counter() - started


def public_page(url: str, app, event_ids: list[int], args) -> None:
    if "public.event_results" not in {rule.endpoint for rule in app.url_map.iter_rules()}:
        row("public results page", "skipped: no public.event_results route yet")
        return
    with app.app_context():
        client = app.test_client()
        seconds = []
        for event_id in event_ids[:10]:
            started = time.perf_counter()
            client.get(f"/events/{event_id}/results")
            seconds.append(time.perf_counter() - started)
        summary("one reader in-process (test client)", seconds)
        if args.profile:
            profile("GET /events/<id>/results in-process",
                    lambda: client.get(f"/events/{event_ids[0]}/results"))
        db.session.remove()
        db.engine.dispose()
    port, started = free_port(), time.perf_counter()
    server = start_gunicorn(url, args.workers, port)
    try:
        row("gunicorn up", f"{time.perf_counter() - started:8.2f} s   ({args.workers} sync "
                           f"workers on 127.0.0.1:{port})")
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/events/{event_ids[0]}/results", timeout=60) as page:
            row("first page", f"{page.status}, {len(page.read()):,} bytes")
        seconds, statuses, sizes, elapsed = read_pages(base, event_ids, args.readers,
                                                       args.seconds)
    finally:
        stop(server)
    ok = statuses.get(200, 0)
    row(f"{args.readers} readers for {args.seconds:g} s", f"{len(seconds):,} requests, "
        f"{ok:,} answered 200 ({ok / elapsed:.1f} pages/s; all requests "
        f"{len(seconds) / elapsed:.1f}/s)")
    if seconds:
        row("GET /events/<id>/results latency",
            f"p50 {percentile(seconds, 50) * 1000:7.1f} ms   p95 "
            f"{percentile(seconds, 95) * 1000:7.1f} ms   p99 "
            f"{percentile(seconds, 99) * 1000:7.1f} ms   max {max(seconds) * 1000:7.1f} ms")
        row("page size", f"mean {statistics.fmean(sizes) / 1024:,.0f} KiB")
    row("responses by status", ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items(),
                                                                           key=str)))


def run(url: str, args) -> None:
    app = create_app({"SECRET_KEY": "results-bench-secret", "SQLALCHEMY_DATABASE_URI": url,
                      **AUDIT})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        event_ids, judged = seed(args.events, args.entries)
        row("seeded", f"{time.perf_counter() - started:8.2f} s")
        row("  rows", f"{judged.entries.count:,} entries, {judged.sheets.count:,} submitted "
                      f"sheets, {judged.marks.count:,} marks, {judged.imported.count:,} "
                      f"imported, {judged.penalties.count:,} penalties")
        started = time.perf_counter()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        row("ANALYZE", f"{time.perf_counter() - started:8.2f} s")
        check_first(event_ids[0])
        if args.profile:
            event = fresh_event(event_ids[0])
            profile("compute_results() for one event", lambda: services.compute_results(event))
        time_compute(event_ids)
        time_publish(event_ids)
        db.session.remove()
        db.engine.dispose()
    public_page(url, app, event_ids, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="the PostgreSQL server to create the scratch database on")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--entries", type=int, default=400, help="entries per event")
    parser.add_argument("--readers", type=int, default=8, help="concurrent reader threads")
    parser.add_argument("--seconds", type=float, default=20, help="how long the readers read")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's hotspots of computing one event")
    args = parser.parse_args()
    if args.events < 1 or args.entries < 1:
        parser.error("--events and --entries must be at least 1")

    with scratch_postgres(args.database_url, "bench_results") as (url, version):
        print(f"PostgreSQL {version}; {args.events} events × {args.entries} entries × 10 "
              f"criteria (3 measurement, 6 judgement by panels of 3, 1 imported)")
        run(url, args)


if __name__ == "__main__":
    main()
