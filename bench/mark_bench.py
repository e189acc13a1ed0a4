"""Judges saving marks through gunicorn: concurrent HTTP clients against a drawn event (PostgreSQL).

    python bench/mark_bench.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                               [--workers 4] [--clients 8] [--entries 20] [--judges 6]
                               [--criteria 3] [--drafts 0] [--double-click] [--events 1]

Creates a scratch database on the server, seeds a drawn event in scoring (`--entries` entrants
from Nanjing firms; `--judges` judges from a Suzhou firm, so nobody is in conflict; one
measurement criterion marked by one judge and judgement criteria marked by panels of three,
seated in turn so that every judge has work), starts `gunicorn -w <workers> wsgi:app` on a free
local port, and runs `--clients` HTTP clients at once (threads with urllib and a cookie jar),
each logged in as a judge through the login form. For every sheet of its judge a client GETs
the score sheet (for the CSRF token, the version and the mark fields), optionally saves
`--drafts` drafts, then submits; with `--double-click` every form is posted twice at once. It
prints saves per second, POST latency percentiles and the responses by status, then checks the
database: one sheet per judge and entry, every mark there, the audit chain intact. It prints
figures and never asserts.

With `--events 2` it seeds two such events and splits the clients between them: the audit log
keeps one chain per event, each with its own head row (issue 11), so saves in two events at once
never wait on each other; compare saves/s and POST latency with `--events 1` at the same number
of clients.
"""

import argparse
import http.cookiejar
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixtures import PANEL, PASSWORD, open_marking  # bench/fixtures.py
from load import HIDDEN, MARK_FIELD, attribute  # bench/load.py
from scratch import scratch_postgres  # bench/scratch.py
from server import AUDIT, SECRET_KEY, free_port, percentile, start_gunicorn, stop

from competitions import create_app  # noqa: E402
from competitions.accounts.models import Role, RoleGrant, User  # noqa: E402
from competitions.audit.models import AuditEntry  # noqa: E402
from competitions.audit.services import verify_chain  # noqa: E402
from competitions.contests.models import (  # noqa: E402
    Competition,
    CompetitionState,
    Event,
    EventGroup,
)
from competitions.extensions import db  # noqa: E402
from competitions.judging import marking, panels, signoff  # noqa: E402
from competitions.judging.models import Mark, ScoreSheet, SheetStatus  # noqa: E402
from competitions.organisations.models import Organisation, OrgKind, Tier  # noqa: E402
from competitions.promotion.models import Occupation  # noqa: E402
from competitions.registration.draw import draw_event  # noqa: E402
from competitions.registration.models import (  # noqa: E402
    Entry,
    EntryMember,
    EntryStatus,
    Worker,
)

# --- seeding ----------------------------------------------------------------------------------

def org(name, kind, tier, parent=None) -> Organisation:
    node = Organisation(name=name, kind=kind, tier=tier, parent=parent)
    db.session.add(node)
    db.session.flush()
    node.path = (parent.path if parent else "/") + f"{node.id}/"
    return node


def id_number(i: int) -> str:
    body = f"320102{date(1975, 1, 1) + timedelta(days=i):%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")


def seed(entries: int, judges: int, criteria: int, events: int = 1) -> list[int]:
    """`events` drawn events in scoring, one occupation each; returns their ids."""
    province = org("江苏省总工会", OrgKind.UNION, Tier.PROVINCIAL)
    city = org("南京市总工会", OrgKind.UNION, Tier.CITY, province)
    other_city = org("苏州市总工会", OrgKind.UNION, Tier.CITY, province)
    firms = [org(f"南京企业{n:02d}", OrgKind.ENTERPRISE, Tier.ENTERPRISE, city)
             for n in range(20)]
    judges_firm = org("苏州电气公司", OrgKind.ENTERPRISE, Tier.ENTERPRISE, other_city)
    organiser = User(username="organiser", display_name="组织者")
    organiser.set_password(PASSWORD)
    db.session.add_all([organiser, RoleGrant(user=organiser, role=Role.ORGANISER,
                                             organisation=city)])
    competition = Competition(name="2026年南京市职工职业技能大赛", year=2026, tier=Tier.CITY,
                              organiser=city, state=CompetitionState.REVIEW,
                              starts_on=date(2026, 9, 1))
    db.session.add(competition)
    return [seed_event(competition, organiser, firms, judges_firm, entries, judges, criteria, k)
            for k in range(events)]


