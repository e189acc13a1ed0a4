"""Migration 0010: each competition's award preset, options and minimum become one award
config that gives exactly the awards the preset gave, its title rule becomes a list of one,
and each stored result's award becomes a list of one; published results read the same after
it, and `flask audit verify` still agrees with the digests published before it."""

import importlib.util
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.results import services
from competitions.results.award_plans import AwardConfig, plan_awards
from competitions.results.awards import Award, assign_awards
from competitions.results.models import Result
from tests.conftest import make_test_app
from tests.test_appeal_window_migration import insert
from tests.test_migrations import MIGRATIONS, empty_database_url  # noqa: F401 (a fixture)


def _load_migration():
    path = Path(MIGRATIONS) / "versions" / "0010_award_plans_and_title_rules.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATION = _load_migration()
CREATED = datetime(2026, 11, 1, 8, 0)

# (preset, its options, minimum total) as 0009 stored them, one competition each.
LEGACY = [("medals_half", {}, Decimal("60.00")), ("medals_two_thirds", {}, None),
          ("prizes_10_20_30", {}, None), ("fixed_counts", {"first": 1, "second": 2, "third": 3},
                                           Decimal("50.00"))]
TOTALS = [Decimal(t) for t in ("95.50", "90.00", "90.00", "80.25", "70.00", "61.00", "59.99",
                               "55.00", "40.00", "30.00", "20.00")]
RANKS = [1, 2, 2, 4, 5, 6, 7, 8, 9, 10, 11]


@pytest.mark.parametrize("scheme, options, minimum", LEGACY)
def test_the_migration_writes_the_config_the_engine_reads_for_each_preset(scheme, options,
                                                                          minimum):
    """The migration keeps its own copy of the mapping (it must not change with the code);
    it agrees with AwardConfig.from_legacy, which the engine tests prove equivalent."""
    written = MIGRATION.legacy_config(scheme, options, minimum)
    assert written == AwardConfig.from_legacy(scheme, options, minimum).to_json()


@pytest.fixture
def app_at_0009(empty_database_url, tmp_path):  # noqa: F811
    app = make_test_app(empty_database_url, MIGRATIONS_DIR=MIGRATIONS,
                        AUDIT_CHECKPOINT_PATH=str(tmp_path / "checkpoints.jsonl"))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0009")
        yield app
        db.session.remove()
        db.engine.dispose()


def write_results_as_0009_did() -> dict[int, list[str | None]]:
    """Four competitions, one per legacy preset, each with a published event of 11 results
    whose awards the old engine gave; returns each competition's awards in rank order."""
    insert("organisations", id=1, name="南京市总工会", kind="union", tier="city", path="/1/",
           created_at=CREATED)
    insert("occupations", id=1, name="焊工", has_national_standard=True)
    for n in range(len(TOTALS)):
        insert("workers", id=n + 1, name=f"职工{n + 1}", id_number=f"32010219900101{n:03d}X",
               birth_date=date(1990, 1, 1), sex="male", employer_id=1, created_at=CREATED,
               updated_at=CREATED)
    expected = {}
    for number, (scheme, options, minimum) in enumerate(LEGACY, start=1):
        insert("competitions", id=number, name=f"竞赛{number}", year=2026, tier="city",
               competition_class="class1", organiser_id=1, state="drawn", advance_top_n=3,
               award_scheme=scheme, award_options=json.dumps(options),
               award_min_total=None if minimum is None else str(minimum),
               title_rule="national_wuyi" if number == 1 else None,
               title_options='{"top": 3}' if number == 1 else "{}", notice_hours=120,
               appeal_hours=48, tie_breaks='["time_used"]', created_at=CREATED)
        insert("events", id=number, competition_id=number, occupation_id=1, group="employee",
               team_size=1, until_retirement=True, female_retirement_base=55,
               barred_titles="[]", nomination_required=False, stage="published",
               entry_counter=0)
        keys = list(range(len(TOTALS)))
        old = assign_awards(list(zip(keys, RANKS, strict=True)), scheme,
                            totals=dict(zip(keys, TOTALS, strict=True)), min_total=minimum,
                            **options)
        expected[number] = [old[key].value if old[key] else None for key in keys]
        for key, (rank, total) in enumerate(zip(RANKS, TOTALS, strict=True)):
            entry_id = number * 100 + key
            insert("entries", id=entry_id, event_id=number, unit_id=1, status="approved",
                   created_at=CREATED, updated_at=CREATED)
            insert("results", event_id=number, entry_id=entry_id, rank=rank, total=str(total),
                   components="[]", penalties=0, standardised=700, computed_at=CREATED,
                   award=expected[number][key])
    db.session.commit()
    return expected


def test_stored_results_and_settings_read_the_same_after_the_migration(app_at_0009):
    expected = write_results_as_0009_did()
    flask_migrate.upgrade(directory=MIGRATIONS, revision="head")
    for number, (scheme, _options, _minimum) in enumerate(LEGACY, start=1):
        competition = db.session.get(Competition, number)
        stored = db.session.scalars(sa.select(Result).where(Result.event_id == number)
                                    .order_by(Result.entry_id)).all()
        # What was published reads the same…
        assert [r.awards for r in stored] == [[a] if a else [] for a in expected[number]]
        # …and the results settings, computed again, would give the same awards.
        assert competition.award_scheme == scheme
        plan = plan_awards(list(zip(range(len(RANKS)), RANKS, strict=True)),
                           AwardConfig.from_json(competition.award_config),
                           totals=dict(enumerate(TOTALS)))
        assert [[a.value for a in plan.awards[key]] for key in range(len(RANKS))] == [
            [a] if a else [] for a in expected[number]]
    assert db.session.get(Competition, 1).title_rules == [["national_wuyi", {"top": 3}]]
    assert db.session.get(Competition, 2).title_rules == []

    db.session.close()  # its reads would hold the locks the downgrade's ALTERs wait for
    flask_migrate.downgrade(directory=MIGRATIONS, revision="0009")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, award_scheme, award_min_total, title_rule "
                                    "FROM competitions ORDER BY id")).all()
        assert [(r.award_scheme, r.title_rule) for r in rows] == [
            (scheme, "national_wuyi" if n == 0 else None)
            for n, (scheme, _o, _m) in enumerate(LEGACY)]
        assert Decimal(str(rows[0].award_min_total)) == Decimal("60.00")
        awards = conn.execute(sa.text("SELECT award FROM results WHERE event_id = 1 "
                                      "ORDER BY entry_id")).scalars().all()
        assert awards == expected[1]


def test_a_medals_and_prizes_event_stores_both_awards(app_at_0009):
    """After the migration a result can carry a prize and a medal; the row keeps the order."""
    write_results_as_0009_did()
    flask_migrate.upgrade(directory=MIGRATIONS, revision="head")
    result = db.session.scalars(sa.select(Result).order_by(Result.id)).first()
    result.awards = [Award.FIRST_PRIZE.value, Award.GOLD.value]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Result, result.id).award_list == [Award.FIRST_PRIZE, Award.GOLD]
    assert services.published_results(db.session.get(Event, result.event_id))[0].id == result.id
