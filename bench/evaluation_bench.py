"""The effectiveness evaluation (issue 17) on a scale database: how long the page's figures take.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale_bench \
        python bench/evaluation_bench.py [--year 2026] [--runs 5] [--as USERNAME]

Builds nothing: point it at a database filled by `flask seed-scale --province` (docs/
evaluation.md, "Scale"). For the province, one city and one district it times
`evaluate(organisation, year, filters)` with no filter and with each kind of filter, then
`report_pdf.evaluate_years` (what the page computes: this year, last year and the trend), each
run in a fresh session as a request would be, and prints the minimum and median of `--runs`
runs with the statements sent. With `--as USERNAME` (an administrator or the province's
organiser) it also times the whole page, template and charts included, called in-process.
It prints figures and never asserts; the target is under 2 s for the page.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from competitions import create_app  # noqa: E402
from competitions.contests.models import Competition  # noqa: E402
from competitions.evaluation import report_pdf  # noqa: E402
from competitions.evaluation.measures import Filters, evaluate  # noqa: E402
from competitions.extensions import db  # noqa: E402
from competitions.organisations.models import (  # noqa: E402
    EnterpriseSize,
    Organisation,
    Ownership,
    Tier,
)

FILTERS = [("no filter", Filters()), ("tier: city", Filters(tier=Tier.CITY)),
           ("industry: C", Filters(industry="C")),
           ("ownership: private", Filters(ownership=Ownership.PRIVATE)),
           ("size: small", Filters(size=EnterpriseSize.SMALL))]


class Statements:
    """Counts the statements the engine sends."""

    def __init__(self, engine):
        self.n = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        self.n += 1


def timed(runs: int, statements: Statements, call) -> tuple[float, float, int]:
    """(min, median) seconds of `runs` calls, each in a fresh session; statements per call."""
    seconds, sent = [], 0
    for _ in range(runs):
        db.session.remove()
        before = statements.n
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
        sent = statements.n - before
    db.session.remove()
    return min(seconds), statistics.median(seconds), sent


def row(label: str, figures: tuple[float, float, int]) -> None:
    low, median, sent = figures
    print(f"  {label:<34} min {low * 1000:8.1f} ms   median {median * 1000:8.1f} ms   "
          f"{sent:3d} statements", flush=True)


def subtrees() -> list[tuple[str, int]]:
    """The province (the root of the scale tree), its largest city and that city's largest
    district, by recorded workforce."""
    province = db.session.scalar(sa.select(Organisation).where(
        Organisation.tier == Tier.PROVINCIAL, Organisation.parent_id.is_(None)))
    if province is None:
        raise SystemExit("No provincial root organisation: seed with `flask seed-scale "
                         "--province` first.")

    def largest(parent: Organisation, tier: Tier) -> Organisation:
        children = db.session.scalars(sa.select(Organisation).where(
            Organisation.parent_id == parent.id, Organisation.tier == tier)).all()
        return max(children, key=lambda child: db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Organisation.workforce), 0))
            .where(Organisation.in_subtree(child.path))))

    city = largest(province, Tier.CITY)
    district = largest(city, Tier.DISTRICT)
    return [(f"province {province.name}", province.id), (f"city {city.name}", city.id),
            (f"district {district.name}", district.id)]


def page(app, username: str, org_id: int, year: int):
    from flask_login import login_user

    from competitions.accounts.models import User
    from competitions.evaluation.views import index

    def call():
        with app.test_request_context(f"/evaluation/?org={org_id}&year={year}"):
            user = db.session.scalar(sa.select(User).where(User.username == username))
            user.session_token = "evaluation-bench"  # as the user loader sets it; not stored
            login_user(user)
            html = index()
            assert "<svg" in html
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--year", type=int, help="default: the latest year with competitions")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--as", dest="username", help="also time the page, as this user")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("Name the seeded database: DATABASE_URL or --database-url.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url,
                      "SECRET_KEY": os.environ.get("SECRET_KEY", "evaluation-bench"),
                      "AUDIT_KEY": os.environ.get("AUDIT_KEY", "evaluation-bench-audit-key"),
                      "AUDIT_SIGNING_KEY": os.environ.get("AUDIT_SIGNING_KEY", "42" * 32),
                      "AUDIT_CHECKPOINT_PATH": os.devnull})
    with app.app_context():
        statements = Statements(db.engine)
        year = args.year or db.session.scalar(sa.select(sa.func.max(Competition.year)))
        print(f"{db.engine.url.render_as_string(hide_password=True)}, year {year}, "
              f"{args.runs} runs each")
        for name, table in (("organisations", "organisations"), ("workers", "workers"),
                            ("entries", "entries"), ("drills", "drills")):
            print(f"  {name:<14}{db.session.scalar(sa.text(f'SELECT count(*) FROM {table}')):>12,}")
        for label, org_id in subtrees():
            print(label)
            for filter_label, filters in FILTERS:
                row(f"evaluate, {filter_label}", timed(args.runs, statements, lambda o=org_id,
                    f=filters: evaluate(db.session.get(Organisation, o), year, f)))
            row("page's figures (evaluate_years)", timed(args.runs, statements, lambda o=org_id:
                report_pdf.evaluate_years(db.session.get(Organisation, o), year)))
            if args.username:
                row("whole page, in-process", timed(args.runs, statements,
                                                    page(app, args.username, org_id, year)))


if __name__ == "__main__":
    main()
