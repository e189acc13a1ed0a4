"""In a real browser: a finalised competition's eligible winners, an HR officer of the bureau
covering it confirms one promotion, and the worker finds the new level and the promotion on
their skills record, on a phone as on a desktop.

The marking and finalisation are set up directly (as in test_certificates_journey.py); the
review and the record go through the pages."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from competitions.accounts.models import Role, RoleGrant
from competitions.database import utcnow
from competitions.extensions import db
from competitions.organisations.models import OrgKind
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import PromotionEligibility
from competitions.promotion.rules import preset
from competitions.promotion.worker_levels import set_level
from competitions.results import lifecycle
from tests import factories
from tests.browser.test_account_security import PHONE, new_browser
from tests.browser.test_login_language import log_in
from tests.test_results import A1, B1, T1

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
HR, WINNER = "su_hr", "chen_meiling"  # 陈美玲, first, 高级工 in 焊工


@dataclass
class Journey:
    competition_id: int
    eligibility_id: int
    worker_id: int


@pytest.fixture
def journey(live_app) -> Journey:
    with live_app.app_context():
        tree = factories.Tree()
        setup = factories.MarkingSetup(tree).with_results_officials()
        setup.competition.promotion_rules = preset("national_class1_2015").to_json()
        winner = setup.workers[3]
        winner.user = factories.make_user(WINNER, display_name=winner.name)
        set_level(None, winner, setup.event.occupation, SkillLevel.LEVEL_3,
                  on=utcnow().date(), source="recorded")
        bureau = factories.make_org("江苏省人力资源和社会保障厅", parent=tree.province,
                                    tier=tree.province.tier, kind=OrgKind.HR_BUREAU)
        db.session.add(RoleGrant(user=factories.make_user(HR, display_name="钱丽华"),
                                 role=Role.HR_OFFICER, organisation=bureau,
                                 covers=tree.province))
        setup.finish(A1, B1, T1)
        lifecycle.decrypt(setup.officer, setup.event)
        lifecycle.publish(setup.organiser, setup.event, now=utcnow() - timedelta(days=6))
        lifecycle.finalise(setup.organiser, setup.event, now=utcnow())
        db.session.commit()
        eligible = db.session.scalar(sa.select(PromotionEligibility).where(
            PromotionEligibility.worker_id == winner.id))
        assert eligible.eligible and eligible.to_level is SkillLevel.LEVEL_2
        return Journey(setup.competition.id, eligible.id, winner.id)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_hr_officer_confirms_and_the_worker_sees_the_new_level(live_server, journey,
                                                                   browser, zh, viewport):
    context, page = new_browser(browser, viewport)
    log_in(page, live_server, HR, factories.PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/dashboard"))
    page.goto(f"{live_server}/promotion/eligibilities?competition={journey.competition_id}")
    card = page.get_by_test_id(f"eligibility-{journey.eligibility_id}")
    expect(card).to_contain_text("陈美玲")
    expect(card).to_contain_text("技师")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    confirm = card.get_by_test_id(f"confirm-{journey.eligibility_id}")
    if not confirm.is_visible():  # folded away in a <details> on the card
        card.locator("summary").first.click()
    card.locator(f"#document_no-{journey.eligibility_id}").fill("苏人社技〔2026〕17号")
    confirm.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_test_id(f"status-{journey.eligibility_id}")).to_contain_text("已核准")
    context.close()

    context, page = new_browser(browser, viewport)
    log_in(page, live_server, WINNER, factories.PASSWORD)
    # told of the results' publication, the certificate at finalisation, the promotion now
    expect(page.get_by_test_id("unread-count")).to_have_text("3")
    page.goto(f"{live_server}/promotion/me/record")
    expect(page).to_have_url(re.compile(rf"/promotion/workers/{journey.worker_id}/record"))
    levels = page.get_by_test_id("record-levels")
    expect(levels).to_contain_text(f"焊工：{zh('Technician (level 2)')}")
    expect(page.get_by_test_id("level-history")).to_contain_text(
        f"{zh('Senior worker (level 3)')} → {zh('Technician (level 2)')}")
    expect(page.get_by_test_id("record-promotion").first).to_contain_text("苏人社技〔2026〕17号")
    expect(page.get_by_test_id("awaiting-certificate")).to_have_text(
        zh("Awaiting its skill-level certificate"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
