"""Time a 10,000-row registration import (SQLite, and PostgreSQL if given).

    python bench/import_bench.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                 [--rows 10000] [--existing 1000] [--employers 200]

Builds a province → city → enterprises tree, an open city competition with one event and
`--existing` workers already on the platform, writes a valid spreadsheet of `--rows` rows (the
existing workers among them), then times the three steps a person takes separately: the upload
(stage_upload: the file read once, its rows kept), the preview (validating the kept rows) and the
confirmation (validating them again under the event lock, then the inserts), and counts the SQL
statements that validation and the import send. It prints figures and never asserts.
bench/bench_import.py runs the same import for `make bench` (import_10k).
"""

import argparse
import contextlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_postgres  # bench/scratch.py

from competitions import create_app  # noqa: E402
from competitions.accounts.models import Role, RoleGrant, User  # noqa: E402
from competitions.contests.models import (  # noqa: E402
    Competition,
    CompetitionState,
    Event,
    EventGroup,
)
from competitions.extensions import db  # noqa: E402
from competitions.organisations.models import Organisation, OrgKind, Tier  # noqa: E402
from competitions.promotion.models import Occupation  # noqa: E402
from competitions.registration import imports  # noqa: E402
from competitions.registration.models import Entry, EntryMember, Worker  # noqa: E402
from competitions.spreadsheets import pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ["", "初级工", "中级工", "高级工", "技师"]
# Nanjing's districts: each import of a run gets ID numbers of its own district.
REGIONS = ("320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115")


def id_number(i: int, region: str = REGIONS[0]) -> str:
    """Distinct valid numbers: one birth date per row (men, so none has retired)."""
    body = f"{region}{date(1972, 1, 1) + timedelta(days=i):%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")


def build(employers: int, existing: int, region: str = REGIONS[0], tag: str = ""):
    """The tree, an organiser, an open competition with one event, and existing workers;
    `tag` tells the names apart when several imports share a database."""
    province = Organisation(name=f"江苏省总工会{tag}", kind=OrgKind.UNION, tier=Tier.PROVINCIAL)
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    city = Organisation(name=f"南京市总工会{tag}", kind=OrgKind.UNION, tier=Tier.CITY,
                        parent=province)
    db.session.add(city)
    db.session.flush()
    city.path = f"{province.path}{city.id}/"
    firms = [Organisation(name=f"南京企业{tag}{n:04d}", kind=OrgKind.ENTERPRISE,
                          tier=Tier.ENTERPRISE, parent=city, path=f"pending-{tag}-{n}")
             for n in range(employers)]
    db.session.add_all(firms)
    db.session.flush()
    for firm in firms:
        firm.path = f"{city.path}{firm.id}/"
    actor = User(username=f"organiser{tag}", display_name="组织者", password_hash="x")
    db.session.add_all([actor, RoleGrant(user=actor, role=Role.ORGANISER, organisation=city)])
    competition = Competition(name=f"2026年南京市职工职业技能大赛{tag}", year=2026, tier=Tier.CITY,
                              organiser=city, state=CompetitionState.REGISTRATION,
                              starts_on=date(2026, 9, 1))
    event = Event(competition=competition, occupation=Occupation(name=f"焊工{tag}"),
                  group=EventGroup.EMPLOYEE)
    db.session.add_all([competition, event])
    db.session.flush()
    event.quota_per_org = None  # no quota: the file spreads 10,000 rows over the employers
    numbers = [id_number(i, region) for i in range(existing)]
    if numbers:
        db.session.execute(sa.insert(Worker), [
            {"name": f"职工{i}", "id_number": number, "birth_date": ric.get_birth_date(number),
             "sex": "male", "employer_id": firms[i % employers].id,
             "group": EventGroup.EMPLOYEE} for i, number in enumerate(numbers)])
    db.session.commit()
    return actor, event, [firm.name for firm in firms]


