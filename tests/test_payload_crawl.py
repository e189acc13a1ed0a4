"""Hostile text in every free-text field never reaches a page as markup (DESIGN.md §5, injection).

The demo data holds a competition at every stage (open, drawn and being marked, final with an
appeal, titles and nominations). Every column people type into is rewritten with a payload, a
staged registration file and a staged theory-score file with hostile cells are added, and then
every GET route of the URL map is visited as every role, following the links found in the pages
(bounded), each page also searched for the hostile records and given a payload in its query
string. A second test posts every POST-only route empty as each official and reads the page it
leads to, where refusals and confirmations are flashed. A page fails when any payload's tag is
still a tag; downloads (.xlsx, .pdf) are only checked for not failing (a 500).
"""

import re
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urljoin, urlsplit

import pytest
import sqlalchemy as sa

from competitions import demo
from competitions.accounts.models import User
from competitions.audit.services import record
from competitions.contests.models import Competition, CompetitionState, Event, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging.models import (
    Component,
    Criterion,
    DeclaredConflict,
    Penalty,
    ScoreImport,
    ScoreSheet,
    SignOff,
)
from competitions.notifications.models import Notification
from competitions.notifications.services import notify
from competitions.organisations.models import Organisation
from competitions.promotion.models import Occupation
from competitions.registration.imports import HEADERS
from competitions.registration.models import Entry, ImportBatch, Nomination, Worker
from competitions.results.models import Appeal, Result, TitleAward
from tests.conftest import login, one_database
from tests.factories import make_xlsx

# --- payloads -------------------------------------------------------------------------------

# Each column gets its own number n, so a failure names the column the text came from.
# Longest first; a column gets the longest that fits its length with a uniqueness suffix.
PAYLOADS = (
    '<script>xss{n}()</script>"\'><img src=x onerror=xss{n}()>'
    '<meta http-equiv="refresh" content="0;url=//xss{n}.example/">',
    '<script>xss{n}()</script>"\'><img src=x onerror=xss{n}()>',
    '"\'><img src=x onerror=xss{n}()>',
    "<svg onload=xss{n}>",
)
# How each payload starts when it is still markup; escaped text never matches (`<` is `&lt;`).
RAW_TAG = re.compile(r'<script>xss(\d+)|<img src=x onerror=xss(\d+)|<svg onload=xss(\d+)'
                     r'|<meta http-equiv="refresh" content="0;url=//xss(\d+)')
# The same, escaped: proof that the crawl reached a page showing that column.
ESCAPED_TAG = re.compile(r"&lt;(?:script&gt;|img src=x onerror=|svg onload=)xss(\d+)")

# The accounts the crawl logs in as keep their usernames; every other username is hostile.
ROLES = {
    "anonymous": None,
    "admin": "admin",
    "organiser": "nj_organiser",
    "hr officer": "js_hr",
    "chief judge": "judge01",
    "judge": "judge02",
    "encryption officer": "nj_jiami",
    "arbitrator": "nj_zhongcai",
    "worker": "worker01",
}
# The keys of notification parameters that hold names and reasons (notifications/services.py).
TEXT_KEYS = {"event", "occupation", "source", "competition", "reason"}

# Stored, but no page shows them (only the audit log's before/after would).
NOT_SHOWN = {"DeclaredConflict.reason", "SignOff.void_reason"}

MAX_LINKS_PER_ROLE = 100  # pages reached by links, after every start URL
SEEDS_PER_ROUTE = 3
DOWNLOAD = re.compile(r"\.(xlsx|pdf|csv)$")
# Not visited: static files, and posts that would lock the crawling accounts out.
SKIPPED = {"static", "accounts.logout", "accounts.sign_out_everywhere", "accounts.set_active",
           "accounts.make_admin", "accounts.revoke_grant", "judging.remove_official"}
# Query parameters that pages search with or echo back (request.args in the views).
QUERY_PARAMETERS = ("q", "employer_q", "unit_q", "action", "threshold", "status", "next")


@dataclass
class Payloads:
    """Hands out one payload per column and remembers which number stands for which."""

    columns: dict[int, str] = field(default_factory=dict)

    def for_column(self, name: str) -> int:
        n = len(self.columns) + 1
        self.columns[n] = name
        return n

    @staticmethod
    def text(n: int, room: int | None, suffix: str = "") -> str:
        for template in PAYLOADS:
            text = template.format(n=n) + suffix
            if room is None or len(text) <= room:
                return text
        raise AssertionError(f"no payload fits in {room} characters")