def seed_event(competition, organiser, firms, judges_firm, entries: int, judges: int,
               criteria: int, k: int) -> int:
    event = Event(competition=competition, occupation=Occupation(name=["焊工", "电工"][k % 2]
                                                                 + ("" if k < 2 else str(k))),
                  group=EventGroup.EMPLOYEE)
    db.session.add(event)
    db.session.flush()
    for i in range(k * entries, (k + 1) * entries):
        number = id_number(i)
        worker = Worker(name=f"选手{i}", id_number=number, birth_date=ric.get_birth_date(number),
                        sex="male", employer=firms[i % len(firms)], group=EventGroup.EMPLOYEE)
        db.session.add(Entry(event=event, unit=worker.employer, status=EntryStatus.APPROVED,
                             members=[EntryMember(event_id=event.id, worker=worker,
                                                  is_leader=True)]))
    db.session.flush()
    draw_event(organiser, event)

    def official(role, username):
        user = User(username=username, display_name=f"{username}裁判", employer=judges_firm)
        user.set_password(PASSWORD)
        db.session.add_all([user, RoleGrant(user=user, role=role, event_id=event.id)])
        return user

    prefix = "" if k == 0 else f"e{k}"
    chief = official(Role.CHIEF_JUDGE, f"{prefix}chief")
    panel = [official(Role.JUDGE, f"{prefix}judge{n:02d}") for n in range(judges)]
    db.session.flush()
    needed = open_marking(organiser, chief, event, panel, criteria)
    db.session.commit()
    print(f"  seeded event {event.id}: {entries} entries, {judges} judges, {needed} criteria "
          f"(1 measurement, {needed - 1} judgement with panels of {PANEL})")
    return event.id


def work_by_judge(event_id: int) -> dict[str, list[str]]:
    event = db.session.get(Event, event_id)
    return {judge.username: [w.blind_code for w in marking.judge_work(judge, event)]
            for judge in panels.event_judges(event)}


# --- the clients ------------------------------------------------------------------------------

class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx comes back as an HTTPError carrying its status


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    post_seconds: list[float] = field(default_factory=list)
    get_seconds: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            (self.post_seconds if kind == "POST" else self.get_seconds).append(seconds)
            self.statuses[(kind, status)] += 1


class Client:
    """One browser: a cookie jar, no automatic redirects, timings into the tally."""

    def __init__(self, base: str, tally: Tally):
        self.base, self.tally = base, tally
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects)

    def request(self, path: str, data: dict | None = None, *, timed: bool = True):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, text = type(error).__name__, ""
        if timed:
            self.tally.add("POST" if data is not None else "GET",
                           time.perf_counter() - started, status)
        return status, text

    def log_in(self, username: str) -> None:
        _, page = self.request("/accounts/login", timed=False)
        token = attribute(HIDDEN.search(page).group(0), "value")
        status, _ = self.request("/accounts/login", {
            "csrf_token": token, "login": username, "password": PASSWORD}, timed=False)
        if status != 302:
            raise RuntimeError(f"login as {username} answered {status}")

    def mark_sheet(self, event_id: int, code: str, rng: random.Random, drafts: int,
                   double_click: bool) -> None:
        path = f"/judging/events/{event_id}/sheets/{code}"
        for action in ["save"] * drafts + ["submit"]:
            status, page = self.request(path)
            if status != 200:
                self.tally.failures.append(f"GET {code}: {status}")
                return
            form = {match.group(1): attribute(match.group(0), "value")
                    for match in HIDDEN.finditer(page)}  # csrf_token and version
            for match in MARK_FIELD.finditer(page):
                top, step = (Decimal(attribute(match.group(0), name))
                             for name in ("data-max", "data-step"))
                form[f"mark-{match.group(1)}"] = str(step * rng.randint(0, int(top / step)))
            form["action"] = action
            if double_click:  # the same form posted twice at once, as by an impatient judge
                twin = threading.Thread(target=self.request, args=(path, form))
                twin.start()
                self.request(path, form)
                twin.join()
            else:
                status, _ = self.request(path, form)
                if status != 303:
                    self.tally.failures.append(f"POST {code} ({action}): {status}")


