"""At a phone's 390 px viewport (issue 16): the worker's, the judge's and the public pages do
not scroll sideways, and every primary action (Register, withdraw, save, submit, each entry's
result and award) lies inside the screen, not clipped inside a box that scrolls on its own.

With SCREENSHOTS=1 the pages are also saved to docs/phone/ (see docs/phone/README.md)."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.registration.models import EntryStatus
from tests import factories
from tests.browser.test_login_language import log_in, watch_console
from tests.factories import PASSWORD
from tests.test_results_tie_note import publish_directly

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 390, 844
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "phone"
WORKER, JUDGE = "phone_worker", "phone_judge"

# For each element matched: its box, and any ancestor that scrolls sideways with hidden overflow.
PLACEMENT = """(elements) => elements.map((el) => {
  const box = el.getBoundingClientRect();
  const scrollers = [];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const overflowX = getComputedStyle(up).overflowX;
    if (up.scrollWidth > up.clientWidth && overflowX !== "visible" && up !== document.body
        && up !== document.documentElement) {
      scrollers.push(up.tagName + "." + up.className + " " + overflowX);
    }
  }
  return {id: el.dataset.testid || el.id || el.textContent.trim().slice(0, 30),
          x: box.x, right: box.x + box.width, width: box.width, scrollers};
})"""


@dataclass
class Phone:
    competition_id: int  # taking registrations
    register_event_id: int  # the worker may register
    pending_entry_id: int  # theirs, pending: they may withdraw it
    results_competition_id: int
    results_event_id: int
    published_entry_id: int  # theirs: rank 1, gold, a tie broken by time used
    sheet_url: str  # a judge's score sheet


def set_up(live_app) -> Phone:
    with live_app.app_context():
        tree = factories.Tree()
        worker = factories.make_worker(tree.firm, name="王大明", phone="13900001111",
                                       user=factories.make_user(WORKER, display_name="王大明"))
        competition = factories.make_competition(tree.city, name="2026年南京市职工职业技能大赛")
        register = factories.make_event(competition, "电工")
        pending_event = factories.make_event(competition, "焊工")
        pending = factories.make_entry(pending_event, worker,
                                       status=EntryStatus.PENDING_ENDORSEMENT)

        done = factories.make_competition(tree.city, name="2025年南京市职工职业技能大赛",
                                          state=CompetitionState.REVIEW)
        done_event = factories.make_event(done, "数控车工")
        rival = factories.make_worker(tree.other_firm, name="李小红", phone="13900002222")
        third = factories.make_worker(tree.firm, name="赵志强", phone="13900003333")
        published, *_ = publish_directly(done_event, [
            (worker, 1, "91.50", 3400, ["first_prize", "gold"]),
            (rival, 2, "91.50", 3550, ["second_prize", "silver"]),
            (third, 3, "84.25", 3600, ["third_prize", "bronze"])])

        marking = factories.MarkingSetup(tree)
        marking.judge2.username = JUDGE
        sheet_url = f"/judging/events/{marking.event.id}/sheets/{marking.code(0)}"
        db.session.commit()
        return Phone(competition.id, register.id, pending.id, done.id, done_event.id,
                     published.id, sheet_url)


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized browser in Nanjing, logged in as `username` (or anonymous)."""
    contexts, consoles = [], []

    def open_page(username=None):
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                      locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        consoles.append(watch_console(page))
        if username:
            log_in(page, live_server, username, PASSWORD)
            expect(page).to_have_url(re.compile(r"/accounts/dashboard"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert [error for console in consoles for error in console] == []


def visit(page, url, shot=None):
    page.goto(url)
    if shot and os.environ.get("SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def assert_fits(page, *selectors):
    """No sideways scrolling; each element of `selectors` present and inside the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide: {wide_elements(page)}"
    for selector in selectors:
        placements = page.locator(selector).evaluate_all(PLACEMENT)
        assert placements, f"{selector} missing on {page.url}"
        for placed in placements:
            assert placed["width"] > 0, f"{selector} {placed['id']} is hidden on {page.url}"
            assert placed["x"] >= 0 and placed["right"] <= WIDTH, (selector, placed, page.url)
            assert placed["scrollers"] == [], (selector, placed, page.url)


def wide_elements(page):
    """What sticks out, for the failure message."""
    return page.evaluate("""() => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 8).map((el) => el.tagName + "." + el.className)""")


def test_phone_pages_fit_a_390px_screen(live_app, live_server, phone):
    data = set_up(live_app)
    base = live_server

    guest = phone()
    visit(guest, f"{base}/", "home")
    assert_fits(guest)
    visit(guest, f"{base}/competitions/{data.results_competition_id}", "public-competition")
    assert_fits(guest)
    visit(guest, f"{base}/events/{data.register_event_id}", "public-event")
    assert_fits(guest)
    visit(guest, f"{base}/events/{data.results_event_id}/results", "public-results")
    assert_fits(guest, "[data-testid=public-results] tbody tr", "[data-testid^=tie-note-]",
                "[data-testid=public-results] .badge.ok", "[data-testid=tie-rule]")
    expect(guest.get_by_test_id("tie-note-1")).to_be_visible()

    worker = phone(WORKER)
    if os.environ.get("SCREENSHOTS"):
        visit(worker, f"{base}/accounts/dashboard", "dashboard")
    assert_fits(worker)
    visit(worker, f"{base}/registration/open", "open-events")
    assert_fits(worker, f"[data-testid=register-{data.register_event_id}]")
    visit(worker, f"{base}/registration/entries", "my-entries")
    entry = data.published_entry_id
    assert_fits(worker, f"[data-testid=withdraw-{data.pending_entry_id}]",
                f"[data-testid=rank-{entry}]", f"[data-testid=award-{entry}]",
                f"[data-testid=result-{entry}] a")
    visit(worker, f"{base}/registration/me", "profile")
    assert_fits(worker, "main .button, main button")

    # The worker registers from the phone: the button works where it stands.
    visit(worker, f"{base}/registration/open")
    worker.get_by_test_id(f"register-{data.register_event_id}").click()
    expect(worker.locator(".flash-success")).to_be_visible()
    assert_fits(worker)

    judge = phone(JUDGE)
    visit(judge, base + data.sheet_url.rsplit("/", 1)[0], "judge-sheets")
    assert_fits(judge, "[data-testid=sheets] a.code")
    visit(judge, base + data.sheet_url, "score-sheet")
    assert_fits(judge, "input.mark", "[data-testid=save-draft]", "[data-testid=submit-sheet]")
    judge.locator("input.mark").first.fill("30")
    judge.get_by_test_id("save-draft").click()
    expect(judge.locator(".flash-success")).to_be_visible()
    assert_fits(judge, "input.mark", "[data-testid=submit-sheet]")
