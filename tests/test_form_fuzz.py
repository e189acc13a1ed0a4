"""Every form, fuzzed: hypothesis posts arbitrary text into each field of each form a user can
see, and the platform never answers 5xx, and a post holding a character the forms refuse
(control, bidi, stray combining mark) changes nothing in the database.

The forms are found, not listed: each user opens every page of a world holding one competition
at each stage, the page's POST forms are read from its HTML, and
the test checks that this reaches every POST route of the URL map (but NOT_REACHED).
FUZZ_EXAMPLES (default 4) sets the examples per form: ~1,200 posts to ~260 forms, about 25 s on
SQLite and 35 s on PostgreSQL (two cores).
"""

import functools
import io
import os
from datetime import timedelta
from decimal import Decimal as D
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from werkzeug.exceptions import HTTPException

from competitions.accounts import tokens
from competitions.accounts.models import SYSTEM, Role, RoleGrant, TokenPurpose
from competitions.contests.models import CompetitionState, Drill
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import marking as marking_service
from competitions.judging import score_import, signoff
from competitions.notifications.services import notify
from competitions.promotion import eligibility
from competitions.promotion.levels import SkillLevel
from competitions.promotion.rules import preset
from competitions.promotion.worker_levels import set_level
from competitions.registration.models import EntryStatus, Nomination
from competitions.results import lifecycle
from competitions.text_rules import find_text_problem
from tests.conftest import one_database
from tests.factories import (
    MarkingSetup,
    Tree,
    make_admin,
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.factories import (
    make_xlsx as xlsx,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
# Reproducible, and bounded: no shrinking (a failure reports the example as generated).
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
ROLES = ["anonymous", "worker", "organiser", "admin", "chief", "judge", "officer",
         "arbitrator", "entrant", "signed_chief"]
# POST routes no page offers a form for in this world, and why.
NOT_REACHED = {
    "registration.import_confirm": "needs a staged spreadsheet (fuzzed cells: test below)",
    "judging.score_import_confirm": "needs a staged spreadsheet (fuzzed cells: test below)",
    "organisations.import_confirm": "needs a staged spreadsheet (fuzzed cells: test below)",
}
SESSION_ENDING = {"accounts.logout", "accounts.change_password", "accounts.sign_out_everywhere"}

# What is posted

# Fields a person types into. Buttons, hidden fields and choices carry a value to pick by, not
# text to keep: garbage there must not fail, but may count as "no" (active=… disables).
TYPED = {"text", "textarea", "password", "email", "search", "tel", "number", "url", "date",
         "datetime-local", "time"}
NOT_STORED = {"next"}  # where to go afterwards: an unsafe one is ignored, the post still counts

NASTY = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\u202e", "\u202a", "\u2066", "\u2069",
         "\u200e", "\u200f", "\u061c", "\u0301", "\u20dd", "\u0903", "\r\n", "\n", "\t",
         "\ufeff", "\u200b", "①", "²", "１", "\U0001d7cf", "\u0663", "张", "a", " ", "'",
         '"', "<", "&", "%", "\\", "/", "=", "-", "X"]
HUGE = ["99999999999999999999", "9223372036854775808", "2147483648", "-2147483649",
        "1e309", "-1e309", "NaN", "Infinity", "-0", "1" * 400, "0." + "0" * 400 + "1",
        "1E+999999999", "0x10", "１２", "٣"]
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.lists(st.sampled_from(NASTY), max_size=10).map("".join),
    st.sampled_from(HUGE),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.builds(lambda text, n: (text * n)[:n], st.sampled_from(["张三", "a\u0301", "1"]),
              st.integers(min_value=300, max_value=60_000)),
)


def refused(value: str, multiline: bool) -> bool:
    return find_text_problem(value, multiline=multiline) is not None


# Reading the forms of a page

