"""In a real browser: "remember me" outlives a closed browser, and "sign out everywhere" ends
every session of the account, on a phone as on a desktop (issue 9)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_language import watch_console
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"
PHONE = {"width": 390, "height": 844}


def new_browser(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm's window.confirm
    return context, page


def log_in_remembered(page, base_url, zh, username):
    page.goto(f"{base_url}/accounts/login")
    page.fill("#login", username)
    page.fill("#password", PASSWORD)
    page.get_by_label(zh("Remember me")).check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/dashboard"))


def test_remembered_browsers_and_sign_out_everywhere(browser, live_server, live_organiser, zh):
    phone_context, phone = new_browser(browser, PHONE)
    desk_context, desk = new_browser(browser, {"width": 1280, "height": 900})
    errors = watch_console(phone) + watch_console(desk)
    try:
        log_in_remembered(phone, live_server, zh, live_organiser)
        log_in_remembered(desk, live_server, zh, live_organiser)

        # The phone's browser is closed and opened again: only its lasting cookies remain.
        kept = [c for c in phone_context.cookies() if c["name"] != "session"]
        phone_context.close()
        phone_context, phone = new_browser(browser, PHONE)
        phone_context.add_cookies(kept)
        phone.goto(f"{live_server}/accounts/dashboard")
        expect(phone).to_have_url(re.compile(r"/accounts/dashboard"))

        phone.locator("label.nav-toggle-label").click()  # the phone's menu
        phone.get_by_role("link", name=zh("Account security")).click()
        sessions = phone.get_by_test_id("sessions")
        expect(sessions.locator("li")).to_have_count(2)
        expect(sessions).to_contain_text(zh("This browser"))
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.screenshot(path=f"{SCREENS}/account-security-phone-zh.png", full_page=True)

        phone.get_by_role("button", name=zh("Sign out everywhere")).click()
        expect(phone).to_have_url(re.compile(r"/accounts/login"))
        desk.reload()
        expect(desk).to_have_url(re.compile(r"/accounts/login"))
        assert errors == []
    finally:
        phone_context.close()
        desk_context.close()
