"""Real-browser fixtures: Debian's Chromium, and the app served on a local port."""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from competitions.extensions import db
from tests import factories
from tests.conftest import make_test_app

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Playwright cannot download its browsers here; the distribution's Chromium is used."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return {
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def live_app(tmp_path):
    """Its own app on a fresh SQLite file, with CSRF protection on, as in production."""
    app = make_test_app(f"sqlite:///{tmp_path / 'live.sqlite'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    """Serve `live_app` from a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def live_organiser(live_app):
    """An organiser of 南京市总工会 in the live server's database; returns the username."""
    with live_app.app_context():
        tree = factories.Tree()
        factories.make_organiser(tree.city, "nj_organiser")
        db.session.commit()
    return "nj_organiser"
