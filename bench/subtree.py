"""Time subtree queries and moves on a 100,000-organisation tree (SQLite, and PostgreSQL if given).

    python bench/subtree.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                            [--count 100000] [--repeat 20]

Builds a national → province → city → district → enterprise tree with bulk inserts in a scratch
database (a temporary SQLite file; on PostgreSQL a database it creates and drops), then prints
timings. It prints figures and never asserts.
"""

import argparse
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_postgres  # bench/scratch.py

from competitions import create_app  # noqa: E402
from competitions.accounts.models import SYSTEM  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.organisations import services  # noqa: E402
from competitions.organisations.models import Organisation, OrgKind, Tier  # noqa: E402

BATCH = 5000
LEVELS = [  # (tier, kind, name pattern) from the root down
    (Tier.NATIONAL, OrgKind.UNION, "全国总工会"),
    (Tier.PROVINCIAL, OrgKind.UNION, "省{n}总工会"),
    (Tier.CITY, OrgKind.UNION, "市{n}总工会"),
    (Tier.DISTRICT, OrgKind.UNION, "区{n}总工会"),
    (Tier.ENTERPRISE, OrgKind.ENTERPRISE, "企业{n}"),
]


def fan_out(count: int) -> tuple[int, int, int]:
    """Provinces, cities per province, districts per city; enterprises take the rest."""
    return (31, 10, 5) if count >= 20000 else (3, 4, 3)


def tree_rows(count: int):
    """Yield row dicts level by level; ids are assigned here so that paths need no round trip."""
    provinces, cities, districts = fan_out(count)
    upper = 1 + provinces * (1 + cities * (1 + districts))
    ids = itertools.count(1)
    parents: list[dict | None] = [None]
    for depth, (tier, kind, pattern) in enumerate(LEVELS):
        if depth == 0:
            per_parent = [1]
        elif depth < len(LEVELS) - 1:
            per_parent = [(provinces, cities, districts)[depth - 1]] * len(parents)
        else:  # the rest of the count, spread evenly over the districts as enterprises
            base, extra = divmod(max(count - upper, 0), len(parents))
            per_parent = [base + (i < extra) for i in range(len(parents))]
        level = []
        for parent, n_children in zip(parents, per_parent, strict=True):
            for _ in range(n_children):
                org_id = next(ids)
                level.append({
                    "id": org_id, "parent_id": parent["id"] if parent else None,
                    "path": f"{parent['path'] if parent else '/'}{org_id}/",
                    "name": pattern.format(n=org_id), "kind": kind, "tier": tier})
        yield from level
        parents = level


def build(count: int) -> None:
    table = Organisation.__table__
    batch, done, started = [], 0, time.perf_counter()
    for row in tree_rows(count):
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(table.insert(), batch)
            done, batch = done + len(batch), []
            print(f"\r  inserted {done:>7,} / {count:,}", end="", flush=True)
    if batch:
        db.session.execute(table.insert(), batch)
        done += len(batch)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('organisations', 'id'),"
                                   " (SELECT max(id) FROM organisations))"))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    print(f"\r  inserted {done:>7,} organisations in {time.perf_counter() - started:.1f} s")


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median and best wall time in milliseconds, after one warm-up call."""
    result = fn()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), min(runs), result


def report(label: str, median: float, best: float, result) -> None:
    print(f"  {label:<50} median {median:9.3f} ms   best {best:9.3f} ms   -> {result}")


def first_of(tier: Tier, offset: int = 0) -> Organisation:
    return db.session.scalars(sa.select(Organisation).where(Organisation.tier == tier)
                              .order_by(Organisation.id).offset(offset).limit(1)).one()


def measure(repeat: int) -> None:
    province, other_province = first_of(Tier.PROVINCIAL), first_of(Tier.PROVINCIAL, 1)
    city, enterprise = first_of(Tier.CITY), first_of(Tier.ENTERPRISE)
    for label, org in (("a province", province), ("a city", city), ("an enterprise", enterprise)):
        report(f"subtree count of {label} ({org.path})",
               *timed(lambda org=org: services.count_subtree(org), repeat))
    report("first 50 of a province's subtree, by path", *timed(lambda: len(list(
        db.session.scalars(services.subtree_query(province).order_by(Organisation.path)
                           .limit(50)))), repeat))
    deep = db.session.scalars(services.subtree_query(province)
                              .where(Organisation.tier == Tier.ENTERPRISE).limit(1)).one()
    checks = 100_000
    started = time.perf_counter()
    for _ in range(checks):
        deep.is_within(province)
    per_check = (time.perf_counter() - started) / checks * 1e6
    print(f"  {'is_within (in memory), per check':<50} {per_check:9.3f} µs")
    low, high = Organisation.subtree_bounds(province.path)
    within_sql = (sa.select(sa.func.count()).select_from(Organisation)
                  .where(Organisation.id == deep.id, Organisation.path >= low,
                         Organisation.path < high))
    report("is-within check in SQL (by id and path range)",
           *timed(lambda: db.session.scalar(within_sql), repeat))

    size = services.count_subtree(city)
    moves = []
    for target in [other_province, province] * 3:  # move the city back and forth
        started = time.perf_counter()
        services.move_organisation(SYSTEM, city, target)
        db.session.commit()
        moves.append((time.perf_counter() - started) * 1000)
        city = db.session.get(Organisation, city.id)
    print(f"  {f'move a city subtree ({size} organisations)':<50} median "
          f"{statistics.median(moves):9.3f} ms   best {min(moves):9.3f} ms   "
          f"(6 moves, audited, each committed)")
    print(f"  after the moves: city path {city.path}, subtree still {services.count_subtree(city)}")


def plan_of_province_count() -> str:
    province = first_of(Tier.PROVINCIAL)
    stmt = sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.in_subtree(province.path))
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(sa.text(prefix + sql)).all()
    return " | ".join(str(row[-1]).strip() for row in rows)


def run(url: str, count: int, repeat: int) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        build(count)
        print(f"  plan, province count: {plan_of_province_count()}")
        measure(repeat)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        print(f"SQLite {sqlite3.sqlite_version}, {args.count:,} organisations")
        run(f"sqlite:///{scratch}/bench.sqlite", args.count, args.repeat)

    if args.database_url:
        with scratch_postgres(args.database_url, "bench_subtree") as (url, version):
            print(f"PostgreSQL {version}, {args.count:,} organisations")
            run(url, args.count, args.repeat)


if __name__ == "__main__":
    main()