def _length(column) -> int | None:
    return getattr(column.type, "length", None)


def rewrite_columns(payloads: Payloads, model, *names, where=None, keep=None) -> None:
    """Give each row's `names` columns a payload (suffixed by the row id: unique columns)."""
    rows = db.session.scalars(sa.select(model).where(*(where or ())))
    columns = {name: (payloads.for_column(f"{model.__name__}.{name}"),
                      _length(model.__table__.c[name])) for name in names}
    for row in rows:
        if keep is not None and keep(row):
            continue
        for name, (n, room) in columns.items():
            setattr(row, name, Payloads.text(n, room, f"#{row.id}"))


def _rewrite_json(value, n: int):
    """The same structure, with the text under TEXT_KEYS replaced by payload n."""
    if isinstance(value, dict):
        return {key: (Payloads.text(n, None) if key in TEXT_KEYS and isinstance(item, str)
                      else _rewrite_json(item, n)) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite_json(item, n) for item in value]
    return value



def _user(username) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def add_what_the_demo_lacks(payloads: Payloads) -> None:
    """A penalty, a declared conflict, a voided sign-off, staged import files with hostile
    cells and notifications to the crawling accounts, so that their pages have text too.
    Their text columns are left empty here and rewritten with all the others."""
    scoring = db.session.scalar(sa.select(Event).where(Event.stage == EventStage.SCORING))
    entry = db.session.scalar(sa.select(Entry).where(Entry.event_id == scoring.id,
                                                     Entry.blind_code.is_not(None)))
    component = db.session.scalar(sa.select(Component).limit(1))
    chief, judge, organiser = _user("judge01"), _user("judge02"), _user("nj_organiser")
    db.session.add_all([
        Penalty(event_id=scoring.id, entry_id=entry.id, component_id=component.id,
                points=Decimal(1), reason="", recorded_by_id=chief.id),
        DeclaredConflict(event_id=scoring.id, entry_id=entry.id, judge_id=judge.id, reason=""),
        SignOff(event_id=scoring.id, signed_by_id=chief.id, voided_at=utcnow(),
                void_reason=""),
    ])
    n = payloads.for_column("cells of a staged score file")
    cell = Payloads.text(n, None)
    db.session.add(ScoreImport(
        event_id=scoring.id, user_id=chief.id, filename="", sha256="0" * 64,
        content=make_xlsx(["赛位号", "T1", cell], [[cell, cell, cell]])))
    open_event = db.session.scalar(sa.select(Event).join(Competition).where(
        Competition.state == CompetitionState.REGISTRATION, Event.team_size == 1).limit(1))
    n = payloads.for_column("cells of a staged registration file")
    cell = Payloads.text(n, None)
    db.session.add(ImportBatch(
        event_id=open_event.id, user_id=organiser.id, filename="", sha256="0" * 64,
        content=make_xlsx(HEADERS, [[cell] * len(HEADERS)])))
    for user in (chief, judge, organiser, _user("worker01")):
        notify(user.id, "sheet_returned", event_id=scoring.id, blind_code=entry.blind_code,
               reason="")
    db.session.flush()


def add_hostile_audit_entries(payloads: Payloads) -> None:
    """The log is append-only: new entries by a hostile username, with hostile values."""
    actor = _user("judge03")  # its username is a payload by now
    n = payloads.for_column("AuditEntry before/after/reason")
    text = Payloads.text(n, None)
    for subject in db.session.scalars(sa.select(Worker).limit(3)):
        record(actor, "worker.update", subject, before={"name": text}, after={"name": text},
               reason=text)


