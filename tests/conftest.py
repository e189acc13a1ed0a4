"""Fixtures: a fresh database per test, on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

import functools
import os
import shutil
import uuid

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from competitions import create_app
from competitions.audit.models import APPEND_ONLY_TRIGGERS, HEAD_TRIGGERS
from competitions.config import normalise_database_url
from competitions.extensions import db
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Cheap hashes in tests (production keeps werkzeug's scrypt default): ~0.2 s saved each."""
    fast = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("competitions.accounts.models.generate_password_hash", fast)
        yield


@pytest.fixture(scope="session")
def postgres_url():
    """A database of our own on the TEST_DATABASE_URL server, dropped after the run."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    server = make_url(normalise_database_url(PG_URL))
    name = f"competitions_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_pg_schema_ready = False


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An SQLite file with the schema, built once; each test gets a copy (create_all is slow)."""
    path = tmp_path_factory.mktemp("template") / "schema.sqlite"
    app = make_test_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def database_url(backend, tmp_path, request):
    if backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


def make_test_app(database_url, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "AUDIT_CHECKPOINT_PATH": os.devnull,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url, backend, tmp_path):
    global _pg_schema_ready
    app = make_test_app(database_url,
                        AUDIT_CHECKPOINT_PATH=str(tmp_path / "audit-checkpoints.jsonl"))

    @app.before_request
    def fresh_request_globals():
        # Requests reuse the fixture's app context, and so its `g`: drop what Flask-Babel and
        # Flask-Login cache there, as a real server's fresh context per request would.
        g.pop("_flask_babel", None)
        g.pop("_login_user", None)
    with app.app_context():
        if backend == "postgresql" and not _pg_schema_ready:
            db.create_all()
            _pg_schema_ready = True
        yield app
        db.session.remove()
        if backend == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                # The audit tables refuse TRUNCATE by trigger; replica mode skips triggers.
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tree(app):
    tree = factories.Tree()
    db.session.commit()
    return tree


def login(client, user_or_name, password=factories.PASSWORD, remember=False):
    username = getattr(user_or_name, "username", user_or_name)
    return client.post("/accounts/login", data={"login": username, "password": password,
                                                "remember": "y" if remember else ""})


@pytest.fixture
def login_as(client):
    """login_as(user): log the test client in as `user`."""
    def _login(user, **kwargs):
        response = login(client, user, **kwargs)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client
    return _login


# --- the audit log as someone with database access sees it ----------------------------------

DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete",
               "DROP TRIGGER audit_heads_forward_only", "DROP TRIGGER audit_heads_no_delete"],
    "postgresql": ["DROP TRIGGER audit_entries_no_change ON audit_entries",
                   "DROP TRIGGER audit_entries_no_truncate ON audit_entries",
                   "DROP TRIGGER audit_heads_forward_only ON audit_heads",
                   "DROP TRIGGER audit_heads_no_truncate ON audit_heads"],
}


def restore_triggers(dialect):
    for statement in APPEND_ONLY_TRIGGERS[dialect] + HEAD_TRIGGERS[dialect]:
        db.session.execute(sa.text(statement))
    db.session.commit()


@pytest.fixture
def unprotected_log(app):
    """Drop the append-only triggers, as someone with database access could; restore after."""
    dialect = db.engine.dialect.name
    for statement in DROP_TRIGGERS[dialect]:
        db.session.execute(sa.text(statement))
    db.session.commit()
    yield
    db.session.rollback()
    restore_triggers(dialect)
