"""gunicorn for the HTTP benchmarks: started on a free port of 127.0.0.1, stopped by its id."""

import math
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "mark-bench-secret"
AUDIT = {"AUDIT_KEY": "mark-bench-audit-key", "AUDIT_SIGNING_KEY": "42" * 32,
         "AUDIT_CHECKPOINT_PATH": os.devnull}
WORKERS = 2  # gunicorn sync workers, one per core of the benchmark machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str | None, workers: int, port: int, *, app: str = "wsgi:app",
                   chdir: Path = ROOT, probe: str = "/accounts/login",
                   env: dict[str, str] | None = None, options: tuple[str, ...] = ()
                   ) -> subprocess.Popen:
    """`gunicorn -w <workers> [options] <app>` (sync workers unless `options` say otherwise)
    on 127.0.0.1:<port>, once it answers `probe`; `url` is its DATABASE_URL (None: the app
    needs none)."""
    environ = {**os.environ, "SECRET_KEY": SECRET_KEY, **AUDIT, **(env or {})}
    if url is not None:
        environ["DATABASE_URL"] = url
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(chdir),
         "--log-level", "warning", *options, app], env=environ, cwd=chdir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2).read()
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to the arbiter (it stops its own workers); SIGKILL after 30 s."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
