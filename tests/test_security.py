"""Headers, cookies, CSRF, the secret key, error pages and the language switch."""

import os
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from competitions import create_app
from competitions.accounts.models import User
from competitions.extensions import db
from tests.conftest import login, make_test_app
from tests.factories import make_admin, make_organiser, make_user, make_worker

CSRF_MESSAGE = ("The form has expired or was not sent from this site. "
                "Go back, reload the page and try again.")
CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese(app, msgid):
    """The zh catalogue's translation of `msgid`; it must really be Chinese."""
    with app.test_request_context(), force_locale("zh"):
        text = gettext(msgid)
    assert CJK.search(text), f"no Chinese translation for {msgid!r}: compile the catalogue"
    return text


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def set_cookie_headers(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


# --- headers and inline code ---------------------------------------------------------------

def test_pages_carry_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_hsts_is_sent_over_https_only(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


class InlineCodeFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if "style" in names:
            self.problems.append(f"style= attribute on <{tag}>")
        self.problems += [f"{name}= handler on <{tag}>" for name in names if name.startswith("on")]
        self.problems += [f"javascript: URL on <{tag}>" for _, value in attrs
                          if value and value.strip().lower().startswith("javascript:")]
        if tag == "style":
            self.problems.append("<style> block")
        self._in_inline_script = tag == "script" and "src" not in names
        if self._in_inline_script:
            self.problems.append("<script> without src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


@pytest.mark.parametrize(("who", "url"), [
    (None, "/"),
    (None, "/accounts/login"),
    (None, "/no-such-page"),
    ("organiser", "/accounts/dashboard"),
    ("organiser", "/accounts/password"),
    ("worker", "/accounts/dashboard"),
    ("admin", "/accounts/dashboard"),
    ("admin", "/accounts/users"),
    ("admin", "/accounts/users/new"),
    ("admin", "/audit/"),
])
def test_rendered_pages_have_no_inline_script_or_style(client, tree, login_as, who, url):
    users = {"organiser": lambda: make_organiser(tree.city),
             "admin": lambda: make_admin(),
             "worker": lambda: make_worker(tree.firm, user=make_user()).user}
    if who:
        user = users[who]()
        db.session.commit()
        login_as(user)
    html = client.get(url).get_data(as_text=True)
    assert "<html" in html
    assert inline_code(html) == []


def test_the_inline_code_finder_finds_inline_code():
    html = ('<p style="color:red" onclick="x()"><a href="javascript:x()">a</a></p>'
            '<script>alert(1)</script><script src="/static/js/app.js"></script><style></style>')
    assert len(inline_code(html)) == 5


# --- cookies --------------------------------------------------------------------------------

def test_session_cookie_is_http_only_lax_and_not_secure_over_http(client, tree):
    make_user("wangli")
    db.session.commit()
    [cookie] = set_cookie_headers(login(client, "wangli"), "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_cookies_are_secure_over_https(client, tree):
    make_user("wangli")
    db.session.commit()
    response = client.post("/accounts/login", base_url="https://localhost",
                           data={"login": "wangli", "password": "secret123", "remember": "y"})
    assert response.status_code == 302
    for name in ("session", "remember", "device"):
        [cookie] = set_cookie_headers(response, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    response = client.post("/language", base_url="https://localhost", data={"language": "en"})
    [cookie] = set_cookie_headers(response, "lang")
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_behind_a_tls_proxy_cookies_are_secure(database_url, app):
    proxied = make_test_app(database_url, PROXY_COUNT=1)
    try:
        response = proxied.test_client().post(
            "/language", data={"language": "en"},
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1"})
        [cookie] = set_cookie_headers(response, "lang")
        assert "Secure" in cookie
    finally:
        with proxied.app_context():
            db.engine.dispose()


# --- CSRF -----------------------------------------------------------------------------------

@pytest.fixture
def csrf_client(database_url, app):
    """A client of an app with CSRF protection on, as in production."""
    protected = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    yield protected.test_client()
    with protected.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                     response.get_data(as_text=True)).group(1)


def test_login_without_csrf_token_is_refused_in_chinese(csrf_client, tree):
    make_user("wangli")
    db.session.commit()
    response = csrf_client.post("/accounts/login",
                                data={"login": "wangli", "password": "secret123"})
    assert response.status_code == 400
    assert chinese(csrf_client.application, CSRF_MESSAGE) in response.get_data(as_text=True)
    assert csrf_client.get("/accounts/dashboard").status_code == 302


def test_login_with_csrf_token_is_accepted(csrf_client, tree):
    make_user("wangli")
    db.session.commit()
    token = csrf_token(csrf_client.get("/accounts/login"))
    response = csrf_client.post("/accounts/login", data={
        "login": "wangli", "password": "secret123", "csrf_token": token})
    assert response.status_code == 302
    assert csrf_client.get("/accounts/dashboard").status_code == 200


def test_logout_and_language_need_the_csrf_token(csrf_client, tree):
    make_user("wangli")
    db.session.commit()
    token = csrf_token(csrf_client.get("/accounts/login"))
    csrf_client.post("/accounts/login", data={
        "login": "wangli", "password": "secret123", "csrf_token": token})
    assert csrf_client.post("/accounts/logout").status_code == 400
    assert csrf_client.post("/language", data={"language": "en"}).status_code == 400
    assert csrf_client.get("/accounts/dashboard").status_code == 200
    token = csrf_token(csrf_client.get("/accounts/dashboard"))
    assert csrf_client.post("/language", data={"language": "en", "csrf_token": token,
                                               "next": "/accounts/dashboard"}).status_code == 302
    assert html_lang(csrf_client.get("/accounts/dashboard")) == "en"
    assert csrf_client.post("/accounts/logout", data={"csrf_token": token}).status_code == 302
    assert csrf_client.get("/accounts/dashboard").status_code == 302


# --- the secret key -------------------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch):
    for name in ("SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL", "PROXY_COUNT"):
        monkeypatch.delenv(name, raising=False)
    # The audit log's settings are required as well (tests/test_audit_config.py).
    monkeypatch.setenv("AUDIT_KEY", "c" * 64)
    monkeypatch.setenv("AUDIT_SIGNING_KEY", "d" * 64)
    monkeypatch.setenv("AUDIT_CHECKPOINT_PATH", os.devnull)
    return monkeypatch


def test_app_refuses_to_start_with_the_default_secret_key(production_env):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_app_starts_with_a_secret_key_from_the_environment(production_env):
    production_env.setenv("SECRET_KEY", "a" * 64)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "a" * 64 and not app.testing


def test_app_starts_with_a_secret_key_from_its_config(production_env):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "b" * 64})
    assert app.secret_key == "b" * 64


# --- error pages and language ---------------------------------------------------------------

def switch_language(client, language, next_url="/"):
    return client.post("/language", data={"language": language, "next": next_url})


def test_404_page_is_chinese_by_default_and_english_after_switching(client, app):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and html_lang(response) == "zh-CN"
    assert chinese(app, "Page not found") in response.get_data(as_text=True)
    switch_language(client, "en", "/no-such-page")
    response = client.get("/no-such-page")
    assert response.status_code == 404 and html_lang(response) == "en"
    assert "Page not found" in response.get_data(as_text=True)


def test_403_page_is_chinese_by_default_and_english_after_switching(client, tree, login_as):
    login_as(make_organiser(tree.city))
    response = client.get("/accounts/users")
    assert response.status_code == 403 and html_lang(response) == "zh-CN"
    assert chinese(client.application, "Forbidden") in response.get_data(as_text=True)
    switch_language(client, "en")
    response = client.get("/accounts/users")
    assert response.status_code == 403
    assert "Forbidden" in response.get_data(as_text=True)


def test_500_page_renders(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/explode", "explode", explode)
    client = app.test_client()
    response = client.get("/explode")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert chinese(app, "Internal server error") in html and "boom" not in html
    switch_language(client, "en")
    assert "Internal server error" in client.get("/explode").get_data(as_text=True)


def test_405_page_renders(client):
    response = client.get("/accounts/logout")
    assert response.status_code == 405
    assert "<html" in response.get_data(as_text=True)


def test_language_choice_is_kept_in_a_cookie(client, app):
    response = switch_language(client, "en")
    assert response.headers["Location"] == "/"
    [cookie] = set_cookie_headers(response, "lang")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_lang(client.get("/")) == "en"
    switch_language(client, "zh")
    assert html_lang(client.get("/")) == "zh-CN"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_language_switch_ignores_an_external_next(client, app, next_url):
    assert switch_language(client, "en", next_url).headers["Location"] == "/"


def test_unknown_language_is_ignored(client, app):
    response = switch_language(client, "fr")
    assert set_cookie_headers(response, "lang") == []
    assert html_lang(client.get("/")) == "zh-CN"


def test_language_choice_follows_the_user_to_a_new_browser(client, app, tree, login_as):
    user = make_organiser(tree.city, "nj_organiser")
    db.session.commit()
    login_as(user)
    switch_language(client, "en", "/accounts/dashboard")
    assert db.session.scalar(sa.select(User.locale).where(User.id == user.id)) == "en"
    client.post("/accounts/logout")

    fresh = app.test_client()
    assert html_lang(fresh.get("/accounts/login")) == "zh-CN"
    assert login(fresh, "nj_organiser").status_code == 302
    response = fresh.get("/accounts/dashboard")
    assert html_lang(response) == "en"
    assert "Dashboard" in response.get_data(as_text=True)
