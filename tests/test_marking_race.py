"""Fifty judges' threads saving marks for one event at once lose and duplicate nothing
(DESIGN.md §5: "two judges' concurrent saves lose one of them; a double-click creates two
marks" must never happen). PostgreSQL only: SQLite serialises writers, so nothing races.

Every thread has its own app context, session and connection, and all start together at a
barrier. Entries 0–19 are filled in by judges working sheet after sheet (and, for the judge on
two panels, by two browser tabs each entering one criterion, reopening the sheet whenever the
other tab got in first); entries 20–24 take the double-click storms and the head-to-head races.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.models import AuditEntry
from competitions.audit.services import verify_chain
from competitions.contests.models import CompetitionState, Event
from competitions.extensions import db
from competitions.judging import marking, panels, services, signoff
from competitions.judging.models import (
    Aggregation,
    ComponentKind,
    CriterionKind,
    Mark,
    ScoreSheet,
    SheetStatus,
)
from competitions.registration.draw import draw_event
from tests.conftest import make_test_app
from tests.factories import (
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)

RACERS = 50
ENTRIES = 25
FILLED = range(20)  # entries the judges fill in sheet by sheet; 20–24 host the races
CHUNK = 5  # sheets per "one judge working through their list" thread
TAB_CHUNK = 4  # sheets per pair of tabs on the two-panel judge's sheets
RETRIES = 100


@pytest.fixture
def pg_app(backend, request):
    if backend == "sqlite":
        pytest.skip("needs concurrent writers and row locks across connections")
    return request.getfixturevalue("app")


@pytest.fixture
def race_app(pg_app, database_url):
    """The same database behind a pool with a connection for every racer, so all 50 run at
    once instead of queueing for the default pool's 15."""
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_size": RACERS, "max_overflow": 0, "pool_timeout": 60, "pool_pre_ping": True})
    yield app
    with app.app_context():
        db.engine.dispose()


class BigEvent:
    """A drawn event in scoring with 25 entrants from five Nanjing firms and six judges from a
    Suzhou firm (so nobody is kept off an entry): A1 is marked by judge 0 alone, B1 by judges
    1–3 and C1 by judges 3–5, so judge 3 has two criteria on every sheet."""

    def __init__(self, tree):
        organiser = make_organiser(tree.city, "race_organiser")
        competition = make_competition(tree.city, state=CompetitionState.REVIEW)
        self.event = make_event(competition)
        firms = [make_enterprise(tree.city, f"南京企业{i}") for i in range(5)]
        self.entries = [make_entry(self.event, make_worker(firms[i % 5], name=f"选手{i}"))
                        for i in range(ENTRIES)]
        draw_event(organiser, self.event)

        def official(role, username):
            user = make_user(username, display_name=f"{username}裁判", employer=tree.other_firm)
            db.session.add(RoleGrant(user=user, role=role, event_id=self.event.id))
            db.session.flush()
            return user

        chief = official(Role.CHIEF_JUDGE, "race_chief")
        self.judges = [official(Role.JUDGE, f"race_judge{i}") for i in range(6)]
        scheme = services.scheme_for(organiser, self.event)
        practical = services.add_component(organiser, scheme, name="实操",
                                           kind=ComponentKind.PRACTICAL, weight=D(100))
        self.a1, self.b1, self.c1 = (
            services.add_criterion(organiser, practical, code=code, description=code,
                                   max_mark=D(top), kind=kind, panel_size=size,
                                   aggregation=Aggregation.MEAN)
            for code, top, kind, size in (("A1", 40, CriterionKind.MEASUREMENT, 1),
                                          ("B1", 60, CriterionKind.JUDGEMENT, 3),
                                          ("C1", 30, CriterionKind.JUDGEMENT, 3)))
        j = self.judges
        panels.set_panel(organiser, self.a1, [j[0]])
        panels.set_panel(organiser, self.b1, [j[1], j[2], j[3]])
        panels.set_panel(organiser, self.c1, [j[3], j[4], j[5]])
        signoff.start_marking(chief, self.event)
        db.session.flush()
        # Plain values for the threads: touching these ORM objects there would make them load
        # through this (the test's) session from fifty threads at once.
        self.event_id = self.event.id
        self.codes = [entry.blind_code for entry in self.entries]
        self.entry_ids = [entry.id for entry in self.entries]
        self.judge_ids = [judge.id for judge in self.judges]
        self.a1_id, self.b1_id, self.c1_id = self.a1.id, self.b1.id, self.c1.id
        a1, b1, c1 = ((c.id, c.position) for c in (self.a1, self.b1, self.c1))
        self.criteria = {0: [a1], 1: [b1], 2: [b1], 3: [b1, c1], 4: [c1], 5: [c1]}

    def marks(self, judge: int, entry: int) -> dict[int, D]:
        """The marks a judge means to give: varied, on the 0.5 step, within every maximum."""
        return {criterion: D((judge * 7 + entry * 3 + position) % 20) + D("0.5")
                for criterion, position in self.criteria[judge]}


