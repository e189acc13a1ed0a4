"""Fixtures: a fresh database per test, on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from competitions import create_app
from competitions.config import normalise_database_url
from competitions.extensions import db
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


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


@pytest.fixture
def database_url(backend, tmp_path, request):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgres_url")


def make_test_app(database_url, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url, backend):
    global _pg_schema_ready
    app = make_test_app(database_url)
    with app.app_context():
        if backend == "sqlite" or not _pg_schema_ready:
            db.create_all()
            _pg_schema_ready = backend == "postgresql" or _pg_schema_ready
        yield app
        db.session.remove()
        if backend == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
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