def fill_every_free_text_field() -> Payloads:
    """Rewrite every column that holds typed text, after the demo is loaded."""
    payloads = Payloads()
    add_what_the_demo_lacks(payloads)
    crawlers = set(ROLES.values()) - {None}
    rewrite_columns(payloads, Organisation, "name")
    rewrite_columns(payloads, User, "display_name", "email")
    rewrite_columns(payloads, User, "username", keep=lambda user: user.username in crawlers)
    rewrite_columns(payloads, Competition, "name")
    rewrite_columns(payloads, Occupation, "name")
    rewrite_columns(payloads, Component, "name")
    rewrite_columns(payloads, Criterion, "code", "description")
    rewrite_columns(payloads, Worker, "name")
    rewrite_columns(payloads, Entry, "team_name", "decision_reason")
    rewrite_columns(payloads, Nomination, "note")
    rewrite_columns(payloads, ImportBatch, "filename")
    rewrite_columns(payloads, ScoreImport, "filename")
    rewrite_columns(payloads, Penalty, "reason")
    rewrite_columns(payloads, DeclaredConflict, "reason")
    rewrite_columns(payloads, SignOff, "void_reason", where=[SignOff.voided_at.is_not(None)])
    rewrite_columns(payloads, Appeal, "text", "decision")
    rewrite_columns(payloads, TitleAward, "note")
    add_hostile_audit_entries(payloads)
    n = payloads.for_column("Notification.params")
    for notice in db.session.scalars(sa.select(Notification)):
        notice.params = _rewrite_json(notice.params, n)
    n = payloads.for_column("Result.components")
    for result in db.session.scalars(sa.select(Result)):
        result.components = [[Payloads.text(n, None), score] for _name, score in
                              result.components]
    db.session.commit()
    return payloads


# --- the crawl ------------------------------------------------------------------------------

def seed_values() -> dict[str, list]:
    """A few real values for each URL argument, so that every route gets a page with data."""
    def ids(model, *where, limit=SEEDS_PER_ROUTE):
        return list(db.session.scalars(sa.select(model.id).where(*where)
                                       .order_by(model.id.desc()).limit(limit)))
    coded = db.session.execute(sa.select(Entry.event_id, Entry.blind_code).where(
        Entry.blind_code.is_not(None)).order_by(Entry.id).limit(SEEDS_PER_ROUTE)).all()
    staged = db.session.execute(sa.select(ScoreImport.event_id, ScoreImport.id)
                                .order_by(ScoreImport.id.desc())).all()
    return {
        "user_id": ids(User), "competition_id": ids(Competition, limit=4),
        "event_id": ids(Event, limit=7), "entry_id": ids(Entry), "worker_id": ids(Worker),
        "org_id": ids(Organisation), "batch_id": ids(ImportBatch),
        "appeal_id": ids(Appeal), "notification_id": [],  # each user's own: found by links
        "filename": ["css/app.css"],
        ("event_id", "blind_code"): coded, ("event_id", "score_import_id"): staged,
        # Arguments of POST routes only (the refusal sweep).
        "name": ["open_registration"], "component_id": ids(Component),
        "criterion_id": ids(Criterion), "penalty_id": ids(Penalty),
        "occupation_id": ids(Occupation), "title_award_id": ids(TitleAward),
        "nomination_id": ids(Nomination),
        ("event_id", "sheet_id"): db.session.execute(
            sa.select(ScoreSheet.event_id, ScoreSheet.id).limit(SEEDS_PER_ROUTE)).all(),
    }


def fill_in(rule: str, arguments: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(arguments[m.group(1)]), rule)


