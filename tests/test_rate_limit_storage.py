"""Rate limits are counted in Redis, so every process serving the app shares them (issue 9).

Two app instances in one process would share Flask-Limiter's extension object, and so prove
nothing; the first attempts are therefore made by a separate Python process."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[1]
LIMIT = "3 per minute"

ATTEMPTS = """
import sys
from tests.conftest import make_test_app
database, storage, prefix, limit = sys.argv[1:]
app = make_test_app(database, RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix,
                    LOGIN_LIMITS_PER_ACCOUNT_AND_CLIENT=limit)
guess = {"login": "nobody", "password": "wrong-pass1"}
with app.app_context():
    client = app.test_client()
    print(*(client.post("/accounts/login", data=guess).status_code for _ in range(3)))
"""


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.fixture
def prefix(redis_url):
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    store = redis.Redis.from_url(redis_url)
    keys = list(store.scan_iter(f"*{prefix}*"))
    if keys:
        store.delete(*keys)


def test_attempts_in_one_process_count_in_another(sqlite_template, tmp_path, redis_url, prefix):
    """The storage is what is tested, so one database (SQLite) is enough."""
    shutil.copyfile(sqlite_template, tmp_path / "db.sqlite")
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    child = subprocess.run([sys.executable, "-c", ATTEMPTS, database_url, redis_url, prefix,
                            LIMIT], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           check=True)
    assert child.stdout.split() == ["200", "200", "200"]
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"*{prefix}*"))

    app = make_test_app(database_url, RATELIMIT_STORAGE_URI=redis_url,
                        RATELIMIT_KEY_PREFIX=prefix, LOGIN_LIMITS_PER_ACCOUNT_AND_CLIENT=LIMIT)
    with app.app_context():
        response = app.test_client().post("/accounts/login",
                                          data={"login": "nobody", "password": "wrong-pass1"})
    assert response.status_code == 429
