"""`flask seed-scale --national` (issue 18, point 1): a small national competition, checked for
what the results and judging benchmarks rely on."""

import os
import stat
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from competitions.accounts.models import AccountToken, Role, RoleGrant, User
from competitions.accounts.tokens import digest
from competitions.audit.models import AuditEntry
from competitions.contests.models import Competition, Event, EventStage
from competitions.extensions import db
from competitions.judging import signoff
from competitions.judging.models import (
    Criterion,
    ImportedMark,
    Mark,
    Penalty,
    ScoreSheet,
    SheetStatus,
)
from competitions.masking import mask_name
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Entry, EntryMember, Worker
from competitions.results import services
from competitions.scale.cli import seed_scale
from competitions.scale.links import activation_links, competition_accounts
from competitions.scale.national import seed_national
from competitions.scale.provinces import PROVINCES
from competitions.scale.seed import DatabaseNotEmpty, seed_province
from tests import factories
from tests.conftest import login

EVENTS, ENTRIES, BIG = 3, 12, 20
ALL_ENTRIES = EVENTS * ENTRIES + BIG


@pytest.fixture
def national(app):
    summary = seed_national(events=EVENTS, entries=ENTRIES, big_event=BIG, seed=5)
    db.session.commit()
    return summary


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_requested_counts(national):
    events = list(db.session.scalars(sa.select(Event).where(
        Event.competition_id == national.competition_id)))
    assert national.events == len(events) == EVENTS + 1
    assert national.entries == count(Entry) == count(EntryMember) == ALL_ENTRIES
    assert national.workers == count(Worker) == ALL_ENTRIES
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(EntryMember.worker_id)))
                             ) == ALL_ENTRIES  # every entrant a worker of their own
    assert national.marks == count(Mark) == ALL_ENTRIES * 10 * 3
    assert national.score_sheets == count(ScoreSheet, ScoreSheet.status ==
                                          SheetStatus.SUBMITTED) == ALL_ENTRIES * 6
    assert national.imported_marks == count(ImportedMark) == ALL_ENTRIES
    grants = Counter(db.session.scalars(sa.select(RoleGrant.role)))
    assert grants[Role.JUDGE] == national.judges == (EVENTS + 1) * 6
    assert grants[Role.CHIEF_JUDGE] == national.chief_judges == EVENTS + 1
    judges = db.session.scalar(sa.select(sa.func.count(sa.distinct(RoleGrant.user_id)))
                               .where(RoleGrant.role == Role.JUDGE))
    assert judges == (EVENTS + 1) * 6  # no judge sits on two events
    big = db.session.get(Event, national.published_event_id)
    assert count(Entry, Entry.event_id == big.id) == BIG
    assert {count(Entry, Entry.event_id == e.id) for e in events if e is not big} == {ENTRIES}
    assert len({(e.occupation_id, e.group) for e in events}) == len(events)


def test_every_event_is_signed_off_with_every_mark_in(national):
    for event in db.session.scalars(sa.select(Event)):
        state = signoff.overview(event)
        assert state.complete and not state.gaps and not state.unresolved
        assert state.sign_off is not None and state.scheme.locked_at is not None
        assert all(len(cell.marks) == cell.criterion.panel_size == 3 for cell in state.cells)
        if event.id != national.published_event_id:
            assert event.stage is EventStage.SIGNED_OFF and event.decrypted_at is None


def test_the_tree_people_and_accounts(national):
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    for org in orgs.values():
        parent = orgs.get(org.parent_id)
        assert org.path == (parent.path if parent else "/") + f"{org.id}/"
    root = orgs[national.root_id]
    assert (root.tier, root.kind, root.parent_id) == (Tier.NATIONAL, OrgKind.UNION, None)
    provinces = [o for o in orgs.values() if o.parent_id == root.id]
    assert len(provinces) == len(PROVINCES) == 31
    assert db.session.get(Competition, national.competition_id).organiser_id == root.id
    for number, employer, unit in db.session.execute(
            sa.select(Worker.id_number, Worker.employer_id, Entry.unit_id)
            .join(EntryMember, EntryMember.worker_id == Worker.id)
            .join(Entry, Entry.id == EntryMember.entry_id)):
        parse_id_number(number)  # check digit, birth date, a region code in use
        assert orgs[employer].parent_id == unit and orgs[unit].tier is Tier.PROVINCIAL
        assert number[:2] == orgs[unit].region_code[:2]  # of the province they enter for
    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == national.accounts
    assert {u.password_hash for u in users} == {"!"}  # no hash: one-time links sign in
    assert count(Worker, Worker.user_id.is_(None)) == 0
    # Judges come from colleges no entrant works at: nobody is kept off a panel.
    judge_units = set(db.session.scalars(sa.select(User.employer_id).join(
        RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.role == Role.JUDGE)))
    assert not judge_units & set(db.session.scalars(sa.select(Worker.employer_id)))


def expected_total(entry_id: int) -> Decimal:
    """The scoring rules by hand: theory 30 % (T1 of 100), practical 70 % (the ten panel
    means of 10 marks each, less penalties), rounded half-up to two places."""
    marks = defaultdict(list)
    for code, value in db.session.execute(
            sa.select(Criterion.code, Mark.value).join(Mark, Mark.criterion_id == Criterion.id)
            .join(ScoreSheet, ScoreSheet.id == Mark.sheet_id)
            .where(ScoreSheet.entry_id == entry_id)):
        marks[code].append(value)
    assert sorted(marks) == sorted(f"P{n}" for n in range(1, 11))
    practical = sum(sum(values) / 3 for values in marks.values())
    practical -= sum(db.session.scalars(sa.select(Penalty.points).where(
        Penalty.entry_id == entry_id)))
    theory = db.session.scalar(sa.select(ImportedMark.value).where(
        ImportedMark.entry_id == entry_id))
    return ((theory * 30 + max(practical, 0) * 70) / 100).quantize(Decimal("0.01"),
                                                                   ROUND_HALF_UP)


