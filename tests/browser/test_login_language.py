"""In a real browser: logging in, switching language, and a refused password."""

import re

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from competitions.accounts.services import LOGIN_FAILED
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"


def log_in(page, base_url, username, password):
    page.goto(f"{base_url}/accounts/login")
    page.fill("#login", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()


def watch_console(page) -> list[str]:
    """Console errors, e.g. anything the Content-Security-Policy blocked."""
    errors: list[str] = []

    def on_console(message):
        # The site has no favicon yet; the browser's own request for one is not our page's.
        if message.type == "error" and not message.location.get("url", "").endswith(
                "/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    return errors


def test_organiser_logs_in_and_switches_language(page, live_server, live_organiser):
    errors = watch_console(page)
    log_in(page, live_server, live_organiser, PASSWORD)
    expect(page).to_have_url(f"{live_server}/accounts/dashboard")
    nav = page.locator("nav.mainnav")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav).to_contain_text("工作台")
    expect(page.locator("main")).to_contain_text("南京市总工会")
    page.screenshot(path=f"{SCREENS}/dashboard-zh.png", full_page=True)

    page.get_by_test_id("lang-en").click()
    expect(page).to_have_url(re.compile(r"/accounts/dashboard\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav).to_contain_text("Dashboard")
    page.screenshot(path=f"{SCREENS}/dashboard-en.png", full_page=True)

    page.get_by_test_id("lang-zh").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav).to_contain_text("工作台")
    assert errors == []


def test_wrong_password_is_shown_beside_the_password_field_in_chinese(
        page, live_app, live_server, live_organiser):
    with live_app.test_request_context(), force_locale("zh"):
        message = str(LOGIN_FAILED)
    assert re.search(r"[\u4e00-\u9fff]", message), "the zh catalogue lacks this message"
    log_in(page, live_server, live_organiser, "not-the-password1")
    expect(page).to_have_url(f"{live_server}/accounts/login")
    error = page.locator("div.field:has(#password) p.error")
    expect(error).to_have_text(message)
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#login")).to_have_value(live_organiser)
    page.screenshot(path=f"{SCREENS}/login-wrong-password-zh.png", full_page=True)
