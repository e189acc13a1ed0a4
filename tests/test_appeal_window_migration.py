"""Migration 0009 turns a competition's notice days into hours, its appeal window included, and
gives every published event the appeal deadline it had: the end of its notice."""

from datetime import datetime

import flask_migrate
import pytest
import sqlalchemy as sa

from competitions.extensions import db
from tests.conftest import make_test_app
from tests.test_migrations import MIGRATIONS, empty_database_url  # noqa: F401 (a fixture)

NOTICE_ENDS = datetime(2026, 11, 30, 6, 30)


@pytest.fixture
def app_at_0008(empty_database_url, tmp_path):  # noqa: F811
    app = make_test_app(empty_database_url, MIGRATIONS_DIR=MIGRATIONS,
                        AUDIT_CHECKPOINT_PATH=str(tmp_path / "checkpoints.jsonl"))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0008")
        yield app
        db.session.remove()
        db.engine.dispose()


def insert(table: str, **values) -> None:
    names = ", ".join(f'"{name}"' for name in values)  # "group" is a keyword
    db.session.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES "
                               f"({', '.join(':' + name for name in values)})"), values)


def write_competition_as_0008_did():
    """A 7-day notice; one event published (on notice), one not yet."""
    created = datetime(2026, 11, 1, 8, 0)
    insert("organisations", id=1, name="南京市总工会", kind="union", tier="city", path="/1/",
           created_at=created)
    insert("occupations", id=1, name="焊工", has_national_standard=True)
    insert("occupations", id=2, name="电工", has_national_standard=True)
    insert("competitions", id=1, name="2026年南京市职工职业技能大赛", year=2026, tier="city",
           competition_class="unclassified", organiser_id=1, state="drawn", advance_top_n=3,
           award_scheme="medals_half", award_options="{}", title_options="{}", notice_days=7,
           tie_breaks='["time_used"]', created_at=created)
    for event_id, stage, notice_ends_at in ((1, "published", NOTICE_ENDS), (2, "scoring", None)):
        insert("events", id=event_id, competition_id=1, occupation_id=event_id,
               group="employee", team_size=1, until_retirement=True,
               female_retirement_base=55, barred_titles="[]", nomination_required=False,
               stage=stage, notice_ends_at=notice_ends_at, entry_counter=0)
    db.session.commit()


def test_notice_days_become_hours_and_published_events_keep_their_deadline(app_at_0008):
    write_competition_as_0008_did()
    flask_migrate.upgrade(directory=MIGRATIONS, revision="0009")
    # Read as stored (later revisions may change the models, not what this one wrote).
    with db.engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT notice_hours, appeal_hours FROM competitions")).one() == (168, 168)
        events = conn.execute(sa.text("SELECT id, stage, notice_ends_at, appeals_close_at "
                                      "FROM events ORDER BY id")).all()
    assert [(e.id, e.stage, as_datetime(e.notice_ends_at), as_datetime(e.appeals_close_at))
            for e in events] == [(1, "published", NOTICE_ENDS, NOTICE_ENDS),
                                 (2, "scoring", None, None)]

    flask_migrate.downgrade(directory=MIGRATIONS, revision="0008")
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT notice_days FROM competitions")) == 7
        assert as_datetime(conn.scalar(sa.text(
            "SELECT notice_ends_at FROM events WHERE id = 1"))) == NOTICE_ENDS
        assert "appeals_close_at" not in {c["name"] for c in sa.inspect(conn).get_columns("events")}


def as_datetime(value) -> datetime | None:
    """A DATETIME as read by plain SQL: SQLite gives it back as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
