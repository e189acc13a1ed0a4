"""Time a 10,000-row registration import (SQLite, and PostgreSQL if given).

    python bench/import_bench.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                 [--rows 10000] [--existing 1000] [--employers 200]

Builds a province → city → enterprises tree, an open city competition with one event and
`--existing` workers already on the platform, writes a valid spreadsheet of `--rows` rows (the
existing workers among them), then times the three steps a person takes separately: the upload
(stage_upload: the file read once, its rows kept), the preview (validating the kept rows) and the
confirmation (validating them again under the event lock, then the inserts), and counts the SQL
statements that validation and the import send. It prints figures and never asserts.
"""

import argparse
import io
import sys
import tempfile
import time
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
from competitions.registration.models import Entry, Worker  # noqa: E402
from competitions.spreadsheets import pipeline  # noqa: E402

LEVELS = ["", "初级工", "中级工", "高级工", "技师"]


def id_number(i: int) -> str:
    """Distinct valid numbers: one birth date per row (men, so none has retired)."""
    body = f"320102{date(1972, 1, 1) + timedelta(days=i):%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")


def build(employers: int, existing: int):
    """The tree, an organiser, an open competition with one event, and existing workers."""
    province = Organisation(name="江苏省总工会", kind=OrgKind.UNION, tier=Tier.PROVINCIAL)
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    city = Organisation(name="南京市总工会", kind=OrgKind.UNION, tier=Tier.CITY, parent=province)
    db.session.add(city)
    db.session.flush()
    city.path = f"{province.path}{city.id}/"
    firms = [Organisation(name=f"南京企业{n:04d}", kind=OrgKind.ENTERPRISE, tier=Tier.ENTERPRISE,
                          parent=city, path=f"pending-{n}") for n in range(employers)]
    db.session.add_all(firms)
    db.session.flush()
    for firm in firms:
        firm.path = f"{city.path}{firm.id}/"
    actor = User(username="organiser", display_name="组织者", password_hash="x")
    db.session.add_all([actor, RoleGrant(user=actor, role=Role.ORGANISER, organisation=city)])
    competition = Competition(name="2026年南京市职工职业技能大赛", year=2026, tier=Tier.CITY,
                              organiser=city, state=CompetitionState.REGISTRATION,
                              starts_on=date(2026, 9, 1))
    event = Event(competition=competition, occupation=Occupation(name="焊工"),
                  group=EventGroup.EMPLOYEE)
    db.session.add_all([competition, event])
    db.session.flush()
    event.quota_per_org = None  # no quota: the file spreads 10,000 rows over the employers
    db.session.execute(sa.insert(Worker), [
        {"name": f"职工{i}", "id_number": id_number(i), "birth_date": ric.get_birth_date(
            id_number(i)), "sex": "male", "employer_id": firms[i % employers].id,
         "group": EventGroup.EMPLOYEE} for i in range(existing)])
    db.session.commit()
    return actor, event, [firm.name for firm in firms]


def spreadsheet(rows: int, firms: list[str]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报名表")
    sheet.append(imports.HEADERS)
    for i in range(rows):
        sheet.append([f"职工{i}", id_number(i), f"139{i:08d}", firms[i % len(firms)],
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


def timed(label, fn, counter=None):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    extra = (f"   statements: {counter.calls} execute calls, {counter.cursor} cursor executions"
             if counter else "")
    print(f"  {label:<34} {elapsed:7.2f} s{extra}")
    return result, elapsed


def run(url: str, rows: int, existing: int, employers: int) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        actor, event, firms = build(employers, existing)
        content, _ = timed(f"write a {rows:,}-row .xlsx", lambda: spreadsheet(rows, firms))
        print(f"  {'file size':<34} {len(content) / 1024:7.0f} KiB")
        batch, t_read = timed("upload: stage_upload (reads once)",
                              lambda: imports.stage_upload(actor, event, "bench.xlsx", content))
        db.session.commit()
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
                                     lambda: imports.preview(actor, batch), counter)
        print(f"  {'':<34} {len(plan.errors)} errors, {len(plan.new_workers):,} new workers, "
              f"{len(plan.entries):,} entries")
        db.session.rollback()
        db.session.expire_all()
        with StatementCounter() as counter:
            _, t_confirm = timed("confirm (validates again, inserts)",
                                 lambda: imports.confirm(actor, batch), counter)
        _, t_commit = timed("commit", db.session.commit)
        entries = db.session.scalar(sa.select(sa.func.count(Entry.id)))
        workers = db.session.scalar(sa.select(sa.func.count(Worker.id)))
        print(f"  {'result':<34} {entries:,} entries, {workers:,} workers")
        print(f"  {'total: upload + preview + confirm':<34} "
              f"{t_read + t_validate + t_confirm + t_commit:7.2f} s "
              f"(the confirm step alone: {t_confirm + t_commit:.2f} s)")
        db.session.remove()
        db.engine.dispose()


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
