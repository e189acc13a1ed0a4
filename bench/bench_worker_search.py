"""worker_search (issue 18): the organisers' worker list, filtered by a unit subtree and a
fragment of a name, over a million worker profiles.

    python bench/bench_worker_search.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
        [--fragments 张伟,王芳,晓东] [--runs 10] [--explain] [--custom-plans] [--quick]

Point it at a database filled by `flask seed-scale --province` (a million workers): it takes
the root organisation with the most workers as the organiser's own unit, and its largest child
(a city) as the narrower subtree. It signs in a throwaway organiser of that root (inserted,
never committed: the database is left as it was) and calls the page in-process, as
bench/evaluation_bench.py does: `GET /registration/workers?q=<fragment>` (the organiser's whole
subtree) and `?q=<fragment>&org=<city>` (one city), each run with an empty identity map, so
that the user, the workers and their employers are loaded again as a request would. For each
scope and two-character fragment it prints the page's median, the median of the service's
queries alone (registration/services.workers_query, paginated: the page of rows and the count)
and the matches; then the same for the full name of a first match (three characters). The
runs share a connection, as a server's requests do, so psycopg prepares a query from its sixth
run and PostgreSQL may then keep a generic plan; `--custom-plans` turns that off, and a
statement timeout (`--statement-timeout`) cuts a plan gone wrong short.

When the database holds fewer than `--min-workers` (a million; the national seed has 41,000)
it builds a province of `--fixture-workers` (a million: about two minutes) in a scratch
database on the same server, migrated with `flask db upgrade` so that it has the deployed
indexes, and drops it afterwards. `--quick` makes that 50,000 workers and 3 runs: a check, not
comparable with the target.

Reference: the same page for one enterprise of that city and no name (`?org=<enterprise>`),
served by the path and employer indexes: the floor of this page (session, permission checks,
the page and count queries, the template). BENCH value: the median (ms) of every run of the
page over both scopes and all two-character fragments; ratio = reference median / that
median (a duration: 1.0 would be as fast as the indexed floor). Target: p50 ≤ 50 ms.
`--explain` prints PostgreSQL's plans (EXPLAIN ANALYZE) of the first fragment's queries.
It prints figures and never asserts.
"""

import argparse
import contextlib
import io
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_line import bench_line, duration_ratio  # bench/bench_line.py
from scratch import scratch_postgres  # bench/scratch.py

from competitions import create_app  # noqa: E402
from competitions.accounts.models import Role, RoleGrant, User  # noqa: E402
from competitions.config import Config, normalise_database_url  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.organisations.models import Organisation  # noqa: E402
from competitions.registration import services  # noqa: E402
from competitions.registration.models import Worker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"SECRET_KEY": "worker-search-bench", "AUDIT_KEY": "worker-search-bench-audit",
          "AUDIT_SIGNING_KEY": "42" * 32, "AUDIT_CHECKPOINT_PATH": os.devnull}


def make_app(url: str, *, timeout_s: float = 0, custom_plans: bool = False):
    """The app on `url`, with the app's engine options, and on PostgreSQL a statement timeout
    (a plan gone wrong fails the run instead of hanging it) and, with `custom_plans`, no
    server-side prepared statements (psycopg's prepare_threshold=None)."""
    url = normalise_database_url(url)
    options = dict(Config.SQLALCHEMY_ENGINE_OPTIONS)
    if url.startswith("postgresql"):
        connect = dict(options.get("connect_args", {}))
        if timeout_s:
            connect["options"] = (f"{connect.get('options', '')} "
                                  f"-c statement_timeout={int(timeout_s * 1000)}").strip()
        if custom_plans:
            connect["prepare_threshold"] = None
        options["connect_args"] = connect
    return create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                       "SQLALCHEMY_ENGINE_OPTIONS": options})


def worker_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Worker.id)))


def subtree_workers(org: Organisation) -> int:
    return db.session.scalar(sa.select(sa.func.count(Worker.id)).join(Worker.employer)
                             .where(Organisation.in_subtree(org.path)))


def scopes() -> tuple[Organisation, Organisation, Organisation]:
    """The root with the most workers, its child with the most, and that child's largest
    employer."""
    roots = db.session.scalars(sa.select(Organisation).where(Organisation.parent_id.is_(None)))
    root = max(roots, key=subtree_workers)
    children = db.session.scalars(sa.select(Organisation).where(
        Organisation.parent_id == root.id))
    city = max(children, key=subtree_workers)
    employer_id = db.session.scalar(
        sa.select(Worker.employer_id).join(Worker.employer)
        .where(Organisation.in_subtree(city.path)).group_by(Worker.employer_id)
        .order_by(sa.func.count(Worker.id).desc(), Worker.employer_id).limit(1))
    return root, city, db.session.get(Organisation, employer_id)


def organiser_of(root: Organisation) -> int:
    """A throwaway organiser of `root`, flushed into the open transaction (rolled back)."""
    user = User(username=f"bench-search-{uuid.uuid4().hex[:8]}", display_name="检索基准",
                password_hash="!")
    db.session.add_all([user, RoleGrant(user=user, role=Role.ORGANISER, organisation=root)])
    db.session.flush()
    return user.id


