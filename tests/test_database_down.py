"""While the database is down: our own 503 page, in Chinese, with Retry-After and the security
headers, for signed-in and anonymous visitors alike; the service recovers when it is back. And
when the error page itself cannot render, a static page still carries the security headers.

The outage is real: this module starts a scratch PostgreSQL cluster and stops it.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import psycopg
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from competitions.config import normalise_database_url
from competitions.extensions import db
from tests.conftest import login, make_test_app
from tests.factories import PASSWORD, make_user

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[1]
UNAVAILABLE_ZH = "服务暂时不可用"


# --- a scratch PostgreSQL cluster ----------------------------------------------------------

def postgres_missing() -> str | None:
    """Why no scratch cluster can be started here, or None."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL binaries not found in {PG_BIN} (set PG_BIN)"
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' OS user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScratchCluster:
    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, str(PG_BIN / program), *args], check=True,
                       capture_output=True, timeout=60)

    def initdb(self) -> None:
        self.run("initdb", "-D", str(self.directory / "data"), "-U", "postgres",
                 "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self.run("pg_ctl", "-D", str(self.directory / "data"), "-l",
                 str(self.directory / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")


@pytest.fixture(scope="module")
def cluster():
    reason = postgres_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the database-outage tests: {reason}")
        pytest.skip(reason)
    if os.geteuid() == 0:  # in /tmp, which the postgres user can reach whatever TMPDIR says
        directory = Path(tempfile.mkdtemp(prefix="competitions-pg-", dir="/tmp"))
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    else:
        directory = Path(tempfile.mkdtemp(prefix="competitions-pg-"))
    cluster = ScratchCluster(directory)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):  # never started, or already stopped
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_app(cluster):
    """The app on the scratch cluster, with the schema and one user, as in production: an
    unhandled exception goes to the error pages rather than to the test."""
    app = make_test_app(normalise_database_url(cluster.url), PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()
        make_user("wang", display_name="王师傅")
        db.session.commit()
        db.session.remove()
    return app


@contextmanager
def database_down(cluster):
    """The cluster stopped, as by a crash, for the `with` block."""
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


def assert_unavailable_page(status: int, headers, html: str) -> None:
    assert status == 503, html[:300]
    assert headers["Retry-After"] == "30"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert '<html lang="zh-CN">' in html and UNAVAILABLE_ZH in html  # our page, in Chinese
    assert "Internal Server Error" not in html


def assert_unavailable(response) -> None:
    assert_unavailable_page(response.status_code, response.headers,
                            response.get_data(as_text=True))


# --- the outage, through the Flask test client ---------------------------------------------

def test_everyone_gets_the_503_page_while_the_database_is_down_and_then_it_recovers(
        cluster, pg_app, caplog):
    signed_in = pg_app.test_client()
    assert login(signed_in, "wang").status_code == 302
    assert signed_in.get("/accounts/dashboard").status_code == 200
    anonymous = pg_app.test_client()

    with database_down(cluster):
        assert_unavailable(signed_in.get("/accounts/dashboard"))
        # answered by the first error handler: no after_request hook queried and failed again
        assert not [r for r in caplog.records if "finalizing failed" in r.getMessage()]
        assert_unavailable(signed_in.get("/competitions"))
        assert_unavailable(signed_in.post("/language", data={"language": "en"}))
        assert_unavailable(anonymous.get("/competitions"))
        assert_unavailable(anonymous.post("/accounts/login",
                                          data={"login": "wang", "password": PASSWORD}))

    # pool_pre_ping replaces the connections the outage killed
    assert "王师傅" in signed_in.get("/accounts/dashboard").get_data(as_text=True)
    assert anonymous.get("/competitions").status_code == 200


# --- the outage, through a real gunicorn server --------------------------------------------

@pytest.fixture
def server(cluster, pg_app, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": cluster.url, "SECRET_KEY": "gunicorn-test-secret",
           "AUDIT_KEY": "gunicorn-test-audit-key", "AUDIT_SIGNING_KEY": "42" * 32,
           "AUDIT_CHECKPOINT_PATH": os.devnull}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


class Browser:
    """Just enough of one: cookies, forms with their CSRF token, error responses as values."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))
        self.csrf_token = None

    def request(self, path: str, form: dict | None = None):
        data = None
        if form is not None:
            data = urlencode({"csrf_token": self.csrf_token, **form}).encode()
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
                status, headers, body = response.status, response.headers, response.read()
        except HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        html = body.decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if token:
            self.csrf_token = token.group(1)
        return status, headers, html


def test_gunicorn_answers_our_503_page_while_the_database_is_down(cluster, server):
    browser = Browser(server)
    browser.request("/accounts/login")
    status, _, html = browser.request("/accounts/login",
                                      {"login": "wang", "password": PASSWORD})
    assert status == 200 and "王师傅" in html  # followed the redirect to the dashboard

    with database_down(cluster):
        assert_unavailable_page(*browser.request("/accounts/dashboard"))
        assert_unavailable_page(*browser.request("/language", {"language": "en"}))
        assert_unavailable_page(*Browser(server).request("/competitions"))

    status, _, html = browser.request("/accounts/dashboard")
    assert status == 200 and "王师傅" in html


# --- without a cluster: every query failing, error handling failing --------------------------

def test_a_signed_in_user_gets_the_503_page_when_every_query_fails(app, client, login_as):
    login_as(make_user("li", display_name="李师傅"))

    def refuse(*args):
        raise lost_connection()
    sa.event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        assert_unavailable(client.get("/accounts/dashboard"))
        assert_unavailable(client.post("/language", data={"language": "en"}))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", refuse)
    assert "李师傅" in client.get("/accounts/dashboard").get_data(as_text=True)


def test_an_error_page_keeps_the_language_of_the_user_already_loaded(client, login_as):
    login_as(make_user("li", locale="en"))  # no language cookie: only the account says English
    response = client.get("/accounts/users")
    assert response.status_code == 403
    assert '<html lang="en">' in response.get_data(as_text=True)


def lost_connection() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", None,
                                   psycopg.OperationalError("server closed the connection"))


def assert_security_headers(response) -> None:
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def break_error_template(monkeypatch, app):
    def get_template(name, *args, **kwargs):
        raise RuntimeError(f"cannot load {name}")
    monkeypatch.setattr(app.jinja_env, "get_template", get_template)


def test_an_error_page_that_fails_to_render_falls_back_to_the_static_page(
        app, client, monkeypatch):
    break_error_template(monkeypatch, app)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "出错了" in response.get_data(as_text=True)
    assert_security_headers(response)


def test_a_lost_connection_answers_503_even_when_the_error_page_fails(
        app, client, monkeypatch):
    def lose_connection():
        raise lost_connection()
    app.add_url_rule("/lose-connection", "lose_connection", lose_connection)
    break_error_template(monkeypatch, app)
    response = client.get("/lose-connection")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert UNAVAILABLE_ZH in response.get_data(as_text=True)
    assert_security_headers(response)


def test_an_unhandled_error_caused_by_a_lost_connection_answers_503(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def fail_after_losing_connection():
        try:
            raise lost_connection()
        except sa_exc.OperationalError as error:
            raise RuntimeError("could not save") from error
    app.add_url_rule("/fail", "fail", fail_after_losing_connection)
    assert_unavailable(client.get("/fail"))


def test_a_failing_500_handler_still_gets_the_static_page_with_the_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("boom")

    def broken_handler(error):
        raise RuntimeError("the 500 handler failed too")
    app.add_url_rule("/explode", "explode", explode)
    app.register_error_handler(500, broken_handler)
    response = client.get("/explode")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "出错了" in html and "boom" not in html
    assert_security_headers(response)


def test_a_failing_after_request_hook_still_gets_the_500_page_with_the_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.after_request
    def broken_hook(response):
        raise RuntimeError("hook failed")
    response = client.get("/")
    assert response.status_code == 500
    assert '<html lang="zh-CN">' in response.get_data(as_text=True)
    assert_security_headers(response)