def plan(work: dict[str, list[str]], clients: int) -> list[list[tuple[str, list[str]]]]:
    """Each client's (judge, blind codes) to do: with more clients than judges, a judge's list
    is shared by several clients (several tabs or devices); with fewer, a client takes turns."""
    judges = [j for j in sorted(work) if work[j]]
    jobs: list[list[tuple[str, list[str]]]] = [[] for _ in range(clients)]
    if clients <= len(judges):
        for n, judge in enumerate(judges):
            jobs[n % clients].append((judge, work[judge]))
    else:
        for c in range(clients):
            judge = judges[c % len(judges)]
            share = [k for k in range(clients) if k % len(judges) == c % len(judges)]
            jobs[c].append((judge, work[judge][share.index(c)::len(share)]))
    return jobs


def drive(base: str, jobs, drafts: int, double_click: bool) -> tuple[Tally, float]:
    """`jobs`: each client's [(event id, judge, blind codes), …]."""
    tally = Tally()
    start = threading.Barrier(len(jobs) + 1)

    def client(n: int, todo) -> None:
        browsers = []
        for _, judge, _ in todo:
            browser = Client(base, tally)
            browser.log_in(judge)
            browsers.append(browser)
        start.wait()
        rng = random.Random(n)
        for browser, (event_id, _, codes) in zip(browsers, todo, strict=True):
            for code in codes:
                browser.mark_sheet(event_id, code, rng, drafts, double_click)

    threads = [threading.Thread(target=client, args=(n, todo)) for n, todo in enumerate(jobs)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    start.wait()
    print(f"  {'clients logged in':<34} {time.perf_counter() - started:8.2f} s")
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def report(tally: Tally, elapsed: float) -> None:
    saves = tally.statuses[("POST", 303)]
    posts = len(tally.post_seconds)
    print(f"  {'saves (POSTs answered 303)':<34} {saves:,} of {posts:,} POSTs")
    print(f"  {'elapsed':<34} {elapsed:8.2f} s")
    print(f"  {'saves/s':<34} {saves / elapsed:8.1f}   (all requests/s: "
          f"{(posts + len(tally.get_seconds)) / elapsed:.1f})")
    for kind, values in (("POST", tally.post_seconds), ("GET sheet", tally.get_seconds)):
        if values:
            print(f"  {f'{kind} latency':<34} p50 {percentile(values, 50) * 1000:7.1f} ms   "
                  f"p95 {percentile(values, 95) * 1000:7.1f} ms   "
                  f"p99 {percentile(values, 99) * 1000:7.1f} ms   "
                  f"max {max(values) * 1000:7.1f} ms   mean "
                  f"{statistics.fmean(values) * 1000:7.1f} ms")
    by_status = ", ".join(f"{kind} {status}: {n:,}"
                          for (kind, status), n in sorted(tally.statuses.items(), key=str))
    print(f"  {'responses by status':<34} {by_status}")
    errors = {k: n for k, n in tally.statuses.items() if k not in (("POST", 303), ("GET", 200))}
    print(f"  {'errors':<34} {errors or 'none'}")
    for failure in tally.failures[:10]:
        print(f"    {failure}")


def check(event_ids: list[int], work: dict[str, list[str]]) -> None:
    db.session.expire_all()
    sheets = db.session.scalar(sa.select(sa.func.count(ScoreSheet.id)))
    submitted = db.session.scalar(sa.select(sa.func.count(ScoreSheet.id)).where(
        ScoreSheet.status == SheetStatus.SUBMITTED))
    marks = db.session.scalar(sa.select(sa.func.count(Mark.id)))
    expected_sheets = sum(len(codes) for codes in work.values())
    changes = db.session.scalar(sa.select(sa.func.count(AuditEntry.seq)).where(
        AuditEntry.action.startswith("mark.")))
    checked, problem = verify_chain()
    missing = sum(signoff.overview(db.session.get(Event, event_id)).missing_marks
                  for event_id in event_ids)
    print(f"  {'sheets in the database':<34} {sheets:,} ({submitted:,} submitted; "
          f"expected {expected_sheets:,})")
    print(f"  {'marks in the database':<34} {marks:,} (missing before sign-off: "
          f"{missing})")
    print(f"  {'mark changes audited':<34} {changes:,} (a no-op repeat post leaves none)")
    print(f"  {'audit chain':<34} {checked:,} entries, "
          f"{'intact' if problem is None else problem.message}")
    print(f"  {'reconcile_marks()':<34} {signoff.reconcile_marks() or 'no differences'}")


def run(url: str, args) -> None:
    started = time.perf_counter()
    app = create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url, **AUDIT})
    with app.app_context():
        db.create_all()
        event_ids = seed(args.entries, args.judges, args.criteria, args.events)
        works = {event_id: work_by_judge(event_id) for event_id in event_ids}
        db.session.remove()
        db.engine.dispose()
    print(f"  {'schema and seed':<34} {time.perf_counter() - started:8.2f} s")
    # The clients split evenly between the events, each working on its own event's sheets.
    jobs = [[(event_id, judge, codes) for judge, codes in job]
            for n, event_id in enumerate(event_ids)
            for job in plan(works[event_id], args.clients // len(event_ids)
                            + (n < args.clients % len(event_ids)))]
    work = {f"{event_id}:{judge}": codes for event_id, w in works.items()
            for judge, codes in w.items()}
    port, started = free_port(), time.perf_counter()
    server = start_gunicorn(url, args.workers, port)
    try:
        print(f"  {'gunicorn up':<34} {time.perf_counter() - started:8.2f} s   ({args.workers} "
              f"sync workers on 127.0.0.1:{port})")
        print(f"  {args.clients} clients in {args.events} event(s); "
              f"{sum(len(c) for c in work.values()):,} sheets; "
              f"{args.drafts} draft(s) then a submit per sheet"
              f"{', each posted twice at once' if args.double_click else ''}")
        tally, elapsed = drive(f"http://127.0.0.1:{port}", jobs, args.drafts,
                               args.double_click)
    finally:
        stop(server)
    report(tally, elapsed)
    with app.app_context():
        check(event_ids, work)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="the PostgreSQL server to create the scratch database on")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--judges", type=int, default=6)
    parser.add_argument("--criteria", type=int, default=3,
                        help="criteria in the scheme (more if needed to seat every judge)")
    parser.add_argument("--drafts", type=int, default=0,
                        help="draft saves per sheet before the submit")
    parser.add_argument("--double-click", action="store_true",
                        help="post every form twice at once (a 303 and a no-op 303, or a 409)")
    parser.add_argument("--events", type=int, default=1,
                        help="events marked at once, the clients split between them")
    args = parser.parse_args()
    if args.clients < args.events:
        parser.error("--clients must be at least --events")
    if args.judges < PANEL:
        parser.error(f"--judges must be at least {PANEL} (a judgement panel)")

    with scratch_postgres(args.database_url, "bench_marks") as (url, version):
        print(f"PostgreSQL {version}")
        run(url, args)


if __name__ == "__main__":
    main()