class TimedOut(Exception):
    """A statement ran past the timeout; the transaction was rolled back."""


class Searcher:
    """Calls of the page and of its queries, each with an empty identity map."""

    def __init__(self, app, root: Organisation):
        self.app, self.root_id = app, root.id
        self.user_id = organiser_of(root)
        self.view = app.view_functions["registration.workers"]

    def _user(self) -> User:
        db.session.expunge_all()  # as a new request: nothing loaded yet (the transaction stays)
        user = db.session.get(User, self.user_id)
        user.session_token = "worker-search-bench"  # as the user loader sets it; not stored
        return user

    def _guarded(self, call):
        try:
            return call()
        except sa.exc.OperationalError as error:
            if "statement timeout" not in str(error.orig):
                raise
            db.session.rollback()  # and with it the organiser: a new one
            self.user_id = organiser_of(db.session.get(Organisation, self.root_id))
            raise TimedOut() from None

    def page(self, query: str, org_id: int | None) -> float:
        """Seconds for the whole page."""
        from flask_login import login_user

        args = {"q": query} if query else {}
        if org_id is not None:
            args["org"] = org_id

        def call():
            with self.app.test_request_context("/registration/workers", query_string=args):
                login_user(self._user())
                return self.view()

        started = time.perf_counter()
        html = self._guarded(call)
        elapsed = time.perf_counter() - started
        if "<table" not in html:
            raise SystemExit("The worker list did not render a table.")
        return elapsed

    def statement(self, query: str, org_path: str | None):
        stmt = services.workers_query(self._user(), query)
        return stmt.where(Organisation.in_subtree(org_path)) if org_path else stmt

    def queries(self, query: str, org_path: str | None) -> tuple[float, int, str | None]:
        """Seconds for the page of rows and the count, the count, and the first name."""
        def call():
            with self.app.test_request_context("/registration/workers"):
                stmt = self.statement(query, org_path)
                started = time.perf_counter()
                page = db.paginate(stmt, page=1, per_page=self.app.config["PER_PAGE"],
                                   error_out=False)
                first = page.items[0].name if page.items else None
                return time.perf_counter() - started, page.total, first
        return self._guarded(call)


def series(runs: int, call, filler) -> tuple[list, bool]:
    """`runs` results of call(); after a statement timeout the rest count as `filler` (a
    prepared statement keeps its plan: they would all time out too)."""
    results = []
    for _ in range(runs):
        try:
            results.append(call())
        except TimedOut:
            return results + [filler] * (runs - len(results)), True
    return results, False


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def explain(stmt, generic: bool) -> None:
    """EXPLAIN ANALYZE of `stmt` as the app sends it, with its values (a custom plan); or,
    `generic`, EXPLAIN of the generic plan PostgreSQL may keep for a prepared statement (which
    psycopg makes of a query's sixth execution on a connection) without running it."""
    compiled = stmt.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    if not generic:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled),
                                          compiled.params).scalars().all()
    else:
        from psycopg import sql
        from sqlalchemy.dialects import postgresql

        numbered = stmt.compile(dialect=postgresql.dialect(paramstyle="numeric_dollar"))
        raw = connection.connection.driver_connection
        name = f"bench_{uuid.uuid4().hex[:8]}"
        raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        raw.execute(f"PREPARE {name} AS {numbered}")
        values = sql.SQL(", ").join(sql.Literal(numbered.params[key])
                                    for key in numbered.positiontup).as_string(raw)
        plan = [row[0] for row in raw.execute(f"EXPLAIN EXECUTE {name}({values})")]
        raw.execute(f"DEALLOCATE {name}")
        raw.execute("SET LOCAL plan_cache_mode = auto")
    print("\n".join("      " + line for line in plan))


def explain_queries(searcher: Searcher, query: str, org_path: str | None, per_page: int) -> None:
    with searcher.app.test_request_context("/registration/workers"):
        stmt = searcher.statement(query, org_path)
        count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        for label, generic in (("EXPLAIN ANALYZE", False), ("generic plan, EXPLAIN", True)):
            print(f"    {label}, the page of rows (q={query}):")
            explain(stmt.limit(per_page), generic)
            print(f"    {label}, the count (q={query}):")
            explain(count, generic)


