"""Fixtures: a fresh database per test, on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

import functools
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.engine import make_url
from sqlalchemy.orm.state import InstanceState
from werkzeug.routing.rules import Rule
from werkzeug.security import generate_password_hash

from competitions import create_app
from competitions.audit.models import APPEND_ONLY_TRIGGERS, HEAD_TRIGGERS
from competitions.audit.roles import grant_app_role
from competitions.config import normalise_database_url
from competitions.extensions import db
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# The page sweeps (every page as every role) check what pages render, whichever database holds
# the rows: they run once, on PostgreSQL when it is given (production's), else on SQLite.
# Services, and each page's own tests, run on both.
one_database = pytest.mark.parametrize("backend", BACKENDS[-1:])
RAM_DISK = "/dev/shm"


def pytest_configure(config):
    """Temporary files in RAM where there is room: each SQLite commit then costs microseconds
    instead of a disk flush (~10 ms), and tests commit often. TMPDIR or --basetemp, if given,
    win; under pytest-xdist the workers inherit the controller's choice."""
    if os.environ.get("TMPDIR") or config.option.basetemp or hasattr(config, "workerinput"):
        return
    try:
        ram = os.statvfs(RAM_DISK)
    except OSError:
        return
    if ram.f_bavail * ram.f_frsize >= 2 * 1024**3 and os.access(RAM_DISK, os.W_OK):
        os.environ["TMPDIR"] = RAM_DISK  # also for subprocesses: Chromium, pdftoppm, ...
        tempfile.tempdir = None  # forget any directory tempfile already chose


def pytest_make_parametrize_id(config, val, argname):
    """A long bytes parameter (a file built at import, such as an .xlsx whose zip entries carry
    the time) is named by its argument, not its content: pytest-xdist needs every worker to
    collect the same test ids."""
    if isinstance(val, bytes) and len(val) > 64:
        return f"{argname}-bytes"
    return None


def worker_id() -> str:
    """pytest-xdist's worker name (gw0, gw1, ...), or "main" when not run in parallel."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Cheap hashes in tests (production keeps werkzeug's scrypt default): ~0.2 s saved each."""
    fast = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("competitions.accounts.models.generate_password_hash", fast)
        yield