@pytest.fixture
def big(pg_app, tree):
    big = BigEvent(tree)
    db.session.commit()
    return big


# --- what a racing thread does (inside its own app context and session) ---------------------

_audited = threading.local()  # audit entries this thread's session has inserted


@pytest.fixture
def count_audit_inserts():
    def count(mapper, connection, target):
        _audited.count = getattr(_audited, "count", 0) + 1
    sa.event.listen(AuditEntry, "after_insert", count)
    yield
    sa.event.remove(AuditEntry, "after_insert", count)


def save(judge_id: int, event_id: int, code: str, values: dict, version: int,
         submit: bool = False) -> str:
    """One POST of a score sheet: "saved" (this post changed the sheet), "unchanged" (an
    identical post got in first), "stale" or "locked"."""
    judge, event = db.session.get(User, judge_id), db.session.get(Event, event_id)
    _audited.count = 0
    try:
        marking.save_sheet(judge, event, code, values, version=version, submit=submit)
    except marking.StaleSheet:
        db.session.rollback()
        return "stale"
    except marking.SheetLocked:
        db.session.rollback()
        return "locked"
    db.session.commit()  # the audit entries join their chain here
    wrote = _audited.count > 0  # a post that changed the sheet is audited; a no-op is not
    return "saved" if wrote else "unchanged"


def enter_until_saved(judge_id: int, event_id: int, code: str, mine: dict,
                      submit: bool = False) -> int:
    """Open the sheet (as the GET does), put `mine` over what is there, post it; on a stale
    refusal open it again and re-enter, as a judge told to reload would. Returns the retries."""
    for retries in range(RETRIES):
        judge, event = db.session.get(User, judge_id), db.session.get(Event, event_id)
        work = marking.open_sheet(judge, event, code)
        values, version = {**work.values, **mine}, work.version
        db.session.commit()  # the GET's transaction ends; the POST comes later
        if save(judge_id, event_id, code, values, version, submit) in ("saved", "unchanged"):
            return retries
    raise AssertionError(f"sheet {code} still stale after {RETRIES} attempts")


def run_at_once(app, tasks) -> list:
    """Run every task in its own thread, app context and session, released together."""
    barrier = threading.Barrier(len(tasks))

    def attempt(task):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                return task()
            except Exception as error:  # reported per thread, so every failure is seen
                db.session.rollback()
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(attempt, tasks))


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- the test ---------------------------------------------------------------------------------

