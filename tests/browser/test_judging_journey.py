"""In a real browser: the judging of one event (issue 4), from an empty marking scheme to the
chief judge's sign-off, every step through the pages, the marks typed at the keyboard."""

import io
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from competitions.accounts.models import Role
from competitions.audit.services import verify_chain
from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.judging import panels
from competitions.judging.models import Criterion
from competitions.judging.signoff import reconcile_marks
from competitions.registration.draw import draw_event
from tests import factories

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The entrants: the first two work in 南京钢铁集团's group, like the judge 钱立军.
ENTRANTS = [("王大明", "南京钢铁集团"), ("李小红", "南钢轧钢厂"), ("赵志强", "南京第一机床厂"),
            ("陈美玲", "南京汽轮机厂")]
# username → (name, unit, role)
OFFICIALS = {
    "chief_zheng": ("郑国强", "南京技师学院", Role.CHIEF_JUDGE),
    "judge_qian": ("钱立军", "南京钢铁集团", Role.JUDGE),  # in conflict with entrants 0 and 1
    "judge_sun": ("孙红梅", "南京技师学院", Role.JUDGE),
    "judge_zhou": ("周德华", "苏州电气公司", Role.JUDGE),
    "judge_wu": ("吴建平", "苏州电气公司", Role.JUDGE),  # B1's reserve
}
CONFLICTED, OUTLIER = "judge_qian", "judge_zhou"
# The marks each judge gives, by entrant index: {criterion code: mark as typed}.
MARKS = {
    "judge_sun": {0: {"A1": "36", "B1": "50"}, 1: {"A1": "32.5", "B1": "45"},
                  2: {"A1": "38", "B1": "54"}, 3: {"A1": "30", "B1": "42"}},
    "judge_zhou": {0: {"B1": "48"}, 1: {"B1": "44"}, 2: {"B1": "20"}, 3: {"B1": "41"}},
    "judge_qian": {2: {"B1": "55"}, 3: {"B1": "40"}},
    "judge_wu": {0: {"B1": "52"}, 1: {"B1": "47.5"}},
}
OUTLYING_ENTRANT, CORRECTED = 2, "53"  # 周德华's 20 beside 55 and 54: a spread of 58 %
THEORY = ["88", "76.5", "92", "81"]


@dataclass
class DrawnEvent:
    id: int
    name: str
    codes: list[str]  # blind codes, by entrant index


def set_up_drawn_event(live_app) -> DrawnEvent:
    """A city competition under review, its welding event drawn with four approved entries,
    and the event's officials appointed with their units; no marking scheme yet."""
    with live_app.app_context():
        tree = factories.Tree()
        organiser = factories.make_organiser(tree.city, "nj_organiser")
        competition = factories.make_competition(tree.city, state=CompetitionState.REVIEW)
        event = factories.make_event(competition, "焊工")
        units = {tree.firm.name: tree.firm, tree.other_firm.name: tree.other_firm,
                 "南钢轧钢厂": factories.make_enterprise(tree.firm, "南钢轧钢厂")}
        for name in ("南京第一机床厂", "南京汽轮机厂", "南京技师学院"):
            units[name] = factories.make_enterprise(tree.city, name)
        entries = [factories.make_entry(event, factories.make_worker(
            units[unit], name=name, phone=f"1391234567{i}"))
            for i, (name, unit) in enumerate(ENTRANTS)]
        draw_event(organiser, event)
        for username, (name, unit, role) in OFFICIALS.items():
            user = factories.make_user(username, display_name=name)
            panels.appoint_official(organiser, event, user, role, units[unit])
        db.session.commit()
        return DrawnEvent(event.id, event.name, [entry.blind_code for entry in entries])


def label(text: str) -> re.Pattern:
    """A field's label, with or without the asterisk that marks it required."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def open_judging_page(page, zh, event: DrawnEvent, link: str):
    """Main menu → 评分 → the event's row → one of its judging pages."""
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh("Judging"), exact=True).click()
    row = page.locator("main table tbody tr").filter(has_text=event.name)
    row.get_by_role("link", name=link, exact=True).click()


# --- step 2: the chief judge builds the scheme, seats the panels and starts the marking ------

def add_component(page, zh, name, kind, weight):
    form = page.get_by_test_id("add-component")
    form.get_by_label(label(zh("Component name"))).fill(name)
    form.get_by_label(label(zh("Component type"))).select_option(kind)
    form.get_by_label(label(zh("Weight (%)"))).fill(weight)
    form.get_by_role("button", name=zh("Add component")).click()
    expect(page.locator(".flash-success")).to_have_text(zh("Component %(name)s added.",
                                                           name=name))