def seed_urls(app, values, method="GET") -> list[list[str]]:
    """Every route taking `method`, with up to SEEDS_PER_ROUTE sets of real arguments (a list
    per route)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint in SKIPPED:
            continue
        if method == "POST" and "GET" in rule.methods:
            continue  # its page is crawled; posting it empty shows the same page again
        arguments = set(rule.arguments)
        pairs = [key for key in values if isinstance(key, tuple) and set(key) <= arguments]
        pools = {}
        for key in pairs:
            pools[key] = values[key]
            arguments -= set(key)
        for name in arguments:
            pools[name] = values.get(name, [])
        count = min((len(pool) for pool in pools.values()), default=1)
        urls = []
        for i in range(min(count, SEEDS_PER_ROUTE)):
            filled = {}
            for key, pool in pools.items():
                filled.update(zip(key, pool[i], strict=True) if isinstance(key, tuple)
                              else {key: pool[i]})
            urls.append(fill_in(rule.rule, filled))
        routes.append(urls)
    return routes


def with_queries(routes: list[list[str]], payloads: Payloads) -> list[str]:
    """Every URL, and each route's first page also searched for the hostile records ("xss" is
    in every payload) and given a payload in every query parameter a view reads, which a
    search box may echo back."""
    echoed = quote(Payloads.text(payloads.for_column("a query parameter"), None))
    found = "&".join(f"{name}=xss" for name in QUERY_PARAMETERS[:3])
    hostile = "&".join(f"{name}={echoed}" for name in QUERY_PARAMETERS)
    first = [urls[0] for urls in routes if urls and not DOWNLOAD.search(urls[0])]
    return ([url for urls in routes for url in urls] + [f"{url}?{found}" for url in first]
            + [f"{url}?{hostile}" for url in first])


def links_in(page: str, base: str) -> list[str]:
    """Same-site links of a page, without fragments."""
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        url = urlsplit(urljoin(base, href.replace("&amp;", "&")))
        if url.netloc in ("", "localhost") and url.path.startswith("/") \
                and not url.path.startswith("/static/"):
            found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def raw_payloads(page: str, payloads: Payloads) -> list[str]:
    """The columns whose payload is still markup on this page, each once, with context."""
    leaks = {}
    for match in RAW_TAG.finditer(page):
        n = int(next(group for group in match.groups() if group))
        context = page[max(0, match.start() - 80):match.end()].replace("\n", " ")
        leaks.setdefault(n, f"{payloads.columns.get(n, n)}: …{context}")
    return list(leaks.values())


def crawl(client, start: list[str], payloads: Payloads, shown: set[int]
          ) -> tuple[int, list[str]]:
    """Visit the start URLs and then the links found, breadth first; return the number of
    pages visited and every problem (a raw payload, or a server error). Adds the columns seen
    escaped to `shown`."""
    queue, seen, problems = deque(start), set(start), []
    visited = 0
    while queue and visited < len(start) + MAX_LINKS_PER_ROLE:
        url = queue.popleft()
        response = client.get(url)
        visited += 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        if response.mimetype != "text/html":  # downloads: only that they do not fail
            continue
        page = response.get_data(as_text=True)  # error pages too: they may quote the data
        problems += [f"{url}: {leak}" for leak in raw_payloads(page, payloads)]
        shown.update(int(n) for n in ESCAPED_TAG.findall(page))
        if response.status_code != 200:
            continue
        for link in links_in(page, url):
            if link not in seen and not DOWNLOAD.search(urlsplit(link).path):
                seen.add(link)
                queue.append(link)
    return visited, problems


@pytest.fixture
def hostile_demo(app, demo_data):
    """The demo data with every free-text field rewritten as a payload."""
    return fill_every_free_text_field()


@one_database
def test_no_page_shows_a_payload_as_markup_to_any_role(app, hostile_demo, backend):
    started = time.monotonic()
    urls = with_queries(seed_urls(app, seed_values()), hostile_demo)
    problems, pages, shown = [], 0, set()
    for role, username in ROLES.items():
        client = app.test_client()
        client.set_cookie("lang", "en")
        if username is not None:
            response = login(client, username, demo.DEMO_PASSWORD)
            assert response.status_code == 302, (role, response.get_data(as_text=True)[:300])
        visited, found = crawl(client, urls, hostile_demo, shown)
        pages += visited
        problems += [f"[{role}] {problem}" for problem in found]
    print(f"\n{backend}: {len(urls)} start URLs, {pages} pages, "
          f"{time.monotonic() - started:.1f} s")
    assert problems == [], "\n".join(problems[:40])
    assert pages > 400
    never_shown = {name for n, name in hostile_demo.columns.items() if n not in shown}
    # A column missing here was not reached by the crawl; one in NOT_SHOWN now has a page.
    assert never_shown == NOT_SHOWN


def test_no_refusal_or_confirmation_shows_a_payload_as_markup(app, hostile_demo, backend):
    """Every POST-only route posted empty as each official, and the page it leads to: their
    flashes and refusals name competitions, events and workers."""
    started = time.monotonic()
    routes = seed_urls(app, seed_values(), method="POST")
    problems, posts = [], 0
    for role in ("worker", "arbitrator", "encryption officer", "chief judge", "organiser",
                 "admin"):
        client = app.test_client()
        client.set_cookie("lang", "en")
        assert login(client, ROLES[role], demo.DEMO_PASSWORD).status_code == 302, role
        for url in (urls[0] for urls in routes if urls):
            response = client.post(url, data={})
            posts += 1
            if response.status_code >= 500:
                problems.append(f"[{role}] POST {url}: {response.status_code}")
                continue
            if response.status_code in (301, 302, 303):
                response = client.get(response.headers["Location"])
            if response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                problems += [f"[{role}] POST {url}: {leak}"
                             for leak in raw_payloads(page, hostile_demo)]
    print(f"\n{backend}: {posts} posts, {time.monotonic() - started:.1f} s")
    assert problems == [], "\n".join(problems[:40])
