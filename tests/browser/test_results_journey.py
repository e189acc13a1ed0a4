"""In a real browser: an event's results from the chief judge's sign-off to the nominations it
sends on (issue 5). The marking itself is set up directly; every later step goes through the
pages: decryption, publication, the public notice, an appeal upheld by the arbitrators, the
chief judge's correction, the restarted notice, finalisation, titles and advancement."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, format_datetime
from playwright.sync_api import expect

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.services import verify_chain
from competitions.contests.models import CompetitionState, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.i18n import local_time
from competitions.judging import panels
from competitions.judging.signoff import reconcile_marks
from tests import factories
from tests.browser.test_login_language import watch_console

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"

CITY = "2026年南京市职工职业技能大赛"
PROVINCE = "2026年江苏省职工职业技能大赛"
# MarkingSetup's entrants, in order; 李小红 (南钢轧钢厂) has an account and appeals.
NAMES = ["王大明", "李小红", "赵志强", "陈美玲"]
MASKED = ["王*明", "李*红", "赵*强", "陈*玲"]
ENTRANT = 1
# Per entrant: A1 (of 40), B1 (of 60, every panel judge alike), T1 (of 100).
# Totals 80.00, 76.00, 77.00, 82.40: 李小红 is fourth.
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]
# The appeal upheld, each of her B1 panel's 40 becomes 46: 27 + 0.7 × 76 = 80.20, second.
CORRECTED_B1 = "46"
BEFORE, AFTER = (4, "76.00"), (2, "80.20")
# username → display name
OFFICER, ARBITRATOR = "officer_zhou", "arbiter_huang"
ENTRANT_USER, PROVINCE_ORGANISER, UNIT_ORGANISER = "li_xiaohong", "js_organiser", "ngt_organiser"
DISPLAY = {OFFICER: "周文静", ARBITRATOR: "黄仲明", ENTRANT_USER: NAMES[ENTRANT],
           PROVINCE_ORGANISER: "江苏省总工会组织者", UNIT_ORGANISER: "南钢工会组织者"}


@dataclass
class Journey:
    competition_id: int
    event_id: int
    event_name: str
    province_id: int
    province_event_id: int
    entry_ids: list[int]  # by entrant index
    codes: list[str]  # blind codes, by entrant index
    organiser: str
    chief: str
    b1_panel: list[str]  # usernames of the judges marking the entrant's B1


def set_up(live_app) -> Journey:
    """A city competition whose welding event is fully marked (not yet signed off), feeding the
    provincial competition's welding event; its officials, the entrant's account, and the
    provincial and unit organisers."""
    with live_app.app_context():
        tree = factories.Tree()
        setup = factories.MarkingSetup(tree)
        setup.finish(A1, B1, T1, sign=False)
        province = factories.make_competition(tree.province, name=PROVINCE,
                                              state=CompetitionState.REGISTRATION)
        province_event = factories.make_event(province, "焊工", nomination_required=True)
        competition = setup.competition
        competition.feeds_id = province.id
        competition.advance_top_n = 2
        competition.title_rules = [["city_ladder", {}]]
        for username, role in ((OFFICER, Role.ENCRYPTION_OFFICER),
                               (ARBITRATOR, Role.ARBITRATOR)):
            user = factories.make_user(username, display_name=DISPLAY[username])
            db.session.add(RoleGrant(user=user, role=role, competition_id=competition.id))
        setup.workers[ENTRANT].user = factories.make_user(ENTRANT_USER,
                                                          display_name=DISPLAY[ENTRANT_USER])
        factories.make_organiser(tree.province, PROVINCE_ORGANISER).display_name = \
            DISPLAY[PROVINCE_ORGANISER]
        factories.make_organiser(tree.firm, UNIT_ORGANISER).display_name = \
            DISPLAY[UNIT_ORGANISER]
        entry = setup.entries[ENTRANT]
        cell = next(c for c in panels.panel_cells(setup.event, [entry])
                    if c.criterion.id == setup.b1.id)
        judges = {u.id: u.username for u in (setup.conflicted, setup.judge2, setup.judge3,
                                             setup.reserve)}
        db.session.flush()
        journey = Journey(competition.id, setup.event.id, setup.event.name, province.id,
                          province_event.id, [e.id for e in setup.entries],
                          [e.blind_code for e in setup.entries], setup.organiser.username,
                          setup.chief.username, [judges[j] for j in cell.panel])
        assert setup.conflicted.username not in journey.b1_panel  # kept off 南钢's group
        db.session.commit()
    return journey


def label(text: str) -> re.Pattern:
    """A field's label, with or without the asterisk that marks it required."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def notice_end(live_app, event_id) -> tuple[datetime, datetime]:
    """When the appeals close and the notice ends (the same here: the default window)."""
    with live_app.app_context():
        event = db.session.get(Event, event_id)
        return event.appeals_close_at, event.notice_ends_at


