"""PostgreSQL: the application's role may insert and read the audit log, never rewrite it
(issue 11, item 5). The owner builds the schema and grants (`flask audit grant`); the app then
connects as a role that is neither owner nor superuser."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from competitions.accounts.models import SYSTEM
from competitions.audit.services import record, verify_chain
from competitions.extensions import db
from tests.conftest import make_test_app


@pytest.fixture
def restricted_app(backend, app, postgres_owner_url, owner_engine):
    """The app, connected as a fresh login role granted by `flask audit grant`."""
    if backend != "postgresql":
        pytest.skip("SQLite has no database roles; the restricted role is tested on PostgreSQL")
    role, password = f"app_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    owner = owner_engine
    with owner.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "grant", role])
    assert result.exit_code == 0, result.output
    url = make_url(postgres_owner_url).set(username=role, password=password)
    restricted = make_test_app(url.render_as_string(hide_password=False))
    with restricted.app_context():
        yield restricted
        db.session.remove()
        db.engine.dispose()
    with owner.begin() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))


def test_the_app_role_writes_and_verifies_the_log(restricted_app):
    record(SYSTEM, "test.a", ("Thing", 1))
    record(SYSTEM, "test.b", ("Thing", 2), chain="event:1")
    db.session.commit()
    assert verify_chain() == (2, None)
    assert db.session.scalar(sa.text("SELECT current_user")) != "postgres"


def test_the_suite_itself_runs_as_a_restricted_role(app, backend):
    """Every PostgreSQL test connects as the application would in production (conftest)."""
    if backend != "postgresql":
        pytest.skip("SQLite has no database roles; this checks the PostgreSQL runs")
    user = db.session.scalar(sa.text("SELECT current_user"))
    flags = db.session.execute(sa.text(
        "SELECT rolsuper, pg_has_role(current_user, (SELECT tableowner FROM pg_tables "
        "WHERE tablename = 'audit_entries'), 'USAGE') FROM pg_roles WHERE rolname = :u"),
        {"u": user}).one()
    assert tuple(flags) == (False, False)


@pytest.mark.parametrize("statement, refusal", [
    ("UPDATE audit_entries SET reason = 'x'", "permission denied"),
    ("DELETE FROM audit_entries", "permission denied"),
    ("TRUNCATE audit_entries", "permission denied"),
    ("TRUNCATE audit_heads", "permission denied"),
    ("DELETE FROM audit_heads", "permission denied"),
    ("UPDATE audit_heads SET seq = 0", "only move forward"),
    ("UPDATE audit_checkpoints SET body = ''", "permission denied"),
    ("ALTER TABLE audit_entries DISABLE TRIGGER USER", "must be owner"),
    ("DROP TRIGGER audit_entries_no_change ON audit_entries", "must be owner"),
    ("ALTER TABLE audit_entries OWNER TO CURRENT_USER", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
])
def test_the_app_role_cannot_rewrite_the_log(restricted_app, statement, refusal):
    record(SYSTEM, "test.a", ("Thing", 1))
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match=refusal):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert verify_chain() == (1, None)