@pytest.fixture(scope="session")
def postgres_owner_url():
    """A database of our own on the TEST_DATABASE_URL server, dropped after the run; one per
    pytest-xdist worker (each worker is a session of its own). Its owner (the TEST_DATABASE_URL
    user) builds the schema, as MIGRATION_DATABASE_URL does in production. Commits do not wait
    for the disk (synchronous_commit off): a crash of the test server loses nothing we keep."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    server = make_url(normalise_database_url(PG_URL))
    name = f"competitions_test_{worker_id()}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_owner_url):
    """The same database as the application's restricted role sees it (docs/audit.md): a login
    role that is neither owner nor superuser, granted by `flask audit grant` once the schema is
    built (see `app`)."""
    role, password = f"app_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    owner = sa.create_engine(postgres_owner_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD '{password}'"))
    url = make_url(postgres_owner_url).set(username=role, password=password)
    yield url.render_as_string(hide_password=False)
    with owner.connect() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {role}"))  # its grants, before the role goes
        conn.execute(sa.text(f"DROP ROLE {role}"))
    owner.dispose()


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


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory) -> Path:
    """Where each SQLite test's database lies: one path per worker, so that its engine (and
    the statements it has compiled) serves every test; each test copies the schema there."""
    return tmp_path_factory.mktemp("database") / "test.sqlite"


@pytest.fixture
def database_url(backend, request):
    if backend == "sqlite":
        path = request.getfixturevalue("sqlite_path")
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


# --- what every test's new app would build again --------------------------------------------
# Each test builds its own app: a third of a client test's time went on werkzeug compiling a
# URL builder for each of ~170 routes, and a sixth on Jinja compiling the same templates again.
# Both depend only on their source, so the tests' process keeps them once.

_url_builders: dict[tuple, object] = {}


def _cached_builder(rule: Rule, append_unknown: bool = True):
    """werkzeug's URL builder for `rule`, compiled once per process. The generated function
    takes the rule as its first argument and reads converters and query encoding from it when
    called; what it is compiled from is the rule's trace (its static and dynamic parts). Rules
    with defaults fold converted values in, so they are compiled as werkzeug does."""
    if rule.defaults:
        return _compile_builder(rule, append_unknown)
    key = (rule.rule, tuple(rule._trace), append_unknown)
    builder = _url_builders.get(key)
    if builder is None:
        builder = _url_builders[key] = _compile_builder(rule, append_unknown)
    return builder


_compile_builder = Rule._compile_builder
Rule._compile_builder = _cached_builder


class SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app of the process; Jinja checks each
    against its source's checksum before using it."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedBytecodeCache()

_engines: dict[tuple, sa.Engine] = {}


def _shared_engine(bind_key, options: dict, app) -> sa.Engine:
    """One engine per database URL and options in the process, whatever app asks: each engine
    compiles every statement afresh, which was a third of a client test's time. The app
    fixture disposes of its pooled connections after each test, as before; listeners the
    tests add to it, they remove."""
    key = tuple(sorted((name, value.render_as_string(hide_password=False)
                        if isinstance(value, sa.URL) else repr(value))
                       for name, value in options.items()))
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = sa.engine_from_config(options, prefix="")
    return engine


db._make_engine = _shared_engine


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
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture
def owner_engine(backend, database_url, request):
    """The database as its owner reaches it: the role that builds the schema and may drop the
    audit log's triggers (an attacker with database access, in the tampering tests). SQLite has
    no roles: there it is a second engine on the same file."""
    url = database_url if backend == "sqlite" else request.getfixturevalue("postgres_owner_url")
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(database_url, owner_engine, backend, tmp_path):
    """The app on a fresh database; on PostgreSQL connected as the restricted role."""
    global _pg_schema_ready
    owner_url = owner_engine.url.render_as_string(hide_password=False)
    app = make_test_app(database_url, MIGRATION_DATABASE_URI=owner_url,
                        AUDIT_CHECKPOINT_PATH=str(tmp_path / "audit-checkpoints.jsonl"))

    @app.before_request
    def fresh_request_globals():
        # Requests reuse the fixture's app context, and so its `g`: drop what Flask-Babel and
        # Flask-Login cache there, as a real server's fresh context per request would.
        g.pop("_flask_babel", None)
        g.pop("_login_user", None)
    with app.app_context():
        if backend == "postgresql" and not _pg_schema_ready:
            db.metadata.create_all(owner_engine)
            grant_app_role(owner_engine, make_url(database_url).username)
            _pg_schema_ready = True
        yield app
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        with owner_engine.begin() as conn:
            # The audit tables refuse DELETE by trigger; replica mode skips triggers (and the
            # foreign-key checks). DELETE, not TRUNCATE: on a test's few rows it takes
            # milliseconds, where TRUNCATE's new files for every table took ~0.5 s a test.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.exec_driver_sql(empty_every_table())


@functools.cache
def empty_every_table() -> str:
    """Every table emptied and every sequence back at its start, as TRUNCATE ... RESTART
    IDENTITY CASCADE did (run in replica mode)."""
    deletes = "".join(f'DELETE FROM "{table.name}"; '
                      for table in reversed(db.metadata.sorted_tables))
    return deletes + (
        "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, "
        "start_value, false) FROM pg_sequences WHERE schemaname = current_schema()")


# --- rows built once per worker and database, then restored ----------------------------------

_built: dict[tuple[str, str], tuple[object, object, bytes]] = {}  # (name, backend) → saved


@pytest.fixture
def built_once(app, backend, owner_engine, database_url):
    """built_once(name, build) → build()'s value, its rows committed.

    The first test of a worker and database to ask for `name` builds it on its empty database,
    then keeps a copy of every row (the SQLite file, or every PostgreSQL row and sequence) and
    of the audit checkpoints it wrote. Later tests asking for `name` on an empty database get
    the copy back in a fraction of the time, and a value of the same shape whose records are
    read afresh from it (`_frozen`, `_thawed`). `build` may name what it makes through the
    factories' counter: the copy keeps the names the first build drew."""
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_PATH"])

    def once(name: str, build):
        saved = _built.get((name, backend))
        if saved is None:
            value = _frozen(build(), {})
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
            if backend == "sqlite":
                copy = Path(make_url(database_url).database).with_name(f"built-{name}.sqlite")
                shutil.copyfile(make_url(database_url).database, copy)
            else:
                copy = _pg_rows(owner_engine)
            written = checkpoints.read_bytes() if checkpoints.exists() else b""
            _built[(name, backend)] = value, copy, written
        else:
            value, copy, written = saved
            db.session.remove()
            db.engine.dispose()
            if backend == "sqlite":
                shutil.copyfile(copy, make_url(database_url).database)
            else:
                _restore_pg_rows(owner_engine, copy)
            checkpoints.write_bytes(written)
        return _thawed(value, {})

    return once