def move_notice_end(live_app, event_id, to: datetime):
    """Time passing: the notice's end (and the appeal deadline) moved in the database."""
    with live_app.app_context():
        event = db.session.get(Event, event_id)
        event.notice_ends_at = event.appeals_close_at = to
        db.session.commit()


def shown(live_app, moment: datetime) -> str:
    """A moment as the Chinese pages show it (datetimeformat "short", Beijing time)."""
    with live_app.test_request_context(), force_locale("zh"):
        return format_datetime(moment, "short")


def deadline(live_app, moment: datetime) -> str:
    """A deadline as the Chinese pages write it (local_time, Beijing time)."""
    with live_app.test_request_context(), force_locale("zh"):
        return local_time(moment)


def nav(page, zh, name):
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh(name), exact=True).click()


def flash(page):
    return page.locator(".flash-success")


# --- step 2: the chief judge signs off --------------------------------------------------------

def open_overview(page, zh, journey: Journey):
    nav(page, zh, "Judging")
    page.locator("main table tbody tr").filter(has_text=journey.event_name).get_by_role(
        "link", name=zh("Completeness and sign-off")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Completeness and sign-off: %(event)s", event=journey.event_name))


def sign_off(page, zh):
    expect(page.get_by_test_id("count-missing")).to_have_text("0")
    expect(page.get_by_test_id("count-gaps")).to_have_text("0")
    page.get_by_role("button", name=zh("Sign off the event")).click()  # confirmation accepted
    expect(flash(page)).to_have_text(zh("The event is signed off; its marks are frozen."))
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Signed off, awaiting decryption"))


# --- steps 3 and 4: decryption and publication -------------------------------------------------

def open_results_as_official(page, zh, journey: Journey):
    """Main menu → 成绩 → the competition's event → its results page."""
    nav(page, zh, "Results")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Results"))
    page.get_by_test_id(f"competition-{journey.competition_id}").locator("tbody tr").filter(
        has_text=journey.event_name).get_by_role("link", name=zh("Results")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Results: %(event)s", event=journey.event_name))


def open_results_as_organiser(page, zh, journey: Journey):
    """Main menu → 竞赛 → the competition → the event's 成绩 link."""
    nav(page, zh, "Competitions")
    page.get_by_role("link", name=CITY, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CITY)
    page.get_by_test_id(f"results-{journey.event_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Results: %(event)s", event=journey.event_name))


def decrypt(page, zh, journey: Journey):
    open_results_as_official(page, zh, journey)
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Signed off, awaiting decryption"))
    expect(page.get_by_test_id("results-table")).to_have_count(0)  # no names before decryption
    main = page.locator("main").inner_text()
    assert [name for name in NAMES if name in main] == []
    page.get_by_test_id("decrypt").click()  # confirmation accepted
    expect(flash(page)).to_have_text(
        zh("The event is decrypted: names now appear beside the scores."))
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Decrypted, awaiting publication"))
    expect(page.get_by_test_id("results-table").locator("tbody tr")).to_have_count(len(NAMES))


def expect_standing(page, journey: Journey, index: int, rank: int, total: str):
    row = page.get_by_test_id(f"result-{journey.entry_ids[index]}")
    expect(row.locator("td").first).to_have_text(str(rank))
    expect(row).to_contain_text(NAMES[index])
    expect(row.locator("td strong")).to_have_text(total)


def publish(page, zh, live_app, journey: Journey) -> datetime:
    page.get_by_test_id("publish").click()  # confirmation accepted
    closes, ends = notice_end(live_app, journey.event_id)
    expect(flash(page)).to_have_text(zh("The results are published. Appeals are accepted "
                                        "until %(deadline)s.",
                                        deadline=deadline(live_app, closes)))
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Results under public notice"))
    expect(page.get_by_test_id("appeals-close")).to_have_text(deadline(live_app, closes))
    expect(page.get_by_test_id("notice-ends")).to_have_text(deadline(live_app, ends))
    return ends


# --- step 5: the public notice -------------------------------------------------------------

def read_public_notice(browser, live_server, zh, journey: Journey, notice: str):
    """A visitor who is not logged in reads the notice: masked names only."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = watch_console(page)
        page.goto(live_server)
        nav(page, zh, "Results notices")
        page.get_by_role("link", name=CITY, exact=True).click()
        expect(page.get_by_test_id(f"results-state-{journey.event_id}")).to_have_text(
            zh("On public notice until %(date)s", date=notice))
        page.get_by_test_id("public-events").get_by_role(
            "link", name=journey.event_name).click()
        expect(page.get_by_test_id("results-notice")).to_be_visible()
        rows = page.get_by_test_id("public-results").locator("tbody tr")
        expect(rows).to_have_count(len(NAMES))
        ranked = [3, 0, 2, 1]  # 陈美玲, 王大明, 赵志强, 李小红
        for row, index in zip(rows.all(), ranked, strict=True):
            expect(row.locator("td").nth(1)).to_have_text(MASKED[index])
        page.screenshot(path=f"{SCREENS}/results-public-notice-zh.png", full_page=True)
        content = page.content()
        assert [name for name in NAMES if name in content] == []
        assert [code for code in journey.codes if code in content] == []
        assert errors == []
    finally:
        context.close()


# --- steps 6 and 7: the appeal and the arbitrators' decision ----------------------------------

def open_my_entries(page, zh):
    nav(page, zh, "My entries")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("My entries"))


def file_appeal(page, zh, journey: Journey, text: str):
    entry_id = journey.entry_ids[ENTRANT]
    open_my_entries(page, zh)
    result = page.get_by_test_id(f"result-{entry_id}")
    expect(result).to_contain_text(zh("Rank %(rank)d, %(total)s points", rank=BEFORE[0],
                                      total=BEFORE[1]))
    page.screenshot(path=f"{SCREENS}/results-my-entries-zh.png", full_page=True)
    result.get_by_test_id(f"appeal-{entry_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Appeal against the results: %(event)s", event=journey.event_name))
    expect(page.get_by_test_id("notice-open")).to_be_visible()
    form = page.get_by_test_id("appeal-form")
    expect(form.get_by_label(label(zh("Entry appealed for")))).to_contain_text(NAMES[ENTRANT])
    form.get_by_label(label(zh("The appeal"))).fill(text)
    form.get_by_role("button", name=zh("File the appeal")).click()
    expect(flash(page)).to_have_text(zh(
        "Your appeal is filed. The arbitrators will decide it; their decision is final."))
    expect(page.get_by_test_id("appeal-text")).to_have_text(text)
    expect(page.get_by_test_id("decision")).to_contain_text(zh("Awaiting the arbitrators."))


def uphold_appeal(page, zh, journey: Journey, reasons: str):
    open_results_as_official(page, zh, journey)
    appeals = page.get_by_test_id("appeals")
    expect(appeals.locator("tbody tr")).to_have_count(1)
    row = appeals.locator("tbody tr")
    expect(row).to_contain_text(NAMES[ENTRANT])
    expect(row).to_contain_text(zh("Awaiting the arbitrators"))
    row.get_by_role("link", name=zh("Read and decide")).click()
    form = page.get_by_test_id("decide-form")
    form.get_by_label(zh("Uphold: the chief judge corrects the marks")).check()
    form.get_by_label(label(zh("Reasons for the decision"))).fill(reasons)
    page.screenshot(path=f"{SCREENS}/results-appeal-decide-zh.png", full_page=True)
    form.get_by_role("button", name=zh("Record the decision")).click()  # confirmation accepted
    expect(flash(page)).to_have_text(zh(
        "Appeal upheld: the chief judge has been told to correct the marks; the results are "
        "then published again and the notice restarts."))
    expect(page.get_by_test_id("decision-reasons")).to_have_text(reasons)
    expect(page.get_by_test_id("decide-form")).to_have_count(0)  # the decision is final


# --- step 8: the chief judge corrects B1, signs off again; the notice restarts ----------------

def correct_marks(page, zh, journey: Journey, reason: str):
    """From the notification to the overview, to the entry, each B1 mark corrected."""
    code = journey.codes[ENTRANT]
    page.reload()
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=re.compile(zh("Notifications"))).click()
    event = f"焊工 · {zh('Employee group')}"
    page.get_by_role("link", name=zh(
        "An appeal in %(event)s was upheld: re-check %(code)s. Marking is reopened for your "
        "correction.", event=event, code=code)).click()
    expect(page.get_by_test_id("appeal-blind-code")).to_have_text(code)  # the appeal he may read
    page.get_by_test_id("to-marking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Completeness and sign-off: %(event)s", event=journey.event_name))
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Marking under way"))
    expect(page.get_by_test_id("sign-off")).to_contain_text(zh("Not signed off"))
    page.get_by_test_id(f"row-{code}").get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Entry %(code)s", code=code))
    expect(page.get_by_test_id("aggregate-B1")).to_have_text("40.00")
    for username in journey.b1_panel:
        line = page.get_by_test_id(f"line-B1-{username}")
        expect(line.locator("td").nth(2)).to_have_text("40.00")
        line.get_by_label(zh("New mark")).fill(CORRECTED_B1)
        line.get_by_label(zh("Reason")).fill(reason)
        line.get_by_role("button", name=zh("Correct"), exact=True).click()
        expect(flash(page)).to_have_text(zh("Mark %(code)s corrected.", code="B1"))
        expect(page.get_by_test_id(f"line-B1-{username}").locator("td").nth(2)).to_have_text(
            f"{CORRECTED_B1}.00")
    expect(page.get_by_test_id("aggregate-B1")).to_have_text(f"{CORRECTED_B1}.00")
    page.screenshot(path=f"{SCREENS}/results-entry-corrected-zh.png", full_page=True)
    page.get_by_role("link", name=zh("Completeness and sign-off")).first.click()


# --- steps 9 and 10: finalisation, titles, nominations -----------------------------------------

def finalise(page, zh, journey: Journey):
    page.reload()
    expect(page.get_by_test_id("stage-message")).to_contain_text(
        zh("Finalising is possible once the notice has ended with no appeal open."))
    page.get_by_test_id("finalise").click()  # confirmation accepted
    expect(flash(page)).to_have_text(zh("The results are final."))
    expect(page.get_by_test_id("event-stage")).to_have_text(zh("Results final"))
    assert zh("Results final") == "成绩已确定"
    # Reopening comes last and collapsed: the page leads with the results.
    expect(page.get_by_test_id("reopen")).to_be_visible()
    expect(page.get_by_test_id("reopen-form")).to_be_hidden()
    titles = page.get_by_test_id("titles").locator("tbody tr")
    expect(titles).to_have_count(len(NAMES))  # city_ladder: ranks 1, 2 and 3–10
    entrant_title = titles.filter(has_text=NAMES[ENTRANT])
    expect(entrant_title.locator("td").first).to_have_text(str(AFTER[0]))
    expect(entrant_title).to_contain_text(zh("Technical Pacesetter"))
    for row in titles.all():
        expect(row.locator("[data-testid^=title-state-]")).to_have_text(zh("Pending approval"))
    page.screenshot(path=f"{SCREENS}/results-final-zh.png", full_page=True)

    page.get_by_role("navigation", name=zh("Results")).get_by_role(
        "link", name=zh("Nominations sent on")).click()
    rows = page.get_by_test_id("nominations").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(NAMES[3])
    expect(rows.nth(1)).to_contain_text(NAMES[ENTRANT])
    expect(rows).to_contain_text([PROVINCE, PROVINCE])


def nominees_on_event_page(page, zh, names: list[str]):
    nominations = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=zh("Nominations"), exact=True))
    rows = nominations.locator("tbody tr")
    expect(rows).to_have_count(len(names))
    for row, name in zip(rows.all(), names, strict=True):
        expect(row.locator("td").first).to_have_text(name)
        expect(row).to_contain_text(CITY)  # the note: where the nomination comes from


def provincial_organiser_sees_nominees(page, zh, journey: Journey):
    nav(page, zh, "Competitions")
    page.get_by_role("link", name=PROVINCE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROVINCE)
    page.locator("main table tbody tr").filter(has_text=journey.event_name).get_by_role(
        "link", name=journey.event_name).click()
    nominees_on_event_page(page, zh, [NAMES[3], NAMES[ENTRANT]])
    page.screenshot(path=f"{SCREENS}/results-province-nominees-zh.png", full_page=True)


def unit_organiser_sees_own_nominee(page, zh, journey: Journey):
    """南京钢铁集团's organiser sees the nomination of 李小红 (南钢轧钢厂), not 陈美玲's."""
    nav(page, zh, "Open registration")
    page.get_by_test_id(f"event-{journey.province_event_id}").get_by_role(
        "link", name=zh("Entries")).click()
    nominees_on_event_page(page, zh, [NAMES[ENTRANT]])


def test_results_from_sign_off_to_nominations(browser, live_app, live_server, open_as, zh):
    journey = set_up(live_app)
    entrant_entry = journey.entry_ids[ENTRANT]

    # Step 2: the chief judge signs off on the overview page.
    chief = open_as(journey.chief)
    open_overview(chief, zh, journey)
    sign_off(chief, zh)

    # Step 3: the encryption officer decrypts the event.
    officer = open_as(OFFICER)
    decrypt(officer, zh, journey)

    # Step 4: the organiser reads the names beside the scores and publishes.
    organiser = open_as(journey.organiser)
    open_results_as_organiser(organiser, zh, journey)
    expect(organiser.get_by_role("heading", name=zh("Computed results (not yet published)"))
           ).to_be_visible()
    expect_standing(organiser, journey, ENTRANT, *BEFORE)
    expect_standing(organiser, journey, 3, 1, "82.40")
    first_end = publish(organiser, zh, live_app, journey)
    organiser.screenshot(path=f"{SCREENS}/results-published-zh.png", full_page=True)
    # Two days of the five-day notice go by before the appeal comes in.
    first_end -= timedelta(days=2)
    move_notice_end(live_app, journey.event_id, first_end)

    # Step 5: the public notice shows masked names, never a full one.
    read_public_notice(browser, live_server, zh, journey, shown(live_app, first_end))

    # Step 6: 李小红, fourth, appeals in writing.
    entrant = open_as(ENTRANT_USER)
    file_appeal(entrant, zh, journey, "本人 B1 焊缝外观评分明显偏低，与现场照片不符，请求复核。")

    # Step 7: the arbitrators uphold it, with reasons.
    arbitrator = open_as(ARBITRATOR)
    uphold_appeal(arbitrator, zh, journey, "经调阅现场照片与评分记录，B1 评分有误，申诉成立。")

    # Step 8: the chief judge corrects her B1 marks and signs off again …
    correct_marks(chief, zh, journey, "仲裁组支持申诉：B1 焊缝外观按复核结果更正。")
    sign_off(chief, zh)
    # … and the organiser, seeing the corrected standing, publishes again: the notice restarts.
    open_results_as_organiser(organiser, zh, journey)
    expect(organiser.get_by_test_id("notice-ends")).to_have_text(deadline(live_app, first_end))
    expect_standing(organiser, journey, ENTRANT, *AFTER)
    expect_standing(organiser, journey, 0, 3, "80.00")
    second_end = publish(organiser, zh, live_app, journey)
    assert second_end > first_end + timedelta(days=1)
    assert shown(live_app, second_end) != shown(live_app, first_end)
    expect_standing(organiser, journey, ENTRANT, *AFTER)
    open_my_entries(entrant, zh)
    expect(entrant.get_by_test_id(f"result-{entrant_entry}")).to_contain_text(
        zh("Rank %(rank)d, %(total)s points", rank=AFTER[0], total=AFTER[1]))

    # Step 9: the notice ends; the organiser finalises; titles await approval.
    move_notice_end(live_app, journey.event_id, utcnow() - timedelta(minutes=1))
    finalise(organiser, zh, journey)

    # Step 10: the top two are nominees in the provincial competition.
    provincial_organiser_sees_nominees(open_as(PROVINCE_ORGANISER), zh, journey)
    unit_organiser_sees_own_nominee(open_as(UNIT_ORGANISER), zh, journey)
    open_my_entries(entrant, zh)
    assert zh("My nominations") == "我的推荐资格"
    mine = entrant.get_by_test_id("my-nominations")
    expect(mine.get_by_role("heading", name=zh("My nominations"))).to_be_visible()
    expect(mine.locator("tbody tr")).to_have_count(1)
    expect(mine).to_contain_text(PROVINCE)
    expect(mine).to_contain_text(zh("Advancement from a lower tier"))
    entrant.screenshot(path=f"{SCREENS}/results-my-nominations-zh.png", full_page=True)

    with live_app.app_context():
        checked, problem = verify_chain()
        assert problem is None and checked > 0
        assert reconcile_marks() == []
