"""`flask seed-scale --province`: a small run of the generator, checked for what the
evaluation's benchmark relies on (issue 17, point 5)."""

from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from stdnum.cn import ric

from competitions.audit.models import AuditEntry
from competitions.contests.models import Competition, Drill, DrillPlace, Event
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Entry, EntryMember, EntryStatus, Nomination, Worker
from competitions.results.models import Result
from competitions.scale.cli import seed_scale
from competitions.scale.identity import IdNumbers
from competitions.scale.regions import CITIES
from competitions.scale.seed import DatabaseNotEmpty, seed_province
from competitions.scale.tree import organisation_count
from tests import factories

WORKERS = 2000


@pytest.fixture
def scale(app):
    summary = seed_province(workers=WORKERS, seed=3, last_year=2025)
    db.session.commit()
    return summary


def test_the_requested_counts(scale):
    assert scale.workers == db.session.scalar(sa.select(sa.func.count(Worker.id))) == WORKERS
    assert scale.organisations == organisation_count(WORKERS) == db.session.scalar(
        sa.select(sa.func.count(Organisation.id)))
    entries = db.session.scalar(sa.select(sa.func.count(Entry.id)))
    assert entries == scale.entries and abs(entries - WORKERS // 10) <= WORKERS // 40
    assert scale.years == (2023, 2024, 2025)
    assert {year for year, in db.session.execute(sa.select(Competition.year).distinct())} == {
        2023, 2024, 2025}
    assert db.session.scalar(sa.select(sa.func.count(Drill.id))) == scale.drills > 0
    assert db.session.scalar(sa.select(sa.func.count(DrillPlace.id))) == scale.drill_places > 0
    assert db.session.scalar(sa.select(sa.func.count(Result.id))) == scale.results > 0
    assert db.session.scalar(sa.select(sa.func.count(Nomination.id))) == scale.nominations > 0


def test_the_tree_is_a_province_of_cities_districts_and_units(scale):
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    for org in orgs.values():
        parent = orgs.get(org.parent_id)
        assert org.path == (parent.path if parent else "/") + f"{org.id}/"
    kinds = Counter((o.kind, o.tier) for o in orgs.values())
    assert kinds[OrgKind.UNION, Tier.PROVINCIAL] == 1
    assert kinds[OrgKind.UNION, Tier.CITY] == len(CITIES) == 13
    assert kinds[OrgKind.SCHOOL, Tier.ENTERPRISE] >= 1
    units = [o for o in orgs.values() if o.kind.employs_workers]
    assert all(o.industry and o.ownership for o in units)
    assert all(o.workforce is None or (o.size and o.workforce_year == 2025) for o in units)
    assert not any(o.workforce or o.industry for o in orgs.values() if o.kind is OrgKind.UNION)


def test_id_numbers_are_valid_unique_and_of_the_province(scale):
    numbers = list(db.session.scalars(sa.select(Worker.id_number)))
    assert len(set(numbers)) == len(numbers) == WORKERS
    for worker in db.session.execute(sa.select(Worker.id_number, Worker.birth_date, Worker.sex)):
        identity = parse_id_number(worker.id_number)  # check digit, date, region in use
        assert (identity.birth_date, identity.sex) == (worker.birth_date, worker.sex)
        assert worker.id_number.startswith("32")
        assert 18 <= 2025 - worker.birth_date.year <= 60


def test_id_numbers_stay_distinct_past_one_pass_of_the_birth_range():
    from datetime import date
    numbers = IdNumbers(date(1990, 1, 1), date(1990, 1, 10))  # ten days: ten per order pair
    drawn = [numbers.draw("320102", male=i % 3 == 0) for i in range(200)]
    assert len(set(drawn)) == 200
    assert all(n[17] == ric.calc_check_digit(n) for n in drawn)


def test_entries_are_of_workers_in_the_organisers_subtree(scale):
    organiser, employer = aliased(Organisation), aliased(Organisation)
    outside = db.session.scalar(
        sa.select(sa.func.count()).select_from(EntryMember)
        .join(Entry, Entry.id == EntryMember.entry_id)
        .join(Event, Event.id == Entry.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .join(organiser, organiser.id == Competition.organiser_id)
        .join(Worker, Worker.id == EntryMember.worker_id)
        .join(employer, employer.id == Worker.employer_id)
        .where(~employer.path.startswith(organiser.path)))
    assert scale.entry_members > 0 and outside == 0
    # and through the organiser's child that holds them
    units = db.session.execute(
        sa.select(Entry.unit_id, Competition.organiser_id).join(Event, Event.id == Entry.event_id)
        .join(Competition, Competition.id == Event.competition_id)).all()
    parents = dict(db.session.execute(sa.select(Organisation.id, Organisation.parent_id)).all())
    assert all(parents[unit] == organiser for unit, organiser in units)


def test_statuses_results_and_awards_are_realistic(scale):
    statuses = Counter(db.session.scalars(sa.select(Entry.status)))
    assert statuses[EntryStatus.APPROVED] > 0.8 * scale.entries
    assert set(statuses) <= {EntryStatus.APPROVED, EntryStatus.WITHDRAWN, EntryStatus.REJECTED}
    inactive = db.session.scalar(sa.select(sa.func.count()).select_from(EntryMember)
                                 .where(~EntryMember.active))
    assert inactive == statuses[EntryStatus.WITHDRAWN] + statuses[EntryStatus.REJECTED]
    results = db.session.execute(sa.select(Result.rank, Result.awards)).all()
    assert len(results) == statuses[EntryStatus.APPROVED]
    assert all("gold" in awards for rank, awards in results if rank == 1)
    assert any(not awards for _rank, awards in results)  # medals_half: half the field wins


def test_the_same_seed_gives_the_same_workers(app):
    seed_province(workers=WORKERS, seed=9, last_year=2025)
    first = db.session.execute(sa.select(Worker.name, Worker.id_number).order_by(Worker.id)
                               ).all()[:50]
    db.session.rollback()
    seed_province(workers=WORKERS, seed=9, last_year=2025)
    assert db.session.execute(sa.select(Worker.name, Worker.id_number).order_by(Worker.id)
                              ).all()[:50] == first


def test_one_audit_entry_for_the_whole_fixture(scale):
    actions = Counter(db.session.scalars(sa.select(AuditEntry.action)))
    assert actions["scale.seed"] == 1
    assert sum(actions.values()) <= 2  # and the occupation catalogue it loaded


def test_refuses_a_database_holding_data_without_force(app):
    factories.Tree()
    with pytest.raises(DatabaseNotEmpty):
        seed_province(workers=WORKERS, seed=3, last_year=2025)
    summary = seed_province(workers=WORKERS, seed=3, last_year=2025, force=True)
    assert summary.workers == WORKERS


def test_the_command_refuses_without_force_and_seeds_with_yes(app):
    runner = app.test_cli_runner()
    factories.Tree()
    db.session.commit()
    refused = runner.invoke(seed_scale, ["--province", "--workers", "1000", "--yes"])
    assert refused.exit_code == 1 and "--force" in refused.output
    done = runner.invoke(seed_scale, ["--province", "--workers", "1000", "--yes", "--force",
                                      "--last-year", "2025"])
    assert done.exit_code == 0, done.output
    assert "1,000 workers" in done.output
    # The planner's statistics are brought up to date; the tests' PostgreSQL role does not own
    # the tables (as an app's role should not), so there it is told to run ANALYZE as owner.
    if db.engine.dialect.name == "postgresql":
        assert "Run ANALYZE as their owner" in done.output
    else:
        assert db.session.scalar(sa.text("SELECT count(*) FROM sqlite_stat1")) > 0