class FormReader(HTMLParser):
    """The page's POST forms: action and fields (name, tag, type, value, options)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        name = attrs.get("name")
        if tag in ("input", "button") and name:
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind in ("checkbox", "radio") and name in fields:
                fields[name]["options"].append(attrs.get("value") or "y")
                return
            fields.setdefault(name, {"tag": tag, "type": kind, "value": attrs.get("value") or "",
                                     "options": [attrs.get("value") or "y"]})
        elif tag == "select" and name:
            self._select = fields.setdefault(name, {"tag": "select", "type": "select",
                                                    "value": "", "options": []})
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = fields.setdefault(name, {"tag": "textarea", "type": "textarea",
                                                      "value": "", "options": []})

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page: str, url: str) -> list[dict]:
    reader = FormReader()
    reader.feed(page)
    for form in reader.forms:
        form["action"] = urlsplit(form["action"] or url).path + (
            "?" + urlsplit(form["action"]).query if urlsplit(form["action"]).query else "")
    return reader.forms


def field_strategy(field):
    if field["type"] in ("submit", "hidden"):
        return st.one_of(st.just(field["value"]), TEXT)
    if field["type"] in ("checkbox", "radio"):
        return st.one_of(st.none(), st.sampled_from(field["options"]), TEXT)
    if field["type"] == "select":
        return st.one_of(st.sampled_from(field["options"] or [""]), TEXT)
    if field["type"] == "file":
        return st.none()
    return st.one_of(st.just(field["value"]), TEXT)


# The world: one competition at each stage, and a user for each role

def submit_sheets(setup, index: int) -> None:
    """Every judge submits entry `index`'s sheets, and its theory score is imported."""
    for judge in (setup.conflicted, setup.judge2, setup.judge3, setup.reserve):
        for work in marking_service.judge_work(judge, setup.event):
            if work.blind_code == setup.code(index):
                marking_service.save_sheet(judge, setup.event, work.blind_code,
                                   {c.id: D(10) for c in work.criteria}, version=work.version,
                                   submit=True)
    staged = score_import.stage_upload(setup.chief, setup.event, "t.xlsx",
                                       xlsx(["赛位号", "T1"], [[setup.code(index), "50"]]))
    score_import.confirm(setup.chief, staged)


def flag_a_panel(setup, index: int) -> None:
    """Entry `index`'s B1 panel marks 0, 30 and 60 (a flag to resolve before sign-off)."""
    judges = [judge for judge in (setup.conflicted, setup.judge2, setup.judge3, setup.reserve)
              if any(w.blind_code == setup.code(index)
                     for w in marking_service.judge_work(judge, setup.event))]
    for judge, mark in zip(judges, (D(0), D(30), D(60)), strict=False):
        work = marking_service.open_sheet(judge, setup.event, setup.code(index))
        marking_service.save_sheet(judge, setup.event, work.blind_code,
                                   {c.id: mark if c.id == setup.b1.id else D(10)
                                    for c in work.criteria}, version=work.version,
                                   submit=True)


def finished(tree) -> MarkingSetup:
    """A marked event, signed off by its chief judge."""
    setup = MarkingSetup(tree)
    setup.finish([30, 35, 25, 38], [50, 40, 45, 55], [90, 80, 70, 85])
    return setup


@pytest.fixture
def world(built_once):
    """A competition at every stage, with the people who act on each; built once per worker and
    database (conftest.built_once), its rows restored for each role's fuzz."""
    return built_once("form-fuzz-world", build_world)


