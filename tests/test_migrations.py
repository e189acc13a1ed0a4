"""The migrations build exactly the schema of the models, on SQLite and PostgreSQL."""

import uuid
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from competitions.accounts.models import SYSTEM
from competitions.audit.services import record
from competitions.config import normalise_database_url
from competitions.extensions import db
from tests.conftest import PG_URL, make_test_app

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database with no tables: a new SQLite file, or a new PostgreSQL database.

    The `database_url` fixture comes with the create_all() schema already in place, so these
    tests make (and drop) databases of their own.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = make_url(normalise_database_url(PG_URL))
    name = f"competitions_migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_app(empty_database_url):
    """An app whose database was built by `flask db upgrade`, never by create_all()."""
    app = make_test_app(empty_database_url, MIGRATIONS_DIR=MIGRATIONS)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        yield app
        db.session.remove()
        db.engine.dispose()


# The name search's index is PostgreSQL's only (.ddl_if), and compared on PostgreSQL; on SQLite,
# where neither the models nor the migrations build it, Alembic says it leaves it out.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index "
    "'ix_workers_name_bigrams'; dialect 'sqlite':UserWarning")
def test_upgrade_builds_exactly_the_schema_of_the_models(migrated_app, backend):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        if backend == "postgresql":  # subtree range scans need "/" to sort before the digits
            collation = conn.scalar(sa.text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'organisations' AND column_name = 'path'"))
            assert collation == "C"
    assert differences == []


def test_upgrade_builds_the_name_search_index_on_postgresql_only(migrated_app, backend):
    with db.engine.connect() as conn:
        indexes = {index["name"] for index in sa.inspect(conn).get_indexes("workers")}
        if backend == "sqlite":
            assert "ix_workers_name_bigrams" not in indexes
            return
        options = conn.scalar(sa.text(
            "SELECT reloptions FROM pg_class WHERE relname = 'ix_workers_name_bigrams'"))
        pairs = conn.scalar(sa.text("SELECT text_bigrams('欧阳修明')"))
    assert options == ["gin_pending_list_limit=64"] and pairs == ["欧阳", "阳修", "修明"]


def test_upgrade_installs_the_append_only_triggers(migrated_app):
    record(SYSTEM, "test.entry", ("Test", "1"), after={"n": 1})
    db.session.commit()
    for statement in ("UPDATE audit_entries SET reason = 'forged'", "DELETE FROM audit_entries"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("audit_entries"))) == 1


def test_downgrade_to_base_removes_every_table_and_trigger(migrated_app, backend):
    flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"alembic_version"}
        if backend == "postgresql":
            functions = conn.scalar(sa.text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'audit_entries_append_only'"))
            assert functions == 0
        else:
            triggers = conn.scalar(sa.text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"))
            assert triggers == 0
    flask_migrate.upgrade(directory=MIGRATIONS)  # and back up again from nothing
    with db.engine.connect() as conn:
        assert "audit_entries" in sa.inspect(conn).get_table_names()
