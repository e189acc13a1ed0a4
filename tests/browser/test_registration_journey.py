"""In a real browser: a worker registers, and a competition goes from creation to the draw."""

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.promotion.levels import SkillLevel
from competitions.registration.imports import HEADERS
from competitions.registration.models import Entry, EntryStatus
from tests import factories

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHANGHAI = ZoneInfo("Asia/Shanghai")
IMPORTED = 50
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何"
GIVEN = ["建国", "海燕", "志强", "丽娟", "国华", "晓明", "秀英", "卫东", "春梅", "立新"]


def make_worker_account(employer, username="zhang_sanming", name="张三明"):
    user = factories.make_user(username, display_name=name)
    return factories.make_worker(employer, name=name, user=user, skill_level=SkillLevel.LEVEL_4)


def test_worker_registers_and_sees_pending_endorsement(live_app, live_server, open_as, zh, en):
    with live_app.app_context():
        tree = factories.Tree()
        competition = factories.make_competition(tree.city)
        event_id = factories.make_event(competition, "焊工").id
        make_worker_account(tree.firm)
        db.session.commit()
    pending_zh = zh("Pending endorsement by the unit")
    assert pending_zh == "待所在单位审核"

    page = open_as("zhang_sanming")
    page.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh("Open registration")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Open registration"))
    row = page.get_by_test_id(f"event-{event_id}")
    expect(row).to_contain_text(zh("Eligible"))
    page.screenshot(path=f"{SCREENS}/journey-worker-open-events-zh.png", full_page=True)
    row.get_by_role("button", name=zh("Register")).click()

    expect(page).to_have_url(f"{live_server}/registration/entries")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("My entries"))
    expect(page.get_by_test_id("entry-status")).to_have_text(pending_zh)
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.screenshot(path=f"{SCREENS}/journey-worker-my-entries-zh.png", full_page=True)

    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("entry-status")).to_have_text(
        en("Pending endorsement by the unit"))
    assert en("Pending endorsement by the unit") == "Pending endorsement by the unit"
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.screenshot(path=f"{SCREENS}/journey-worker-my-entries-en.png", full_page=True)


# --- the whole path of issue 3 ------------------------------------------------------------

def spreadsheet(employers: list[str]) -> bytes:
    """IMPORTED valid rows, at most three per employer (the default quota per unit)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for i in range(IMPORTED):
        birth = date(1980 + i % 20, 1 + i % 12, 1 + i % 28)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
        id_number = factories.valid_id_number(birth, serial=100 + i, male=i % 3 != 0)
        sheet.append([name, id_number, f"139{i:08d}", employers[i % len(employers)],
                      "高级工" if i % 2 else "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def label(text: str) -> re.Pattern:
    """A field's label, with or without the asterisk that marks it required."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")  # what a datetime-local input takes


def set_up_city(live_app) -> list[str]:
    """The tree, the organisers, a worker with an account, the occupations, 17 enterprises."""
    with live_app.app_context():
        tree = factories.Tree()
        factories.make_organiser(tree.city, "nj_organiser")
        factories.make_organiser(tree.firm, "ngt_organiser")
        make_worker_account(tree.firm)
        for occupation in ("焊工", "电工"):
            factories.make_occupation(occupation)
        employers = [tree.firm.name] + [
            factories.make_enterprise(tree.city, f"南京第{n}机械厂").name for n in range(1, 17)]
        db.session.commit()
    return employers


def create_competition(page, zh, name):
    page.get_by_role("link", name=zh("Competitions"), exact=True).click()
    page.get_by_role("link", name=zh("New competition")).click()
    now = datetime.now(SHANGHAI)
    starts = (now + timedelta(days=40)).date()
    form = page.locator("main form.form")
    form.get_by_label(label(zh("Competition name"))).fill(name)
    form.get_by_label(label(zh("Year"))).fill(str(starts.year))
    # A city union's competition is city level unless the organiser says otherwise.
    expect(form.get_by_label(label(zh("Tier")))).to_have_value("city")
    form.get_by_label(label(zh("Class"))).select_option("class2")
    form.get_by_label(zh("Registration opens")).fill(local(now - timedelta(days=1)))
    form.get_by_label(zh("Registration closes")).fill(local(now + timedelta(days=20)))
    form.get_by_label(zh("Contest starts")).fill(starts.isoformat())
    form.get_by_label(zh("Contest ends")).fill((starts + timedelta(days=1)).isoformat())
    page.screenshot(path=f"{SCREENS}/journey-competition-form-zh.png", full_page=True)
    form.get_by_role("button", name=zh("Save")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_test_id("competition-state")).to_have_text(zh("In preparation"))
    return int(re.search(r"/contests/(\d+)$", page.url).group(1))