def build_world():
    tree = Tree()
    admin = make_admin()
    organiser = make_organiser(tree.city, "nj_organiser")
    worker = make_user("worker", email="worker@example.cn")
    profile = make_worker(tree.firm, name="张三明", user=worker)
    locked = make_user("locked", failed_logins=9, locked_until=utcnow() + timedelta(hours=1))
    registration = make_competition(tree.city, name="2027年南京市职工职业技能大赛")
    reg_event = make_event(registration)
    team_event = make_event(registration, "电工", team_size=2)
    nominated_event = make_event(registration, "钳工", nomination_required=True)
    pending = make_entry(reg_event, make_worker(tree.firm, name="王五"),
                         status=EntryStatus.PENDING_APPROVAL)
    make_entry(reg_event, make_worker(tree.firm, name="赵六"),
               status=EntryStatus.PENDING_ENDORSEMENT)
    db.session.add(Nomination(event=nominated_event, worker=make_worker(tree.firm, name="钱七"),
                              nominated_by_id=tree.firm.id))
    notify(worker.id, "entry_status", entry_id=pending.id, event=reg_event.name,
           status=EntryStatus.APPROVED.value)
    drill = Drill(organisation_id=tree.firm.id, occupation_id=reg_event.occupation_id,
                  name="焊工岗位练兵", held_on=utcnow().date(), participants=12)
    db.session.add(drill)
    docs_event = make_event(registration, "车工", required_documents=["在职证明"])
    docs_entry = make_entry(docs_event, profile, status=EntryStatus.PENDING_APPROVAL)
    _token, reset_secret = tokens.issue(TokenPurpose.RESET, None, user=locked)
    review = make_competition(tree.city, name="2026年南京市焊工大赛", state=CompetitionState.REVIEW)
    undrawn = make_event(review)
    make_entry(undrawn, make_worker(tree.firm, name="孙八"))

    drawn = MarkingSetup(tree, start=False)  # scheme still open, marking not started
    scoring = MarkingSetup(tree)
    submit_sheets(scoring, 0)
    flag_a_panel(scoring, 1)
    signoff.add_penalty(scoring.chief, scoring.event, scoring.entries[0],
                        scoring.scheme.components[1], D(1), "迟到")
    results = finished(tree).with_results_officials()
    lifecycle.decrypt(results.officer, results.event)
    lifecycle.publish(results.organiser, results.event)
    appeal = lifecycle.file_appeal(results.entrant, results.entries[1], "B1 评分有误")
    signed = finished(tree)
    decrypted = finished(tree)
    final = MarkingSetup(tree)
    final.competition.title_rules = [["city_ladder", {}]]
    final.finish([30, 35, 25, 38], [50, 40, 45, 55], [90, 80, 70, 85])
    for setup in (signed, decrypted, final):
        db.session.add(RoleGrant(user=results.officer, role=Role.ENCRYPTION_OFFICER,
                                 competition_id=setup.competition.id))
    db.session.flush()
    for setup in (decrypted, final):
        lifecycle.decrypt(results.officer, setup.event)
    lifecycle.publish(final.organiser, final.event)
    final.event.notice_ends_at = utcnow() - timedelta(minutes=1)
    # Promotion: organisers decide too here; three entrants are 高级工 in 焊工, one is confirmed.
    final.competition.promotion_rules = preset("national_class1_2015").to_json()
    final.competition.promotion_by_organisers = True
    for entrant in final.workers[:3]:
        set_level(None, entrant, final.event.occupation, SkillLevel.LEVEL_3,
                  on=utcnow().date(), source="recorded")
    lifecycle.finalise(final.organiser, final.event)
    first = db.session.scalars(eligibility.eligibilities(
        SYSTEM, competition_id=final.competition.id, status="pending")).first()
    eligibility.confirm(SYSTEM, first, document_no="宁人社〔2026〕1号")
    db.session.commit()

    people = SimpleNamespace(
        anonymous=None, worker=worker, organiser=organiser, admin=admin, chief=scoring.chief,
        judge=scoring.judge2, officer=results.officer, arbitrator=results.arbitrator,
        entrant=results.entrant, signed_chief=signed.chief)
    empty_scheme = make_event(drawn.competition, "钳工")  # offers to copy drawn's scheme
    # Edited and moved by the fuzz: no judge or entrant works there. (Making the judges' or
    # entrants' employer a union changes, after marking, who was in conflict.)
    spare = make_enterprise(tree.city, "南京建筑公司")
    component = drawn.scheme.components[1]
    pages = [
        f"/judging/events/{empty_scheme.id}/scheme",
        f"/judging/events/{drawn.event.id}/scheme?component={component.id}",
        f"/judging/events/{drawn.event.id}/scheme?criterion={component.criteria[0].id}",
        "/", "/accounts/login", "/accounts/password", "/accounts/security",
        "/accounts/users/new", f"/accounts/users/{worker.id}", f"/accounts/users/{locked.id}",
        "/registration/signup", "/registration/workers/new",
        f"/registration/workers/{profile.id}/edit", "/registration/open",
        "/registration/entries", "/notifications/", "/notifications/settings",
        "/registration/me", "/registration/documents",
        f"/registration/entries/{docs_entry.id}/documents", "/accounts/forgot",
        f"/accounts/link/{reset_secret}", f"/accounts/competitions/{registration.id}/people",
        f"/accounts/workers/{profile.id}/access", "/accounts/claim", f"/events/{reg_event.id}",
        f"/accounts/competitions/{registration.id}/people?q=worker",
        f"/accounts/competitions/{results.competition.id}/people",  # officials to re-invite
        f"/contests/drills/new/{tree.firm.id}", f"/contests/drills/{drill.id}/edit",
        f"/organisations/{tree.firm.id}",  # its drills (spare is the one edited)
        f"/evaluation/?org={tree.city.id}&year={utcnow().year}",
        f"/accounts/workers/{pending.members[0].worker_id}/access",  # no account: a claim code
        "/promotion/occupations",
        f"/registration/entries/{pending.id}/reject",
        f"/registration/events/{reg_event.id}/import",
        f"/registration/events/{undrawn.id}/draw", "/organisations/", "/organisations/new",
        f"/organisations/{tree.city.id}", f"/organisations/{spare.id}/edit",
        f"/organisations/{tree.city.id}/import",
        f"/organisations/{spare.id}/move?q=南京", "/contests/new",
        f"/contests/{registration.id}", f"/contests/{registration.id}/edit",
        f"/contests/{registration.id}/events/new", f"/contests/events/{reg_event.id}/edit",
        f"/results/competitions/{registration.id}/settings",
        f"/results/competitions/{results.competition.id}/settings",
        f"/results/appeals/{appeal.id}",
        f"/events/{final.event.id}/certificates",
        f"/competitions/{final.competition.id}/certificates",
        f"/organisations/{tree.city.id}/images", "/verify",
        f"/promotion/competitions/{final.competition.id}/rules",
        f"/promotion/eligibilities?competition={final.competition.id}&status=all",
    ]
    for event in (reg_event, team_event, nominated_event):
        pages += [f"/registration/events/{event.id}/entries",
                  f"/registration/events/{event.id}/entries?q=张三明"]
    for setup in (drawn, scoring, signed, decrypted, results, final):
        event = setup.event.id
        pages += [f"/judging/events/{event}/{page}" for page in (
            "officials", "scheme", "overview", "score-imports", f"sheets/{setup.code(2)}",
            f"entries/{setup.code(0)}", f"entries/{setup.code(2)}")]
        pages += [f"/results/events/{event}", f"/results/events/{event}/appeal"]
    return SimpleNamespace(people=people, pages=pages, marking=scoring, reg_event=reg_event)


