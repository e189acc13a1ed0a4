"""Two app servers on one PostgreSQL database and one Redis behave as one (issue 18): the app
keeps no state in process memory, so a session, a rate limit and an account's wait after
failures hold whichever server a request reaches (README, Production).

The servers are gunicorn processes started as in production, driven over real HTTP."""

import os
import time
import uuid

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from competitions import models  # noqa: F401  (the whole schema, for create_all)
from competitions.accounts.models import User
from competitions.audit.roles import grant_app_role
from competitions.config import normalise_database_url
from competitions.database import utcnow
from competitions.extensions import db
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.servers import Browser, start_server, stop_servers, wait_until_serving

# Attempts per account name and client before the rate limit refuses (counted in Redis), and
# failed passwords before the account waits (counted in the database): fewer failures than
# attempts, so that the wait is reached before the rate limit.
LIMIT = 5
MAX_FAILURES = 3
WRONG = "wrong-pass1"
DASHBOARD = "/accounts/dashboard"
BOOT_SECONDS = 30


def unavailable(reason: str):
    """Skip, except under CI, where what this test needs must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI is set: this test must run there")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        unavailable(f"no Redis at {url} ({error})")
    return url


@pytest.fixture(scope="module")
def key_prefix(redis_url):
    """This run's rate-limit counters, apart from any other run's; deleted after."""
    prefix = f"two-servers-{uuid.uuid4().hex}"
    yield prefix
    store = redis.Redis.from_url(redis_url)
    keys = list(store.scan_iter(f"*{prefix}*"))
    if keys:
        store.delete(*keys)


@pytest.fixture(scope="module")
def databases():
    """A database of this module's own, built by its owner; the servers connect as a
    restricted role, as in production (docs/audit.md). Yields the owner's engine and the
    app role's URL."""
    if not os.environ.get("TEST_DATABASE_URL"):
        unavailable("TEST_DATABASE_URL is not set (two servers need one PostgreSQL database)")
    server = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name, role = f"two_servers_{uuid.uuid4().hex[:12]}", f"app_{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    owner_url = server.set(database=name)
    owner = sa.create_engine(owner_url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD '{password}'"))
        db.metadata.create_all(owner)
        grant_app_role(owner, role)
        yield owner, owner_url.set(username=role, password=password)
    finally:
        owner.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@pytest.fixture(scope="module")
def servers(redis_url, key_prefix, databases, tmp_path_factory):
    """Two gunicorn servers (one sync worker each) on the one database and the one Redis,
    configured from the environment like production; the users exist before they start."""
    owner, app_url = databases
    app_url_text = app_url.render_as_string(hide_password=False)
    setup = make_test_app(app_url_text)
    with setup.app_context():
        for username in ("zhanghua", "lihong"):
            make_user(username)
        db.session.commit()
        db.engine.dispose()

    logs = tmp_path_factory.mktemp("two-servers")
    env = {name: value for name, value in os.environ.items()
           if name not in ("MIGRATION_DATABASE_URL", "PROXY_COUNT", "FLASK_DEBUG")}
    env.update(DATABASE_URL=app_url_text, REDIS_URL=redis_url,
               SECRET_KEY="two-servers-secret", AUDIT_KEY="two-servers-audit-key",
               AUDIT_SIGNING_KEY="5a" * 32,
               AUDIT_CHECKPOINT_PATH=str(logs / "audit-checkpoints.jsonl"))
    # Per hour, not per minute: a window that ended during the test would reset the count.
    overrides = {"RATELIMIT_KEY_PREFIX": key_prefix, "LOGIN_MAX_FAILURES": MAX_FAILURES,
                 "LOGIN_LIMITS_PER_ACCOUNT_AND_CLIENT": f"{LIMIT} per hour"}
    started = []
    try:
        for label in ("a", "b"):
            started.append(start_server(env, overrides, logs / f"gunicorn-{label}.log"))
        deadline = time.monotonic() + BOOT_SECONDS
        for server in started:
            wait_until_serving(server, deadline)
        yield started
    finally:
        stop_servers(started)


@pytest.fixture
def urls(servers):
    """The two servers' addresses; after the test, whatever they logged is shown if it holds
    an error (a 500 is otherwise only a status in an assertion)."""
    sizes = [server.log.stat().st_size for server in servers]
    yield [server.url for server in servers]
    logged = "".join(server.log.read_text(errors="replace")[size:]
                     for server, size in zip(servers, sizes, strict=True))
    if "Traceback" in logged or "ERROR" in logged:
        pytest.fail(f"the servers logged errors:\n{logged[-5000:]}")


def signed_in(url: str, session_cookie: str) -> bool:
    """Whether a request carrying only this session cookie reaches a page that needs login
    (a copy of the cookie, as another tab or a thief would hold it)."""
    return Browser().get(url + DASHBOARD, headers={"Cookie": f"session={session_cookie}"}
                         ).status == 200


def test_a_session_begun_on_one_server_holds_on_the_other_and_ends_on_both(urls):
    a, b = urls
    browser = Browser()
    assert browser.log_in(a, "zhanghua", PASSWORD).status == 302
    on_b = browser.get(b + DASHBOARD)
    assert on_b.status == 200 and "zhanghua" in on_b.text
    copy = browser.cookie("session")
    assert signed_in(a, copy) and signed_in(b, copy)

    assert browser.post_form(b + "/accounts/logout", {}, page=b + DASHBOARD).status == 302
    assert browser.get(a + DASHBOARD).status == 302  # to the login page
    assert not signed_in(a, copy)  # the session ended on the server, not just in this jar


def test_attempts_on_both_servers_count_against_one_rate_limit(urls):
    """Neither server sees LIMIT attempts itself; only counters shared in Redis refuse the
    next. The name has no account, so no wait after failures can be what refuses."""
    a, b = urls
    browser = Browser()
    statuses = [browser.log_in((a, b)[n % 2], "nobody", WRONG).status for n in range(LIMIT)]
    assert statuses == [200] * LIMIT
    for server in (b, a):
        refused = browser.log_in(server, "nobody", WRONG)
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) > 0
    # Only this name from this client is limited.
    assert browser.log_in(b, "anybody", WRONG).status == 200


def test_an_account_waiting_after_failures_on_one_server_waits_on_the_other(urls, databases):
    a, b = urls
    stranger = Browser()  # has never signed in to the account, so its failures count
    for _ in range(MAX_FAILURES):
        assert stranger.log_in(a, "lihong", WRONG).status == 200
    with databases[0].connect() as conn:
        locked_until = conn.scalar(sa.select(User.locked_until)
                                   .where(User.username == "lihong"))
    assert locked_until is not None and locked_until > utcnow()

    # The right password, fewer than LIMIT attempts in: the account's wait refuses it.
    assert stranger.log_in(b, "lihong", PASSWORD).status == 429
    assert stranger.get(b + DASHBOARD).status == 302