def spreadsheet(rows: int, firms: list[str], region: str = REGIONS[0]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报名表")
    sheet.append(imports.HEADERS)
    for i in range(rows):
        sheet.append([f"职工{i}", id_number(i, region), f"139{i:08d}", firms[i % len(firms)],
                      LEVELS[i % len(LEVELS)], ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class StatementCounter:
    """Counts execute() calls and the cursor executions they become (batched inserts split)."""

    def __init__(self):
        self.calls = self.cursor = 0

    def __enter__(self):
        sa.event.listen(db.engine, "before_execute", self._call)
        sa.event.listen(db.engine, "before_cursor_execute", self._cursor)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_execute", self._call)
        sa.event.remove(db.engine, "before_cursor_execute", self._cursor)

    def _call(self, *args):
        self.calls += 1

    def _cursor(self, *args):
        self.cursor += 1


@dataclass
class ImportTimes:
    """Seconds of each step of one import, and what it made."""

    upload: float
    preview: float
    confirm: float
    commit: float
    content: bytes
    entries: int
    new_workers: int

    @property
    def total(self) -> float:
        """What the person waits for: upload, preview and confirmation (with its commit)."""
        return self.upload + self.preview + self.confirm + self.commit


def timed(label, fn, counter=None, verbose=True):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    extra = (f"   statements: {counter.calls} execute calls, {counter.cursor} cursor executions"
             if counter else "")
    if verbose:
        print(f"  {label:<34} {elapsed:7.2f} s{extra}", flush=True)
    return result, elapsed


def import_once(rows: int, existing: int, employers: int, region: str = REGIONS[0],
                tag: str = "", verbose: bool = True) -> ImportTimes:
    """One import into the app's database (inside its app context): build, write, upload,
    preview, confirm, commit."""
    actor, event, firms = build(employers, existing, region, tag)
    content, _ = timed(f"write a {rows:,}-row .xlsx", lambda: spreadsheet(rows, firms, region),
                       verbose=verbose)
    if verbose:
        print(f"  {'file size':<34} {len(content) / 1024:7.0f} KiB")
    batch, t_read = timed("upload: stage_upload (reads once)",
                          lambda: imports.stage_upload(actor, event, "bench.xlsx", content),
                          verbose=verbose)
    db.session.commit()
    if verbose:
        parsed = imports.as_dicts(pipeline.kept_rows(batch)[1])
        for size in (rows // 100, rows // 10):  # the statement count must not grow with rows
            db.session.expire_all()
            with StatementCounter() as counter:
                imports.validate_rows(actor, event, parsed[-size:])
            print(f"  {f'(validate_rows on {size:,} rows)':<34} {'':9} statements: "
                  f"{counter.calls} execute calls, {counter.cursor} cursor executions")
    db.session.expire_all()
    with StatementCounter() as counter:
        plan, t_validate = timed("preview (validates kept rows)",
                                 lambda: imports.preview(actor, batch), counter, verbose)
    if verbose:
        print(f"  {'':<34} {len(plan.errors)} errors, {len(plan.new_workers):,} new workers, "
              f"{len(plan.entries):,} entries")
    if plan.errors:
        raise SystemExit(f"The file did not validate: {plan.errors[:3]}")
    db.session.rollback()
    db.session.expire_all()
    with StatementCounter() as counter:
        done, t_confirm = timed("confirm (validates again, inserts)",
                                lambda: imports.confirm(actor, batch), counter, verbose)
    _, t_commit = timed("commit", db.session.commit, verbose=verbose)
    entries = db.session.scalar(sa.select(sa.func.count(Entry.id))
                                .where(Entry.event_id == event.id))
    times = ImportTimes(t_read, t_validate, t_confirm, t_commit, content, entries,
                        len(done.new_workers))
    if verbose:
        workers = db.session.scalar(sa.select(sa.func.count(EntryMember.worker_id))
                                    .where(EntryMember.event_id == event.id))
        print(f"  {'result':<34} {entries:,} entries, {workers:,} entrants "
              f"({times.new_workers:,} new workers)")
        print(f"  {'total: upload + preview + confirm':<34} {times.total:7.2f} s "
              f"(the confirm step alone: {t_confirm + t_commit:.2f} s)", flush=True)
    return times


def make_app(url: str, audit: dict | None = None):
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       **(audit or {})})


def run(url: str, rows: int, existing: int, employers: int, *, runs: int = 1,
        migrate: bool = False, verbose: bool = True, app=None) -> list[ImportTimes]:
    """`runs` imports into the database at `url`, each of its own competition; its schema by
    create_all(), or with `migrate` by the migrations (as a deployment has it). `app`: one
    on `url` already loaded (bench_line.deployed_app), else a test app."""
    app = app or make_app(url)
    results = []
    with app.app_context():
        if migrate:
            import flask_migrate
            with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
                flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        else:
            db.create_all()
        for n in range(runs):
            if runs > 1 and verbose:
                print(f" import {n + 1} of {runs}")
            results.append(import_once(rows, existing, employers, REGIONS[n % len(REGIONS)],
                                       tag=f"-{n}" if runs > 1 else "", verbose=verbose))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=1_000)
    parser.add_argument("--employers", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        print(f"SQLite, {args.rows:,} rows ({args.existing:,} workers already on the platform)")
        run(f"sqlite:///{scratch}/bench.sqlite", args.rows, args.existing, args.employers)

    if args.database_url:
        with scratch_postgres(args.database_url, "bench_import") as (url, version):
            print(f"PostgreSQL {version}, {args.rows:,} rows")
            run(url, args.rows, args.existing, args.employers)


if __name__ == "__main__":
    main()