def measure(app, fragments: list[str], runs: int, show_plans: bool, timeout_s: float) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            indexes = db.session.scalars(sa.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'workers' "
                "ORDER BY indexname")).all()
            version = db.session.scalar(sa.text("SHOW server_version"))
            print(f"PostgreSQL {version}; indexes on workers: {', '.join(indexes)}")
        root, city, employer = scopes()
        total = worker_count()
        print(f"{total:,} workers; organiser of {root.name} ({subtree_workers(root):,}), city "
              f"{city.name} ({subtree_workers(city):,}), reference enterprise {employer.name} "
              f"({subtree_workers(employer):,}); {runs} runs each, median ms")
        searcher = Searcher(app, root)
        per_page = app.config["PER_PAGE"]
        page_runs: list[float] = []
        full_names: dict[str, str] = {}
        scoped = ((f"organiser's subtree ({root.name})", None, None),
                  (f"one city (org={city.name})", city.id, city.path))

        def report(query: str, org_id, org_path, full_name_of: str = "") -> list[float]:
            pages, slow = series(runs, lambda: searcher.page(query, org_id), timeout_s)
            timed, slower = series(runs, lambda: searcher.queries(query, org_path),
                                   (timeout_s, -1, None))
            found = next((t for t in timed if t[1] >= 0), None)
            matches = f"{found[1]:6,} matches" if found else "     ? matches"
            late = f"   TIMED OUT (statement timeout {timeout_s:g} s)" if slow or slower else ""
            note = f"   (the full name of {full_name_of}'s first match)" if full_name_of else ""
            print(f"    q={query:<6} page {median_ms(pages):7.1f}   queries "
                  f"{median_ms([t[0] for t in timed]):7.1f}   {matches}{note}{late}",
                  flush=True)
            if not full_name_of and found and found[2] and len(found[2]) >= 3:
                full_names.setdefault(query, found[2])
            return pages

        for label, org_id, org_path in scoped:
            print(f"  {label}")
            for fragment in fragments:
                series(1, lambda f=fragment, o=org_id: searcher.page(f, o), timeout_s)  # warm
                page_runs += report(fragment, org_id, org_path)
            for fragment, name in full_names.items():
                report(name, org_id, org_path, full_name_of=fragment)
            if show_plans:
                explain_queries(searcher, fragments[0], org_path, per_page)
        searcher.page("", employer.id)
        reference = [searcher.page("", employer.id) for _ in range(runs)]
        print(f"  reference: ?org={employer.name}, no name: page {median_ms(reference):7.1f}")
        db.session.rollback()  # the throwaway organiser
        db.session.remove()
        db.engine.dispose()
    value, floor = median_ms(page_runs), median_ms(reference)
    print(f"  page, every two-character run: p50 {value:.1f} ms, p95 "
          f"{statistics.quantiles(page_runs, n=20)[-1] * 1000:.1f} ms (target: p50 ≤ 50 ms)")
    bench_line("worker_search", value, "ms", duration_ratio(floor, value))


def build_fixture(url: str, workers: int) -> None:
    """A scale province of `workers` workers, migrated as a deployment is."""
    import flask_migrate

    from competitions.scale.cli import default_last_year
    from competitions.scale.seed import analyse, seed_province

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        started = time.perf_counter()
        seed_province(workers=workers, last_year=default_last_year())
        db.session.commit()
        analyse()
        note = "" if workers >= 1_000_000 else " (not the million: not comparable with the target)"
        print(f"fixture: a province of {workers:,} workers seeded in "
              f"{time.perf_counter() - started:.0f} s{note}", flush=True)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a database seeded with `flask seed-scale --province`")
    parser.add_argument("--fragments", default="张伟,王芳,晓东",
                        help="comma-separated two-character name fragments")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--explain", action="store_true", help="print the queries' plans")
    parser.add_argument("--min-workers", type=int, default=1_000_000,
                        help="use the database named when it holds this many workers at "
                             "least, else build a province of --fixture-workers")
    parser.add_argument("--fixture-workers", type=int, default=1_000_000,
                        help="workers of the province built in a scratch database")
    parser.add_argument("--statement-timeout", type=float, default=20, metavar="SECONDS",
                        help="PostgreSQL's statement_timeout for the bench's connections: a "
                             "run past it counts as that long")
    parser.add_argument("--custom-plans", action="store_true",
                        help="what-if: no server-side prepared statements (psycopg "
                             "prepare_threshold=None), so every query is planned with its "
                             "values")
    parser.add_argument("--quick", action="store_true",
                        help="a check that it works: 3 runs, a province of 50,000 workers")
    args = parser.parse_args()
    if args.quick:
        args.runs = 3
        args.min_workers = args.fixture_workers = 50_000
    fragments = [f.strip() for f in args.fragments.split(",") if f.strip()]
    if args.runs < 1 or not fragments:
        parser.error("--runs must be at least 1, and give at least one fragment")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # drop the scratch database
    options = {"timeout_s": args.statement_timeout, "custom_plans": args.custom_plans}
    if args.custom_plans:
        print("what-if: psycopg's prepare_threshold=None (custom plans only)")

    app = make_app(args.database_url, **options)
    with app.app_context():
        try:
            held = worker_count()
        except sa.exc.ProgrammingError:  # no schema at all
            db.session.rollback()
            held = 0
        db.session.remove()
        db.engine.dispose()
    if held >= args.min_workers:
        measure(app, fragments, args.runs, args.explain, args.statement_timeout)
        return
    print(f"{held:,} workers, fewer than {args.min_workers:,}: building a province of "
          f"{args.fixture_workers:,} in a scratch database", flush=True)
    with scratch_postgres(args.database_url, "bench_wsearch") as (url, _version):
        build_fixture(url, args.fixture_workers)
        measure(make_app(url, **options), fragments, args.runs, args.explain,
                args.statement_timeout)


if __name__ == "__main__":
    main()