def test_fifty_concurrent_savers_lose_and_duplicate_nothing(pg_app, race_app, big,
                                                            count_audit_inserts):
    event_id, codes, ids = big.event_id, big.codes, big.judge_ids
    expected: dict[tuple[int, int], dict[int, D]] = {}  # (entry, judge) → criterion → value
    submitted: set[tuple[int, int]] = set()
    tasks, storms = [], {}

    # (a) judges 0, 1, 2, 4, 5 each work through entries 0–19, five sheets a thread, submitting
    # each: 20 threads on 100 different sheets.
    for j in (0, 1, 2, 4, 5):
        for block in chunks(list(FILLED), CHUNK):
            for e in block:
                expected[(big.entry_ids[e], ids[j])] = big.marks(j, e)
                submitted.add((big.entry_ids[e], ids[j]))

            def sheet_after_sheet(j=j, block=block):
                retries = 0
                for e in block:
                    retries += enter_until_saved(ids[j], event_id, codes[e], big.marks(j, e),
                                                 submit=True)
                return ("filled", retries)
            tasks.append(sheet_after_sheet)

    # Judge 3 marks B1 and C1 on the same sheets from two tabs at once, each tab entering one
    # criterion and keeping what the other saved: 10 threads, 5 pairs on the same 4 sheets.
    for block in chunks(list(FILLED), TAB_CHUNK):
        for e in block:
            expected[(big.entry_ids[e], ids[3])] = big.marks(3, e)
        for criterion in (big.b1_id, big.c1_id):
            def one_tab(block=block, criterion=criterion):
                retries = sum(enter_until_saved(
                    ids[3], event_id, codes[e], {criterion: big.marks(3, e)[criterion]})
                    for e in block)
                return ("filled", retries)
            tasks.append(one_tab)

    def storm(name, judge, entry, values, version, threads, submit=False):
        """`threads` identical posts of one form, as a judge hammering the button."""
        storms[name] = (len(tasks), len(tasks) + threads)
        expected[(big.entry_ids[entry], ids[judge])] = values
        if submit:
            submitted.add((big.entry_ids[entry], ids[judge]))
        tasks.extend(lambda: save(ids[judge], event_id, codes[entry], values, version, submit)
                     for _ in range(threads))

    # (b) double-click storms: 8 first saves of a new sheet (both the INSERT of the sheet and the
    # version bump race), 6 posts of an edit to a sheet already at version 1, 2 submits.
    storm("new sheet", 0, 20, {big.a1_id: D("25.5")}, 0, 8)
    presaved = {(1, 21): {big.b1_id: D(30)}, (5, 23): {big.c1_id: D(5)}}
    for (j, e), values in presaved.items():
        marking.save_sheet(big.judges[j], big.event, codes[e], values, version=0)
    db.session.commit()
    storm("edit at version 1", 1, 21, {big.b1_id: D(40)}, 1, 6)
    storm("submit", 3, 24, {big.b1_id: D(50), big.c1_id: D(20)}, 0, 2, submit=True)

    # (c) two different posts of the same form: 22 is a new sheet, 23 is at version 1.
    duels = {}
    for j, e, version, rivals in ((4, 22, 0, (D(10), D(20))), (5, 23, 1, (D(15), D(25)))):
        duels[e] = (j, len(tasks), rivals)
        tasks.extend(lambda j=j, e=e, value=value, version=version: save(
            ids[j], event_id, codes[e], {big.c1_id: value}, version) for value in rivals)

    assert len(tasks) == RACERS
    outcomes = run_at_once(race_app, tasks)

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors  # no IntegrityError, deadlock or anything else escaped
    for name, (start, stop) in storms.items():
        results = Counter(outcomes[start:stop])
        assert results["saved"] == 1, (name, results)
        allowed = {"saved", "unchanged", "stale"} | ({"locked"} if name == "submit" else set())
        assert set(results) <= allowed, (name, results)
    for e, (j, start, rivals) in duels.items():
        results = outcomes[start:start + 2]
        assert sorted(results) == ["saved", "stale"], (e, results)
        expected[(big.entry_ids[e], ids[j])] = {big.c1_id: rivals[results.index("saved")]}

    db.session.rollback()
    sheets = {(s.entry_id, s.judge_id): s for s in db.session.scalars(sa.select(ScoreSheet))}
    assert db.session.scalar(sa.select(sa.func.count(ScoreSheet.id))) == len(expected) == 125
    assert db.session.scalar(sa.select(sa.func.count(Mark.id))) == sum(
        len(v) for v in expected.values()) == 146
    stored = {key: {m.criterion_id: m.value for m in sheet.marks}
              for key, sheet in sheets.items()}
    assert stored == expected  # every save is there, with the winner's value where two raced
    assert {key for key, s in sheets.items() if s.status is SheetStatus.SUBMITTED} == submitted

    versions = {e: sheets[(big.entry_ids[e], ids[j])].version
                for j, e in ((0, 20), (1, 21), (3, 24), (4, 22), (5, 23))}
    assert versions == {20: 1, 21: 2, 24: 1, 22: 1, 23: 2}  # one bump per winning post
    mark_actions = Counter(db.session.scalars(sa.select(AuditEntry.subject_id).where(
        AuditEntry.action.startswith("mark."))))
    assert [mark_actions[str(big.entry_ids[e])] for e in (20, 21, 22, 23, 24)] == [1, 2, 1, 2, 1]
    # 100 sheets submitted, 20 two-tab sheets saved once per tab; stale posts leave no trace
    assert sum(mark_actions[str(big.entry_ids[e])] for e in FILLED) == 100 + 20 * 2

    checked, problem = verify_chain()
    assert problem is None and checked == db.session.scalar(
        sa.select(sa.func.count(AuditEntry.seq)))
    assert signoff.reconcile_marks() == []
