"""Real-browser fixtures: Debian's Chromium, and the app served on a local port."""

import os
import re
import threading
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from werkzeug.serving import make_server

from competitions.extensions import db
from tests import factories
from tests.browser.test_login_language import log_in, watch_console
from tests.conftest import make_test_app
from tests.factories import PASSWORD

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


class Catalogue:
    """The app's own translations, so the test follows the catalogue instead of copying it."""

    def __init__(self, app, language="zh"):
        self.app, self.language = app, language

    def __call__(self, msgid, **params):
        with self.app.test_request_context(), force_locale(self.language):
            return gettext(msgid, **params)


@pytest.fixture
def zh(live_app):
    return Catalogue(live_app, "zh")


@pytest.fixture
def en(live_app):
    return Catalogue(live_app, "en")


@pytest.fixture
def open_as(browser, live_server):
    """A logged-in page per user, each in its own browser context (its own cookies)."""
    contexts, consoles = [], []

    def open_page(username):
        # A browser in Nanjing: Accept-Language zh-CN, Beijing time.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        consoles.append(watch_console(page))
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm's window.confirm
        log_in(page, live_server, username, PASSWORD)
        expect(page).to_have_url(re.compile(r"/accounts/dashboard"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert [error for console in consoles for error in console] == []


class LiveClock:
    """The one clock (DESIGN.md §6) of the live server's requests and of the test's own service
    calls: `moment` is naive UTC, None for the real clock."""

    def __init__(self):
        self.moment = None

    def now(self):
        from competitions.database import utcnow
        with self.running():
            return utcnow()

    def running(self):
        """A block in which the test thread's utcnow() answers this clock."""
        from competitions.database import clock_at
        return clock_at(self.moment)


@pytest.fixture
def live_clock(live_app):
    """Each request to the live server runs at `live_clock.moment` (its own thread does not
    see a contextvar set in the test's): a middleware enters clock_at for the request."""
    from competitions.database import clock_at

    clock, inner = LiveClock(), live_app.wsgi_app

    def wsgi_app(environ, start_response):
        with clock_at(clock.moment):
            return inner(environ, start_response)

    live_app.wsgi_app = wsgi_app
    yield clock
    live_app.wsgi_app = inner


@pytest.fixture
def live_smtp(live_app):
    """A local SMTP server the live app's outbox sends to (tests.mailbox)."""
    from tests.mailbox import SmtpServer

    with SmtpServer() as smtp:
        smtp.configure(live_app)
        yield smtp