def add_criterion(page, zh, component, code, description, max_mark, kind, *, panel_size=None,
                  aggregation=None):
    section = page.get_by_test_id("component").filter(
        has=page.get_by_role("heading", name=component))
    form = section.get_by_test_id("add-criterion")
    if not form.is_visible():  # the <details> is closed once the component has a criterion
        section.get_by_text(zh("Add a criterion to %(name)s", name=component)).click()
    form.get_by_label(label(zh("Criterion code"))).fill(code)
    form.get_by_label(label(zh("Criterion description"))).fill(description)
    form.get_by_label(label(zh("Maximum mark"))).fill(max_mark)
    form.get_by_label(label(zh("Marked by"))).select_option(kind)
    if panel_size is not None:
        form.get_by_label(label(zh("Panel size"))).fill(str(panel_size))
    if aggregation is not None:
        form.get_by_label(label(zh("Panel mark"))).select_option(aggregation)
    form.get_by_role("button", name=zh("Add criterion")).click()
    expect(page.locator(".flash-success")).to_have_text(zh("Criterion %(code)s added.",
                                                           code=code))


def build_scheme(page, zh, event: DrawnEvent):
    open_judging_page(page, zh, event, zh("Marking scheme"))
    expect(page).to_have_url(re.compile(rf"/judging/events/{event.id}/scheme"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Marking scheme: %(event)s", event=event.name))
    expect(page.get_by_test_id("scheme-empty")).to_be_visible()
    add_component(page, zh, "理论", "theory", "30")
    add_component(page, zh, "实操", "practical", "70")
    add_criterion(page, zh, "理论", "T1", "理论知识考试（考试系统导入）", "100", "imported")
    add_criterion(page, zh, "实操", "A1", "焊缝尺寸精度", "40", "measurement")
    add_criterion(page, zh, "实操", "B1", "焊缝外观质量", "60", "judgement", panel_size=3,
                  aggregation="mean")
    expect(page.get_by_test_id("total-weight")).to_have_text("100%")
    expect(page.get_by_test_id("scheme-problems")).to_have_count(0)
    expect(page.get_by_test_id("scheme-status")).to_contain_text(zh("Being prepared"))
    page.screenshot(path=f"{SCREENS}/judging-scheme-zh.png", full_page=True)


def seat_panel(page, zh, code, usernames):
    form = page.get_by_test_id(f"panel-{code}")
    for position, username in enumerate(usernames, start=1):
        seat = re.compile(rf"^\s*{re.escape(zh('Seat %(n)d', n=position))}(\D|$)")
        form.get_by_label(seat).select_option(label=OFFICIALS[username][0])
    form.get_by_role("button", name=zh("Save panel")).click()
    expect(page.locator(".flash-success")).to_have_text(zh("Panel for %(code)s saved.",
                                                           code=code))


def seat_panels_and_start(page, zh, event: DrawnEvent):
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh("Judging"), exact=True).click()
    open_judging_page(page, zh, event, zh("Judges and panels"))
    expect(page.get_by_role("heading", level=1)).to_have_text("裁判与评分组")
    seat_panel(page, zh, "A1", ["judge_sun"])
    seat_panel(page, zh, "B1", [CONFLICTED, "judge_sun", OUTLIER, "judge_wu"])
    # 钱立军 is kept off the two entrants of 南京钢铁集团's group; nobody is named.
    kept_off = page.get_by_test_id(f"official-{CONFLICTED}")
    expect(kept_off).to_contain_text(zh("works in the entrant's unit"))
    expect(kept_off).to_contain_text(zh("works in the entrant's enterprise group"))
    expect(page.get_by_test_id("staffing-gaps")).to_have_count(0)
    page.screenshot(path=f"{SCREENS}/judging-officials-zh.png", full_page=True)
    page.get_by_test_id("start-marking").click()  # its confirmation is accepted
    expect(page.locator(".flash-success")).to_have_text(
        zh("Marking has started; the scheme is locked."))
    expect(page.get_by_test_id("event-stage")).to_have_text("评分中")
    expect(page.get_by_test_id("start-marking")).to_have_count(0)


# --- step 3: the judges mark by blind code ---------------------------------------------------

def criterion_ids(live_app, event: DrawnEvent) -> dict[str, int]:
    with live_app.app_context():
        return {code: id_ for code, id_ in db.session.execute(
            sa.select(Criterion.code, Criterion.id).where(Criterion.code.in_(["A1", "B1"])))}


class JudgeSession:
    """One judge in their own browser, keeping every page they were shown."""

    def __init__(self, page, zh, event: DrawnEvent):
        self.page, self.zh, self.event = page, zh, event
        self.seen: list[str] = []

    def keep(self):
        self.seen.append(self.page.content())

    def open_list(self):
        open_judging_page(self.page, self.zh, self.event, self.zh("My score sheets"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("我的评分表")
        self.keep()
        return self.page.get_by_test_id("sheets")

    def listed_codes(self) -> list[str]:
        return self.page.get_by_test_id("sheets").locator("tbody td a.code").all_inner_texts()

    def type_marks(self, marks: list[str]):
        """Type the marks into the sheet's fields in order, Tab between them."""
        for i, mark in enumerate(marks):
            if i:
                self.page.keyboard.press("Tab")
            self.page.keyboard.type(mark)

    def open_sheet(self, code):
        """Open `code`'s sheet: after a submit the next sheet to do is already open; else
        follow its link in the list."""
        shown = self.page.get_by_test_id("blind-code")
        if not (shown.count() and shown.inner_text() == code):
            if not self.page.get_by_test_id("sheets").count():
                self.open_list()
            self.page.get_by_test_id("sheets").get_by_role("link", name=code,
                                                          exact=True).click()
        expect(self.page.get_by_test_id("blind-code")).to_have_text(code)
        first = self.page.locator("input.mark").first
        expect(first).to_be_focused()  # autofocus: the judge types straight away
        self.keep()

    def submit_by_keyboard(self, code):
        """From the last mark: Tab past 保存草稿 to 提交, Enter, and accept the confirmation."""
        self.page.keyboard.press("Tab")
        expect(self.page.get_by_test_id("save-draft")).to_be_focused()
        self.page.keyboard.press("Tab")
        expect(self.page.get_by_test_id("submit-sheet")).to_be_focused()
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".flash-success")).to_have_text(
            self.zh("Sheet %(code)s submitted.", code=code))
        self.keep()

    def save_draft_by_keyboard(self):
        """Enter in a field sends the form with its first button: 保存草稿."""
        self.page.keyboard.press("Enter")
        expect(self.page.locator(".flash-success")).to_have_text(self.zh("Draft saved."))
        expect(self.page.get_by_test_id("sheet-status")).to_have_text("草稿")
        self.keep()


def mark_sheets(judge: JudgeSession, sheets: dict[int, dict[str, str]], *, draft_first=True):
    """Mark each entrant's sheet; the first is saved as a draft, checked, then submitted."""
    for n, (index, marks) in enumerate(sheets.items()):
        code = judge.event.codes[index]
        judge.open_sheet(code)
        judge.type_marks(list(marks.values()))
        if draft_first and n == 0:
            judge.save_draft_by_keyboard()
            fields = judge.page.locator("input.mark")
            for i, mark in enumerate(marks.values()):  # shown back as stored: 2 places
                expect(fields.nth(i)).to_have_value(f"{Decimal(mark):.2f}")
            fields.last.focus()
        judge.submit_by_keyboard(code)
        # on to the next sheet still to submit, or back to the list once all are in
        expect(judge.page).to_have_url(re.compile(
            rf"/judging/events/{judge.event.id}/sheets(/[A-Z0-9]+)?$"))
    expect(judge.page).to_have_url(re.compile(rf"/judging/events/{judge.event.id}/sheets$"))


def mark_with_range_check(judge: JudgeSession, zh, ids: dict[str, int]):
    """孙红梅's first sheet: a mark above A1's maximum is refused as it is typed."""
    code = judge.event.codes[0]
    judge.open_sheet(code)
    error = judge.page.locator(f"#mark-{ids['A1']}-error")
    judge.page.keyboard.type("4")
    expect(error).to_have_text("")
    judge.page.keyboard.type("5")
    expect(error).to_have_text(zh("Enter a mark from 0 to %(max)s.", max="40"))
    expect(judge.page.locator(f"#mark-{ids['A1']}")).to_have_attribute("aria-invalid", "true")
    judge.page.screenshot(path=f"{SCREENS}/judging-sheet-range-zh.png", full_page=True)
    judge.page.keyboard.press("Backspace")
    judge.page.keyboard.press("Backspace")
    expect(error).to_have_text("")
    judge.type_marks(list(MARKS["judge_sun"][0].values()))
    judge.save_draft_by_keyboard()
    judge.page.locator("input.mark").last.focus()
    judge.submit_by_keyboard(code)


# --- step 4: the theory scores come from the exam system's spreadsheet -----------------------

def theory_scores(codes: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["赛位号", "T1"])
    for code, score in zip(codes, THEORY, strict=True):
        sheet.append([code, float(score) if "." in score else int(score)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_theory_scores(page, zh, event: DrawnEvent):
    page.get_by_role("navigation", name=zh("Judging")).get_by_role(
        "link", name=zh("Theory scores")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        zh("Import theory scores: %(event)s", event=event.name))
    page.get_by_label(label(zh("Exam-system spreadsheet (.xlsx)"))).set_input_files(files=[{
        "name": "理论考试成绩.xlsx", "mimeType": XLSX, "buffer": theory_scores(event.codes)}])
    page.get_by_role("button", name=zh("Upload and check")).click()
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    expect(page.get_by_test_id("import-counts").locator("dd")).to_have_text(["4", "4", "0", "0"])
    rows = page.get_by_test_id("score-rows").locator("tbody tr")
    expect(rows).to_have_count(len(event.codes))
    for row, code, score in zip(rows.all(), event.codes, THEORY, strict=True):
        expect(row).to_contain_text(code)
        expect(row).to_contain_text(f"{Decimal(score):.2f}")
    page.screenshot(path=f"{SCREENS}/judging-theory-preview-zh.png", full_page=True)
    page.get_by_test_id("import-confirm").click()
    expect(page.locator(".flash-success")).to_have_text(zh(
        "Imported %(rows)d rows: %(new)d scores added, %(replaced)d replaced, "
        "%(unchanged)d unchanged.", rows=4, new=4, replaced=0, unchanged=0))
    expect(page.get_by_test_id("score-import-history")).to_contain_text("理论考试成绩.xlsx")


# --- step 5: the chief judge settles the disagreement and signs off -------------------------

def open_overview(page, zh):
    page.get_by_role("navigation", name=zh("Judging")).get_by_role(
        "link", name=zh("Completeness and sign-off")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        zh("Completeness and sign-off"))


def return_outlying_sheet(page, zh, event: DrawnEvent, reason: str) -> str:
    """From the overview's flagged panel to the entry, and 周德华's sheet back to him."""
    code = event.codes[OUTLYING_ENTRANT]
    open_overview(page, zh)
    expect(page.get_by_test_id("count-entries")).to_have_text("4")
    expect(page.get_by_test_id("count-missing")).to_have_text("0")
    expect(page.get_by_test_id("count-flagged")).to_have_text("1")
    flagged = page.get_by_test_id(f"flagged-{code}-B1")
    expect(flagged).to_contain_text(f"{OFFICIALS[OUTLIER][0]} 20.00")
    expect(page.get_by_test_id(f"cell-{code}-B1")).to_contain_text(zh("flagged"))
    page.screenshot(path=f"{SCREENS}/judging-overview-flagged-zh.png", full_page=True)
    html = page.content()
    flagged.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Entry %(code)s", code=code))
    expect(page.get_by_test_id(f"line-B1-{OUTLIER}")).to_contain_text("20.00")
    row = page.get_by_test_id(f"sheet-{OUTLIER}")
    row.get_by_label(zh("Reason")).fill(reason)
    row.get_by_role("button", name=zh("Return"), exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(zh(
        "The sheet is back with %(judge)s, who has been told why.", judge=OFFICIALS[OUTLIER][0]))
    expect(page.get_by_test_id(f"sheet-{OUTLIER}")).to_contain_text(zh("Draft"))
    page.screenshot(path=f"{SCREENS}/judging-entry-returned-zh.png", full_page=True)
    return html + page.content()


def correct_returned_sheet(judge: JudgeSession, zh, reason: str):
    """The judge follows the notification to the sheet, corrects B1 and submits again."""
    code = judge.event.codes[OUTLYING_ENTRANT]
    judge.page.reload()
    # marking has started (told when it began), and this sheet is back
    expect(judge.page.get_by_test_id("unread-count")).to_have_text("2")
    judge.page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=re.compile(zh("Notifications"))).click()
    judge.keep()
    judge.page.get_by_role("link", name=zh(
        "The chief judge returned your score sheet for %(code)s: %(reason)s",
        code=code, reason=reason)).click()
    expect(judge.page.get_by_test_id("blind-code")).to_have_text(code)
    expect(judge.page.get_by_test_id("sheet-status")).to_have_text(zh("Draft"))
    field = judge.page.locator("input.mark")
    expect(field).to_have_value("20.00")
    expect(field).to_be_focused()
    judge.keep()
    judge.page.keyboard.press("ControlOrMeta+a")
    judge.page.keyboard.type(CORRECTED)
    judge.submit_by_keyboard(code)


def sign_off(page, zh, event: DrawnEvent):
    open_overview(page, zh)
    expect(page.get_by_test_id("count-flagged")).to_have_text("0")
    # B1's panel mark is now the mean of 55, 54 and the corrected 53.
    expect(page.get_by_test_id(f"cell-{event.codes[OUTLYING_ENTRANT]}-B1")).to_contain_text(
        "3/3 54.00")
    expect(page.get_by_test_id("count-missing")).to_have_text("0")
    page.get_by_role("button", name=zh("Sign off the event")).click()  # confirmation accepted
    expect(page.locator(".flash-success")).to_have_text(
        zh("The event is signed off; its marks are frozen."))
    expect(page.get_by_test_id("event-stage")).to_have_text("已签字确认，待解密")
    expect(page.get_by_test_id("sign-off")).to_contain_text(OFFICIALS["chief_zheng"][0])
    expect(page.get_by_test_id("reopen-form")).to_be_visible()
    page.screenshot(path=f"{SCREENS}/judging-signed-off-zh.png", full_page=True)
    return page.content()


def test_judging_from_an_empty_scheme_to_sign_off(live_app, live_server, open_as, zh):
    event = set_up_drawn_event(live_app)

    # Step 2: the chief judge builds the scheme, seats the panels and starts the marking.
    chief = open_as("chief_zheng")
    build_scheme(chief, zh, event)
    seat_panels_and_start(chief, zh, event)
    ids = criterion_ids(live_app, event)

    # Step 3: the judges mark, each in their own browser, knowing entries by blind code only.
    judges = {}
    for username in MARKS:
        judges[username] = judge = JudgeSession(open_as(username), zh, event)
        judge.open_list()
        expected = sorted(event.codes[i] for i in MARKS[username])
        assert sorted(judge.listed_codes()) == expected
        if username == "judge_sun":
            mark_with_range_check(judge, zh, ids)
            mark_sheets(judge, {i: m for i, m in MARKS[username].items() if i}, draft_first=False)
        else:
            mark_sheets(judge, MARKS[username])
        expect(judge.page.get_by_test_id("progress")).to_have_text(
            zh("%(done)d of %(total)d submitted", done=len(expected), total=len(expected)))
        judge.page.screenshot(path=f"{SCREENS}/judging-{username}-list-zh.png", full_page=True)
    conflicted = judges[CONFLICTED]
    assert event.codes[0] not in conflicted.listed_codes()
    assert event.codes[1] not in conflicted.listed_codes()
    leaks = {(username, name) for username, judge in judges.items() for html in judge.seen
             for name, unit in ENTRANTS for text in (name, unit)
             if text in html and not (username == CONFLICTED and text == "南京钢铁集团")}
    assert leaks == set()
    # …though those pages did show them every blind code they mark.
    assert all(event.codes[i] in "".join(judge.seen)
               for username, judge in judges.items() for i in MARKS[username])

    # Step 4: the chief judge imports the theory scores.
    import_theory_scores(chief, zh, event)

    # Step 5: the flagged panel is discussed; 周德华's sheet goes back to him and returns.
    reason = "B1 与其他裁判相差过大，请复核焊缝外观评分。"
    chief_pages = [return_outlying_sheet(chief, zh, event, reason)]
    open_overview(chief, zh)
    expect(chief.get_by_test_id("count-missing")).to_have_text("1")
    chief.get_by_role("button", name=zh("Sign off the event")).click()
    expect(chief.locator(".flash-error")).to_have_text(zh("%(n)d marks are still missing.", n=1))
    expect(chief.get_by_test_id("event-stage")).to_have_text(zh("Marking under way"))
    correct_returned_sheet(judges[OUTLIER], zh, reason)
    chief_pages.append(sign_off(chief, zh, event))
    outlier = judges[OUTLIER]
    outlier.open_list()
    expect(outlier.page.locator("main")).to_contain_text(
        zh("The chief judge has signed off this event."))

    names = [name for name, _unit in ENTRANTS]
    assert [name for name in names for html in chief_pages if name in html] == []
    assert [name for name in names for html in outlier.seen if name in html] == []
    with live_app.app_context():
        checked, problem = verify_chain()
        assert problem is None and checked > 0
        assert reconcile_marks() == []