def add_event(page, zh, occupation):
    page.get_by_role("link", name=zh("Add event")).click()
    form = page.locator("main form.form")
    form.get_by_label(zh("Occupation")).select_option(label=occupation)
    form.get_by_label(label(zh("Group"))).select_option(label=zh("Employee group"))
    # 须经推荐 is never pre-ticked: this city contest is open to every worker.
    expect(form.get_by_label(zh("A nomination is required"))).not_to_be_checked()
    form.get_by_role("button", name=zh("Save")).click()
    expect(page.locator(".flash-success")).to_have_text(zh("Event added."))


def event_ids(live_app, competition_id) -> dict[str, int]:
    with live_app.app_context():
        events = db.session.scalars(sa.select(Event).where(
            Event.competition_id == competition_id)).all()
        return {event.occupation.name: event.id for event in events}


def entry_of(live_app, event_id) -> tuple[int, EntryStatus]:
    with live_app.app_context():
        entry = db.session.scalars(sa.select(Entry).where(Entry.event_id == event_id)).one()
        return entry.id, entry.status


def test_competition_path_from_creation_to_draw(live_app, live_server, open_as, zh, en):
    employers = set_up_city(live_app)
    name = "2026年南京市职工职业技能大赛（浏览器）"

    # The city organiser creates the competition and its two events, and opens registration.
    organiser = open_as("nj_organiser")
    competition_id = create_competition(organiser, zh, name)
    add_event(organiser, zh, "焊工")
    add_event(organiser, zh, "电工")
    events = event_ids(live_app, competition_id)
    welder, electrician = events["焊工"], events["电工"]
    # Each stage change first says what it does; its button is under that.
    organiser.get_by_test_id("open-open_registration").click()
    expect(organiser.get_by_test_id("effects-open_registration")).to_contain_text(
        zh("Workers can then register for its %(n)d event(s); their units endorse each "
           "registration and you approve it.", n=2))
    organiser.get_by_test_id("transition-open_registration").click()
    expect(organiser.get_by_test_id("competition-state")).to_have_text(zh("Registration open"))
    detail = organiser.url

    # One step in English: the same page, then back to Chinese.
    organiser.get_by_test_id("lang-en").click()
    expect(organiser.get_by_test_id("competition-state")).to_have_text(en("Registration open"))
    expect(organiser.get_by_role("link", name=f"焊工 · {en('Employee group')}")).to_be_visible()
    organiser.screenshot(path=f"{SCREENS}/journey-competition-open-en.png", full_page=True)
    organiser.get_by_test_id("lang-zh").click()
    expect(organiser.get_by_test_id("competition-state")).to_have_text(zh("Registration open"))
    organiser.screenshot(path=f"{SCREENS}/journey-competition-open-zh.png", full_page=True)

    # A worker of 南京钢铁集团 registers for the welding event.
    worker = open_as("zhang_sanming")
    worker.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh("Open registration")).click()
    worker.get_by_test_id(f"event-{welder}").get_by_role("button", name=zh("Register")).click()
    expect(worker.get_by_test_id("entry-status")).to_have_text(
        zh("Pending endorsement by the unit"))
    entry_id, _status = entry_of(live_app, welder)

    # The enterprise's organiser endorses it on the event's entries page.
    unit = open_as("ngt_organiser")
    unit.get_by_role("navigation", name=zh("Main")).get_by_role(
        "link", name=zh("Open registration")).click()
    unit.get_by_test_id(f"event-{welder}").get_by_role("link", name=zh("Entries")).click()
    unit.get_by_test_id(f"endorse-{entry_id}").click()
    row = unit.get_by_test_id(f"entry-{entry_id}")
    expect(row.get_by_test_id("entry-status")).to_have_text(
        zh("Pending approval by the organiser"))
    unit.screenshot(path=f"{SCREENS}/journey-unit-endorsed-zh.png", full_page=True)

    # The city organiser approves it.
    organiser.goto(detail)
    organiser.get_by_role("link", name=f"焊工 · {zh('Employee group')}").click()
    organiser.get_by_test_id(f"approve-{entry_id}").click()
    expect(organiser.get_by_test_id(f"entry-{entry_id}").get_by_test_id("entry-status")) \
        .to_have_text(zh("Approved"))
    assert entry_of(live_app, welder)[1] is EntryStatus.APPROVED

    # The city organiser imports 50 more into the electricians' event.
    organiser.goto(detail)
    organiser.get_by_role("link", name=f"电工 · {zh('Employee group')}").click()
    organiser.get_by_test_id("import-link").click()
    organiser.get_by_label(zh("Spreadsheet (.xlsx)")).set_input_files(files=[{
        "name": "电工报名表.xlsx", "mimeType": XLSX, "buffer": spreadsheet(employers)}])
    organiser.get_by_role("button", name=zh("Upload and check")).click()
    expect(organiser.get_by_test_id("import-errors")).to_have_count(0)
    counts = organiser.get_by_test_id("import-counts")
    expect(counts.locator("dd")).to_have_text([str(IMPORTED), str(IMPORTED), str(IMPORTED), "0"])
    organiser.screenshot(path=f"{SCREENS}/journey-import-preview-zh.png", full_page=True)
    organiser.get_by_test_id("lang-en").click()  # the preview, checked in English
    expect(counts).to_contain_text(en("Rows in the file"))
    expect(organiser.get_by_test_id("import-confirm")).to_have_text(en("Confirm the import"))
    organiser.screenshot(path=f"{SCREENS}/journey-import-preview-en.png", full_page=True)
    organiser.get_by_test_id("lang-zh").click()
    organiser.get_by_test_id("import-confirm").click()
    expect(organiser).to_have_url(f"{live_server}/registration/events/{electrician}/entries")
    organiser.get_by_test_id("approve-endorsed").click()
    expect(organiser.locator(".flash-success")).to_have_text(
        zh("Entries approved: %(n)d.", n=IMPORTED))
    expect(organiser.get_by_test_id("entry-status")).to_have_count(IMPORTED)
    expect(organiser.get_by_test_id("entry-status").filter(has_text=zh("Approved"))) \
        .to_have_count(IMPORTED)
    organiser.screenshot(path=f"{SCREENS}/journey-imported-approved-zh.png", full_page=True)

    # Registration closes; the draw runs for both events.
    organiser.goto(detail)
    organiser.get_by_test_id("open-close_registration").click()
    expect(organiser.get_by_test_id("effects-close_registration")).to_contain_text(
        zh("Workers can no longer register; %(waiting)d registration(s) still await "
           "endorsement or approval, and %(approved)d are approved.",
           waiting=0, approved=IMPORTED + 1))
    organiser.get_by_test_id("transition-close_registration").click()
    expect(organiser.get_by_test_id("competition-state")).to_have_text(
        zh("Registration closed, under review"))
    seen = {}  # every page the organiser sees after the draw, by name
    for occupation, event_id in events.items():
        organiser.goto(detail)  # the event's stage badge leads to its draw page
        organiser.locator(f'a[href="/registration/events/{event_id}/draw"]').click()
        organiser.get_by_test_id("run-draw").click()
        expect(organiser.get_by_test_id("event-stage")).to_have_text(
            zh("Drawn, marking not started"))
        seen[f"draw {occupation}"] = organiser.content()
    expect(organiser.get_by_test_id("drawn-entries").locator("tbody tr")).to_have_count(IMPORTED)
    organiser.screenshot(path=f"{SCREENS}/journey-draw-zh.png", full_page=True)
    pdf_url = live_server + organiser.get_by_test_id("checkin-pdf").get_attribute("href")
    pdf = organiser.request.get(pdf_url)  # the context's request shares its session cookie
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    organiser.goto(detail)
    expect(organiser.get_by_test_id("competition-state")).to_have_text(
        zh("Drawn, contest not started"))
    organiser.screenshot(path=f"{SCREENS}/journey-competition-drawn-zh.png", full_page=True)
    seen["competition"] = organiser.content()
    for occupation, event_id in events.items():
        organiser.goto(f"{live_server}/registration/events/{event_id}/entries")
        seen[f"entries {occupation}"] = organiser.content()
    blind = organiser.request.get(f"{live_server}/registration/events/{electrician}/blind-codes")
    assert blind.status == 403
    worker.goto(f"{live_server}/registration/entries")
    expect(worker.get_by_test_id("entry-status")).to_have_text(zh("Approved"))
    seen["worker's entries"] = worker.content()

    # The blind codes exist, and appear on none of those pages.
    with live_app.app_context():
        competition = db.session.get(Competition, competition_id)
        drawn = db.session.execute(sa.select(Entry.blind_code, Entry.checkin_code).where(
            Entry.event_id.in_(events.values()))).all()
        assert competition.name == name
    codes = [blind for blind, _checkin in drawn]
    assert len(codes) == IMPORTED + 1 and all(codes)
    # The pages were read after the draw: they show every check-in code, the blind code never.
    assert all(checkin in seen["draw 电工"] + seen["draw 焊工"] for _blind, checkin in drawn)
    leaks = {page: code for page, html in seen.items() for code in codes if code in html}
    assert leaks == {}
