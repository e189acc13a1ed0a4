"""In a real browser, on a 390 px phone: an organiser applies the Guizhou 2023 award preset
with two 优胜奖 places and its title rule, and the page keeps them (issue 12)."""

import re

import pytest
from playwright.sync_api import expect

from competitions.contests.models import Competition
from competitions.extensions import db
from competitions.organisations.models import Organisation
from competitions.results.award_plans import AWARD_PRESETS
from tests import factories
from tests.browser.test_account_security import PHONE, new_browser
from tests.browser.test_login_language import watch_console
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"


def test_an_organiser_sets_the_guizhou_rules_on_a_phone(browser, live_app, live_server,
                                                        live_organiser, zh):
    with live_app.app_context():
        city = db.session.scalar(db.select(Organisation).filter_by(name="南京市总工会"))
        competition = factories.make_competition(city)
        db.session.commit()
        competition_id = competition.id
    context, page = new_browser(browser, PHONE)
    errors = watch_console(page)
    try:
        page.goto(f"{live_server}/accounts/login")
        page.fill("#login", live_organiser)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/accounts/dashboard"))

        page.goto(f"{live_server}/results/competitions/{competition_id}/settings")
        preset = page.get_by_test_id("award-guizhou_2023")
        preset.locator("input[type=radio]").check()
        preset.locator("input[name=award_guizhou_2023_excellence]").fill("2")
        page.get_by_test_id("title-guizhou_2023").locator("input[type=checkbox]").check()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_role("button", name=zh("Save")).click()
        expect(page.locator(".flash")).to_contain_text(zh("Results settings saved."))
        expect(page.get_by_test_id("award-guizhou_2023").locator("input[type=radio]")) \
            .to_be_checked()
        expect(page.locator("input[name=award_guizhou_2023_excellence]")).to_have_value("2")
        expect(page.get_by_test_id("title-guizhou_2023")).to_contain_text("参照贵州省")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=f"{SCREENS}/award-settings-phone-zh.png", full_page=True)
        assert errors == []
    finally:
        context.close()
    with live_app.app_context():
        saved = db.session.get(Competition, competition_id)
        assert saved.award_scheme == "guizhou_2023"
        assert saved.award_config == AWARD_PRESETS["guizhou_2023"].config(excellence=2).to_json()
        assert saved.title_rules == [["guizhou_2023", {}]]