def discover(client, pages) -> dict:
    """{(action, field names): form} for every POST form on the pages."""
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for form in forms_on(response.get_data(as_text=True), url):
            found.setdefault((form["action"], tuple(sorted(form["fields"]))), form)
    return found


# Recorded by any request once a session's last one is a minute old (real time), whatever is
# posted: on a busy machine the fuzzing of one role outlasts that minute.
ACTIVITY = {("login_sessions", "last_seen_at")}


def snapshot() -> dict:
    """Every row of every table, as committed (but a session's last activity)."""
    db.session.rollback()
    connection = db.session.connection()
    return {name: connection.exec_driver_sql(sql).all()
            for name, sql in snapshot_queries(db.engine.dialect)}


@functools.cache
def snapshot_queries(dialect) -> list[tuple[str, str]]:
    """(table, SELECT) for every table in `dialect`'s quoting: its columns, ordered by its key,
    as the driver returns them (the fuzz takes hundreds of snapshots: no ORM rows, no sorting
    in Python)."""
    quote = dialect.identifier_preparer.quote
    queries = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in ACTIVITY]
        order = list(table.primary_key.columns) or columns
        queries.append((table.name, f"SELECT {', '.join(quote(c.name) for c in columns)} "
                                    f"FROM {quote(table.name)} "
                                    f"ORDER BY {', '.join(quote(c.name) for c in order)}"))
    return queries


def short(data: dict) -> dict:
    return {name: value if len(value) < 80 else f"{value[:40]!r}…({len(value)})"
            for name, value in data.items()}


def fuzz(client, form, role) -> None:
    """Post the form with a NUL, then a bidi override, in every typed field (the rest as the
    page filled them), then with hypothesis' values in every field."""
    fields = {name: f for name, f in form["fields"].items() if f["type"] != "file"}
    typed = [name for name, f in fields.items() if f["type"] in TYPED and name not in NOT_STORED]

    def check(data):
        bad = any(refused(value, fields[name]["tag"] == "textarea")
                  for name, value in data.items() if name in typed)
        before = snapshot() if bad else None
        response = client.post(form["action"], data=data)
        assert response.status_code < 500, (role, form["action"], short(data),
                                             response.status_code)
        if bad:
            after = snapshot()
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, (role, form["action"], short(data), changed)

    for char in ("\x00", "\u202e") if typed else ():
        check({**{name: f["options"][0] if f["type"] == "select" and f["options"] else f["value"]
                  for name, f in fields.items() if f["type"] not in ("checkbox", "radio")},
               **{name: f"a{char}b" for name in typed}})

    @FUZZ_SETTINGS
    @given(st.fixed_dictionaries({name: field_strategy(f) for name, f in fields.items()}))
    def post(values):
        check({name: value for name, value in values.items() if value is not None})

    post()


def login(client, user):
    if user is not None:
        response = client.post("/accounts/login",
                               data={"login": user.username, "password": "secret123"})
        assert response.status_code == 302


def endpoint_of(app, action: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(action).path, method="POST")[0]
    except HTTPException:
        return None


