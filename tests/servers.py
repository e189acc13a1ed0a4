"""Real app servers for tests: gunicorn processes configured from the environment as in
production (README, Production), and a browser that speaks HTTP to them with a cookie jar."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from competitions import create_app

ROOT = Path(__file__).resolve().parents[1]
# Settings the environment does not carry (rate limits, the Redis key prefix), as JSON.
OVERRIDES = "COMPETITIONS_TEST_OVERRIDES"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def server_app():
    """gunicorn's entry point ('tests.servers:server_app()'): wsgi.py's app, with overrides."""
    return create_app(json.loads(os.environ.get(OVERRIDES, "{}")))


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


def start_server(env: dict, overrides: dict, log: Path) -> Server:
    """gunicorn with one sync worker on a port of its own, configured by `env` and then
    `overrides`. The test binds the socket (port 0) and hands it over, so no other process can
    take the port between choosing and binding."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "1",
                 "-b", f"fd://{listener.fileno()}", "--log-level", "warning",
                 "tests.servers:server_app()"],
                env={**env, OVERRIDES: json.dumps(overrides)},
                cwd=ROOT, pass_fds=[listener.fileno()], stdout=output,
                stderr=subprocess.STDOUT)
        return Server(f"http://127.0.0.1:{listener.getsockname()[1]}", process, log)


def wait_until_serving(server: Server, deadline: float) -> None:
    """Until the login page answers; fails at `deadline` (time.monotonic) or if gunicorn dies."""
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.process.returncode}:\n"
                               + server.log.read_text(errors="replace")[-3000:])
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"{server.url} did not answer in time:\n"
                               + server.log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(server.url + "/accounts/login", timeout=left):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)


def stop_servers(servers: list[Server]) -> None:
    """Ask them all to stop, then wait for each (killed if it has not stopped in 10 s)."""
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx comes back as an HTTPError carrying its status


@dataclass
class Response:
    status: int
    text: str
    headers: dict


class Browser:
    """One browser: a cookie jar, no automatic redirects. Cookies are not kept apart by port
    (RFC 6265), so one jar serves two servers on one host, as behind one load balancer."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def request(self, url: str, form: dict | None = None, headers: dict | None = None
                ) -> Response:
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, body, headers or {})
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(answer.status, answer.read().decode(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(errors="replace"),
                            dict(error.headers))

    def get(self, url: str, **kwargs) -> Response:
        return self.request(url, **kwargs)

    def post_form(self, url: str, form: dict, page: str | None = None) -> Response:
        """Post `form` with the CSRF token of the form page at `page` (default: `url`)."""
        found = CSRF_TOKEN.search(self.get(page or url).text)
        assert found, f"no CSRF token on {page or url}"
        return self.request(url, {"csrf_token": found.group(1), **form})

    def log_in(self, server_url: str, login: str, password: str) -> Response:
        return self.post_form(server_url + "/accounts/login",
                              {"login": login, "password": password})

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)