def test_results_computed_follow_the_scoring_rules(national):
    event = db.session.scalar(sa.select(Event).where(
        Event.id != national.published_event_id).order_by(Event.id))
    lines = services.compute_results(event)
    assert len(lines) == ENTRIES
    assert [line.rank for line in lines] == sorted(line.rank for line in lines)
    assert lines[0].rank == 1
    assert [line.total for line in lines] == sorted((line.total for line in lines),
                                                    reverse=True)
    for line in (lines[0], lines[len(lines) // 2], lines[-1]):
        assert line.total == expected_total(line.entry.id)
        assert line.time_used is not None


def test_the_big_event_is_published_and_its_public_page_lists_the_entrants(national, client):
    event = db.session.get(Event, national.published_event_id)
    assert event.stage is EventStage.PUBLISHED and event.decrypted_at is not None
    published = services.published_results(event)
    assert len(published) == BIG and published[0].rank == 1
    winner = db.session.get(Entry, published[0].entry_id)
    assert published[0].total == expected_total(winner.id)
    page = client.get(f"/events/{event.id}/results")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert mask_name(winner.leader.name) in text
    assert winner.leader.id_number not in text
    actions = Counter(db.session.scalars(sa.select(AuditEntry.action)))
    assert actions["results.publish"] == actions["event.decrypt"] == 1


def test_one_audit_entry_for_the_fixture_besides_the_publication(national):
    actions = Counter(db.session.scalars(sa.select(AuditEntry.action)))
    assert actions["scale.seed"] == 1
    assert set(actions) <= {"scale.seed", "occupation.load", "event.decrypt", "results.publish"}


def test_a_generated_account_signs_in_once_through_its_link(national, client):
    accounts = competition_accounts(national.competition_id)
    roles = Counter(role for _name, role in accounts)
    assert roles == {"organiser": 1, "encryption_officer": 1, "judge": (EVENTS + 1) * 6,
                     "chief_judge": EVENTS + 1, "worker": ALL_ENTRIES}
    judge = next(name for name, role in accounts if role == "judge")
    links = activation_links([judge, "nobody-of-that-name"])
    db.session.commit()
    assert list(links) == [judge]
    secret = links[judge].rsplit("/", 1)[1]
    [token] = db.session.scalars(sa.select(AccountToken)).all()
    assert token.token_hash == digest(secret) and secret not in token.token_hash

    assert login(client, judge, "!").status_code != 302  # no password signs in
    path = urlsplit(links[judge]).path
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": "scale2027pass", "confirm": "scale2027pass"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/accounts/dashboard")
    assert client.get("/accounts/dashboard").status_code == 200
    client.post("/accounts/logout")
    assert client.get(path).status_code == 410  # used
    again = activation_links([judge])  # a fresh one voids any unused earlier one
    first = urlsplit(again[judge]).path
    activation_links([judge])
    db.session.commit()
    assert client.get(first).status_code == 410


def test_the_command_writes_owner_only_links_and_says_what_it_made(app, tmp_path):
    links = tmp_path / "links.tsv"
    links.write_text("stale")
    os.chmod(links, 0o644)
    done = app.test_cli_runner().invoke(seed_scale, [
        "--national", "--events", "2", "--entries", "5", "--big-event", "7", "--yes",
        "--links", str(links)])
    assert done.exit_code == 0, done.output
    assert "3 events" in done.output and "17 entries" in done.output
    assert f"{17 * 30:,} marks" in done.output
    event_id = db.session.scalar(sa.select(Event.id).where(Event.stage == EventStage.PUBLISHED))
    assert f"published event {event_id}." in done.output
    assert stat.S_IMODE(links.stat().st_mode) == 0o600
    lines = links.read_text().splitlines()
    assert lines[0] == "username\trole\tlink"
    accounts = competition_accounts(db.session.scalar(sa.select(Competition.id)))
    assert [tuple(line.split("\t")[:2]) for line in lines[1:]] == accounts
    assert count(AccountToken) == len(accounts)


def test_refuses_a_database_holding_data_without_force(app):
    factories.Tree()
    db.session.commit()
    with pytest.raises(DatabaseNotEmpty):
        seed_national(events=1, entries=2, big_event=2)
    refused = app.test_cli_runner().invoke(seed_scale, [
        "--national", "--events", "1", "--entries", "2", "--big-event", "2", "--yes"])
    assert refused.exit_code == 1 and "--force" in refused.output


def test_goes_beside_a_scale_province_with_force(app):
    province = seed_province(workers=2000, seed=3, last_year=2025)
    db.session.commit()
    summary = seed_national(events=2, entries=30, big_event=30, seed=5, force=True)
    db.session.commit()
    numbers = list(db.session.scalars(sa.select(Worker.id_number)))
    assert len(set(numbers)) == len(numbers) == 2000 + summary.workers
    # The province stays a root of its own: its evaluation and its benchmark are unchanged.
    assert db.session.get(Organisation, province.province_id).parent_id is None
    assert db.session.get(Organisation, summary.root_id).parent_id is None