def forms_of(app, world, role) -> tuple:
    """The POST forms the role's pages offer, found with a client logged in as the role."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    login(client, getattr(world.people, role))
    return client, list(discover(client, world.pages).values())


@one_database
def test_the_pages_offer_a_form_for_every_post_route(app, world):
    reached = {endpoint_of(app, form["action"])
               for role in ROLES for form in forms_of(app, world, role)[1]}
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    missing = sorted(posts - reached - set(NOT_REACHED))
    assert not missing, "no page offers a form for " + ", ".join(missing)


@pytest.mark.parametrize("role", ROLES)
def test_every_form_is_fuzzed_as_each_user_who_sees_it(app, world, role):
    """The role's forms are found first (fuzzing may move a competition on), then each is
    fuzzed; one test a role, so that parallel runs share the work out."""
    client, forms = forms_of(app, world, role)
    assert forms, f"no form found for {role}"
    failures = []
    for form in forms:
        if endpoint_of(app, form["action"]) in SESSION_ENDING:
            continue  # would end the session the other forms are posted in (fuzzed below)
        try:
            fuzz(client, form, role)
        except Exception as error:  # noqa: BLE001  (report every failing form, not the first)
            db.session.rollback()
            failures.append(f"{role} {form['action']}: {type(error).__name__}: "
                            f"{str(error)[:300]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("page, endpoint", [("/accounts/password", "accounts.change_password"),
                                            ("/accounts/password", "accounts.logout"),
                                            ("/accounts/security",
                                             "accounts.sign_out_everywhere")])
def test_the_forms_that_end_a_session_are_fuzzed_too(app, client, tree, page, endpoint):
    worker = make_user("worker")
    db.session.commit()
    login(client, worker)
    forms = [f for f in discover(client, [page]).values()
             if endpoint_of(app, f["action"]) == endpoint]
    assert forms, endpoint
    fuzz(client, forms[0], "worker")


# Spreadsheet cells: the two imports, with fuzzed cells

CELL = st.one_of(TEXT, st.integers(min_value=-(10**20), max_value=10**20),
                 st.floats(allow_nan=True, allow_infinity=True)).map(
    lambda v: ILLEGAL_CHARACTERS_RE.sub("", v)[:32000] if isinstance(v, str) else v)



# An upload is staged whatever it holds.
STAGING = {"import_batches", "score_imports", "organisation_imports"}


def upload_and_confirm(client, url, content, bad: bool) -> None:
    """Upload, preview and confirm; a file with a refused cell changes nothing but its stage."""
    before = snapshot() if bad else None
    response = client.post(url, data={"file": (io.BytesIO(content), "x.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code < 500
    if response.status_code == 302 and "import" in response.location:
        assert client.get(response.location).status_code < 500
        confirmed = client.post(response.location.split("?")[0].rstrip("/") + "/confirm")
        assert confirmed.status_code < 500
    if bad:
        after = snapshot()
        assert [t for t in before if t not in STAGING and before[t] != after[t]] == []


def has_refused_cell(rows) -> bool:
    return any(isinstance(cell, str) and refused(cell.strip(), False)
               for row in rows for cell in row)


@pytest.fixture
def importers(tree):
    organiser = make_organiser(tree.city, "nj_organiser")
    event = make_event(make_competition(tree.city, name="2027年南京市职工职业技能大赛"))
    setup = MarkingSetup(tree)
    db.session.commit()
    return SimpleNamespace(organiser=organiser, event=event, marking=setup)


def test_fuzzed_spreadsheet_cells_never_fail(app, importers, tree):
    """The imports, uploaded, previewed and confirmed with fuzzed cells: never a 5xx, and a
    file holding a refused character imports nothing."""
    from competitions.organisations.profile_import import COLUMNS
    from competitions.registration.imports import HEADERS
    units = [column.header for column in COLUMNS]
    organiser, chief = app.test_client(), app.test_client()
    login(organiser, importers.organiser)
    login(chief, importers.marking.chief)
    code = importers.marking.code(0)

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES * 3)
    @given(st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=3),
           st.lists(CELL, min_size=2, max_size=2))
    def run(rows, scores):
        upload_and_confirm(organiser, f"/registration/events/{importers.event.id}/import",
                           xlsx(HEADERS, rows), has_refused_cell(rows))
        score_rows = [scores, [code, scores[1]]]
        upload_and_confirm(chief, f"/judging/events/{importers.marking.event.id}/score-imports",
                           xlsx(["赛位号", "T1"], score_rows), has_refused_cell(score_rows))
        unit_rows = [[tree.firm.id, *row[1:]] for row in rows] + [[*rows[0], *scores]]
        upload_and_confirm(organiser, f"/organisations/{tree.city.id}/import",
                           xlsx(units, unit_rows), has_refused_cell(unit_rows))

    run()