@dataclass(frozen=True)
class _Record:
    """A stored record in a built value: its class and primary key."""
    model: type
    key: tuple


def _frozen(value, memo: dict):
    """`value` with every stored record replaced by its _Record."""
    def as_record(item):
        state = sa.inspect(item, raiseerr=False)
        if not isinstance(state, InstanceState):
            return item
        db.session.flush()  # a pending record gets its key
        return _Record(state.class_, state.identity)
    return _rebuilt(value, as_record, memo)


def _thawed(value, memo: dict):
    """_frozen's inverse: each _Record read from the database as it is now."""
    return _rebuilt(value, lambda item: db.session.get(item.model, item.key)
                    if isinstance(item, _Record) else item, memo)


def _rebuilt(value, convert, memo: dict):
    """`value` with `convert` applied to each item, through lists, tuples, sets, dicts and the
    tests' own objects (MarkingSetup, Tree, SimpleNamespace), copied; the rest as it is."""
    if id(value) in memo:
        return memo[id(value)]
    converted = convert(value)
    if converted is not value:
        return converted
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_rebuilt(item, convert, memo) for item in value)
    if isinstance(value, dict):
        return {_rebuilt(k, convert, memo): _rebuilt(v, convert, memo) for k, v in value.items()}
    if isinstance(value, SimpleNamespace) or type(value).__module__.startswith("tests."):
        copy = memo[id(value)] = type(value).__new__(type(value))
        copy.__dict__.update({k: _rebuilt(v, convert, memo) for k, v in vars(value).items()})
        return copy
    return value


@pytest.fixture
def demo_data(built_once):
    """The demo data (demo.seed), committed: seeded by the first test of a worker and database
    (several seconds), copied back for the others."""
    from competitions import demo

    built_once("demo", lambda: demo.seed(echo=lambda *args: None))


def _pg_rows(engine) -> tuple[dict, list]:
    with engine.connect() as conn:
        rows = {table.name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
                for table in db.metadata.sorted_tables}
        sequences = conn.execute(sa.text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = current_schema() "
            "AND last_value IS NOT NULL")).all()
    return rows, sequences


def _restore_pg_rows(engine, copy) -> None:
    rows, sequences = copy
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # triggers, FKs
        conn.exec_driver_sql(empty_every_table())  # whatever the test's fixtures wrote first
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        for name, value in sequences:
            conn.execute(sa.text("SELECT setval(CAST(:name AS regclass), :value)"),
                         {"name": name, "value": value})


@pytest.fixture
def smtp(app):
    """A local SMTP server the app's outbox sends to; its mailbox is `smtp.mailbox`."""
    from tests.mailbox import SmtpServer
    with SmtpServer() as server:
        server.configure(app)
        yield server


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


@pytest.fixture
def as_owner(app, owner_engine):
    """as_owner(sql, **params): run one statement as the database owner, in its own
    transaction, after the app's pending work is committed; the app then reads afresh."""
    def run(sql, **params):
        db.session.commit()
        with owner_engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
        db.session.expire_all()
        return result
    return run


@pytest.fixture
def unprotected_log(as_owner, owner_engine):
    """Drop the append-only triggers, as the database owner could; put them back after."""
    dialect = owner_engine.dialect.name
    for statement in DROP_TRIGGERS[dialect]:
        as_owner(statement)
    yield
    db.session.rollback()
    with owner_engine.begin() as conn:
        for statement in APPEND_ONLY_TRIGGERS[dialect] + HEAD_TRIGGERS[dialect]:
            conn.execute(sa.text(statement))
