"""In a real browser: the whole life of one event, from a worker's registration to the final
results and his certificate, as each role in turn (issue 15). At every handover the next
person is told, in the app and by e-mail (a local SMTP server), and their dashboard lists the
task; its link is how they get to work. Time passes across the public notice on the one clock
of services and views (DESIGN.md §6), not by waiting.

Set up directly: the organisations, the people, three entrants already approved, the marking
scheme and its panels. Everything that hands the event on goes through the pages."""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.services import verify_chain
from competitions.contests.models import Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import panels, services
from competitions.judging.models import ComponentKind, CriterionKind
from competitions.judging.signoff import reconcile_marks
from competitions.notifications import outbox
from competitions.notifications.outbox import SUBJECT_LENGTH
from competitions.promotion.levels import SkillLevel
from competitions.registration.models import Entry, EntryMember, Worker
from tests import factories
from tests.browser.test_account_security import PHONE, new_browser
from tests.browser.test_judging_journey import JudgeSession, mark_sheets
from tests.browser.test_login_language import log_in, watch_console
from tests.browser.test_results_journey import deadline, flash, label, nav
from tests.browser.test_results_journey import sign_off as sign_off_on_overview
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SCREENS = "/tmp/screens"

COMPETITION = "2026年南京市职工职业技能大赛"
VENUE = "南京技师学院实训楼"
WORKER, WORKER_NAME = "zhang_sanming", "张三明"  # registers himself, appeals, is certified
UNIT, ORGANISER = "ngt_organiser", "nj_organiser"  # 南京钢铁集团's union; the city union
CHIEF, OFFICER, ARBITRATOR = "chief_zheng", "officer_zhou", "arbiter_huang"
JUDGE_A1, JUDGE_B1 = "judge_sun", "judge_li"  # one measurement each: A1, B1
PEOPLE = {  # username → display name
    WORKER: WORKER_NAME, UNIT: "南钢工会", ORGANISER: "南京市总工会", CHIEF: "郑国强",
    OFFICER: "周文静", ARBITRATOR: "黄仲明", JUDGE_A1: "孙红梅", JUDGE_B1: "李建华"}
# The other entrants, already approved: name → employer.
OTHERS = {"王大明": "南京第一机床厂", "赵志强": "南京汽轮机厂", "陈美玲": "南京电力设备厂"}
# Marks by entrant: A1 of 40, B1 of 60 (one judge each, the practical alone counts: 100 %).
A1 = {WORKER_NAME: "36", "王大明": "38", "赵志强": "30", "陈美玲": "32"}
B1 = {WORKER_NAME: "40", "王大明": "54", "赵志强": "42", "陈美玲": "45"}
# His appeal upheld, his B1 becomes 58: 94, first (from 76, third).
CORRECTED_B1 = "58"


def email(username: str) -> str:
    return f"{username}@example.cn"


@dataclass
class Life:
    """What the test knows of the event as it goes."""
    competition_id: int
    event_id: int
    event_name: str  # 焊工 · 职工组, as the pages and notifications name it
    checkin_at: object  # naive UTC
    entry_id: int = 0  # the worker's own entry, once he has registered
    codes: dict[str, str] = field(default_factory=dict)  # entrant name → blind code

    @property
    def drawn(self):  # what JudgeSession needs of the event
        return DrawnEvent(self.event_id, self.event_name,
                          [self.codes[name] for name in A1])


@dataclass
class DrawnEvent:
    id: int
    name: str
    codes: list[str]  # blind codes, in the order of A1's entrants


def set_up(live_app) -> Life:
    """The tree, the people (each with an e-mail address), a city competition taking
    registrations for its welding event (check-in in three days at VENUE), three entrants
    already approved, the marking scheme and its panels."""
    with live_app.app_context():
        tree = factories.Tree()
        organiser = factories.make_organiser(tree.city, ORGANISER)
        factories.make_organiser(tree.firm, UNIT)
        competition = factories.make_competition(tree.city, name=COMPETITION)
        checkin_at = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        event = factories.make_event(competition, "焊工", checkin_at=checkin_at, venue=VENUE)
        user = factories.make_user(WORKER)
        factories.make_worker(tree.firm, name=WORKER_NAME, user=user,
                              skill_level=SkillLevel.LEVEL_4)
        for i, (name, unit) in enumerate(OTHERS.items()):
            worker = factories.make_worker(factories.make_enterprise(tree.city, unit),
                                           name=name, phone=f"1391234567{i}")
            factories.make_entry(event, worker)
        college = factories.make_enterprise(tree.other_city, "苏州技师学院")
        officials = {}
        for username, role in ((CHIEF, Role.CHIEF_JUDGE), (JUDGE_A1, Role.JUDGE),
                               (JUDGE_B1, Role.JUDGE)):
            officials[username] = factories.make_user(username)
            panels.appoint_official(organiser, event, officials[username], role, college)
        for username, role in ((OFFICER, Role.ENCRYPTION_OFFICER),
                               (ARBITRATOR, Role.ARBITRATOR)):
            db.session.add(RoleGrant(user=factories.make_user(username), role=role,
                                     competition_id=competition.id))
        scheme = services.scheme_for(organiser, event)
        practical = services.add_component(organiser, scheme, name="实操",
                                           kind=ComponentKind.PRACTICAL, weight=D(100))
        a1 = services.add_criterion(organiser, practical, code="A1", description="尺寸精度",
                                    max_mark=D(40), kind=CriterionKind.MEASUREMENT)
        b1 = services.add_criterion(organiser, practical, code="B1", description="焊缝余高",
                                    max_mark=D(60), kind=CriterionKind.MEASUREMENT)
        panels.set_panel(organiser, a1, [officials[JUDGE_A1]])
        panels.set_panel(organiser, b1, [officials[JUDGE_B1]])
        db.session.flush()
        for username, name in PEOPLE.items():
            person = db.session.scalar(sa.select(User).where(
                User.username == username))
            person.display_name, person.email = name, email(username)
        db.session.commit()
        return Life(competition.id, event.id, event.name, checkin_at)


# --- a handover: the message in the app, in the mailbox, and the task on the dashboard --------

class Handovers:
    def __init__(self, live_app, live_server, clock, smtp, zh):
        self.app, self.server, self.clock, self.smtp, self.zh = (live_app, live_server, clock,
                                                                 smtp, zh)
        self.pages = {}

    def event(self):
        return f"焊工 · {self.zh('Employee group')}"

    def when(self, moment) -> str:
        """A moment as messages write it (local_time, Beijing time, in Chinese)."""
        return deadline(self.app, moment)

    def send_mail(self):
        """What the outbox holds goes out, on the test's clock (`flask notifications send`)."""
        with self.app.app_context(), self.clock.running():
            report = outbox.send_due(now=self.clock.now())
        assert report.failed == 0 and report.retrying == 0

    def mailed(self, username: str, message: str):
        subject = re.sub(r"\s+", " ", message).strip()
        if len(subject) > SUBJECT_LENGTH:
            subject = subject[:SUBJECT_LENGTH - 1] + "…"
        mails = self.smtp.mailbox.to(email(username))
        assert subject in [mail["Subject"] for mail in mails], (username, subject)
        mail = next(m for m in mails if m["Subject"] == subject)
        body = self.smtp.mailbox.body(mail)
        assert self.zh("Dear %(name)s,", name=PEOPLE[username]) in body
        assert message in re.sub(r"\s+", " ", body) or message in body

    def told(self, username: str, message: str, task: str | None = None):
        """`username` was told `message` (in the app and by e-mail), and their dashboard lists
        `task` (a data-testid key of todo.py); returns their page, on the dashboard."""
        self.send_mail()
        self.mailed(username, message)
        page = self.pages[username]
        page.goto(f"{self.server}/notifications/")
        expect(page.get_by_role("heading", level=1)).to_have_text(self.zh("Notifications"))
        expect(page.locator("main table").get_by_role("link", name=message, exact=True)) \
            .to_have_count(1)
        page.goto(f"{self.server}/accounts/dashboard")
        if task is not None:
            expect(self.task(page, task)).to_be_visible()
        return page

    @staticmethod
    def task(page, key):
        return page.get_by_test_id("todo").get_by_test_id(f"task-{key}")

    def follow(self, page, key):
        """From the dashboard, the task's link."""
        self.task(page, key).get_by_role("link").click()


def fits_a_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def read_codes(live_app, life: Life):
    with live_app.app_context():
        rows = db.session.execute(
            sa.select(Worker.name, Entry.blind_code, Entry.entry_number)
            .join(EntryMember, EntryMember.entry_id == Entry.id)
            .join(Worker, Worker.id == EntryMember.worker_id)
            .where(Entry.event_id == life.event_id)).all()
    life.codes = {name: code for name, code, _number in rows}
    return {name: number for name, _code, number in rows}


def test_event_life_from_registration_to_final_results(browser, live_app, live_server,
                                                      live_clock, live_smtp, open_as, zh):
    life = set_up(live_app)
    hand = Handovers(live_app, live_server, live_clock, live_smtp, zh)
    event = hand.event()
    # The clock stands still while the event runs (every request at the same moment), so that
    # each handover's times are the ones the test computes.
    live_clock.moment = utcnow().replace(microsecond=0)
    for username in (WORKER, UNIT, ORGANISER, CHIEF, JUDGE_A1, JUDGE_B1, OFFICER, ARBITRATOR):
        hand.pages[username] = open_as(username)
    worker, unit, organiser = hand.pages[WORKER], hand.pages[UNIT], hand.pages[ORGANISER]
    chief, officer, arbitrator = hand.pages[CHIEF], hand.pages[OFFICER], hand.pages[ARBITRATOR]

    # 1. The worker registers himself → his unit's organiser is to endorse it.
    nav(worker, zh, "Open registration")
    worker.get_by_test_id(f"event-{life.event_id}").get_by_role(
        "button", name=zh("Register")).click()
    expect(worker.get_by_test_id("entry-status")).to_have_text(
        zh("Pending endorsement by the unit"))
    worker.goto(f"{live_server}/accounts/dashboard")
    expect(hand.task(worker, "my_pending")).to_be_visible()
    with live_app.app_context():
        life.entry_id = db.session.scalar(sa.select(Entry.id).join(EntryMember).join(
            Worker).where(Worker.name == WORKER_NAME))
    unit = hand.told(UNIT, zh(
        "%(names)s registered for %(event)s of %(competition)s: the entry awaits your unit's "
        "endorsement.", names=WORKER_NAME, event=event, competition=COMPETITION), "endorse")

    # 2. The unit endorses it (from its dashboard) → the city organiser is to approve it.
    hand.follow(unit, "endorse")
    unit.get_by_test_id(f"endorse-{life.entry_id}").click()
    expect(unit.get_by_test_id(f"entry-{life.entry_id}").get_by_test_id("entry-status")) \
        .to_have_text(zh("Pending approval by the organiser"))
    organiser = hand.told(ORGANISER, zh(
        "%(names)s's entry for %(event)s of %(competition)s awaits your approval.",
        names=WORKER_NAME, event=event, competition=COMPETITION), "approve")
    hand.told(WORKER, zh("Your entry for %(event)s: %(status)s.", event=event,
                         status=zh("Pending approval by the organiser")), "my_pending")

    # 3. The organiser approves it → the worker hears.
    hand.follow(organiser, "approve")
    organiser.get_by_test_id(f"approve-{life.entry_id}").click()
    expect(organiser.get_by_test_id(f"entry-{life.entry_id}").get_by_test_id("entry-status")) \
        .to_have_text(zh("Approved"))
    hand.told(WORKER, zh("Your entry for %(event)s: %(status)s.", event=event,
                         status=zh("Approved")))

    # 4. The organiser closes registration (its effects said first) and, from the dashboard,
    # draws the event → the worker hears his entry number and when and where to check in.
    organiser.goto(f"{live_server}/contests/{life.competition_id}")
    organiser.get_by_test_id("open-close_registration").click()
    expect(organiser.get_by_test_id("effects-close_registration")).to_be_visible()
    organiser.get_by_test_id("transition-close_registration").click()
    expect(organiser.get_by_test_id("competition-state")).to_have_text(
        zh("Registration closed, under review"))
    organiser.goto(f"{live_server}/accounts/dashboard")
    hand.follow(organiser, "draw")
    organiser.get_by_test_id("run-draw").click()
    expect(organiser.get_by_test_id("event-stage")).to_have_text(
        zh("Drawn, marking not started"))
    numbers = read_codes(live_app, life)
    worker = hand.told(WORKER, zh(
        "The draw for %(event)s is done: your entry number is %(number)s. Check in at "
        "%(venue)s on %(time)s.", event=event, number=numbers[WORKER_NAME], venue=VENUE,
        time=hand.when(life.checkin_at)), "my_checkin")
    checkin = hand.task(worker, "my_checkin")
    expect(checkin).to_contain_text(VENUE)
    expect(checkin).to_contain_text(hand.when(life.checkin_at))
    worker.screenshot(path=f"{SCREENS}/life-worker-checkin-zh.png", full_page=True)

    # … and on his phone, the dashboard and the notifications fit the screen.
    context, phone = new_browser(browser, PHONE)
    try:
        errors = watch_console(phone)
        log_in(phone, live_server, WORKER, PASSWORD)
        expect(hand.task(phone, "my_checkin")).to_contain_text(VENUE)
        fits_a_phone(phone)
        phone.screenshot(path=f"{SCREENS}/life-worker-phone-dashboard-zh.png", full_page=True)
        phone.goto(f"{live_server}/notifications/")
        expect(phone.locator("main table tbody tr")).to_have_count(4)
        fits_a_phone(phone)
        phone.screenshot(path=f"{SCREENS}/life-worker-phone-notifications-zh.png",
                         full_page=True)
        assert errors == []
    finally:
        context.close()

    # 5. The chief judge starts the marking → each judge has sheets to mark.
    nav(chief, zh, "Judging")
    chief.locator("main table tbody tr").filter(has_text=life.event_name).get_by_role(
        "link", name=zh("Judges and panels"), exact=True).click()
    chief.get_by_test_id("start-marking").click()  # its confirmation is accepted
    expect(flash(chief)).to_have_text(zh("Marking has started; the scheme is locked."))
    ready = zh("Marking of %(event)s (%(competition)s) has started: your score sheets are "
               "ready.", event=event, competition=COMPETITION)
    for username, marks in ((JUDGE_A1, A1), (JUDGE_B1, B1)):
        page = hand.told(username, ready, f"mark-{life.event_id}")
        expect(hand.task(page, f"mark-{life.event_id}").locator(".stat")).to_have_text("4")
        # 6. Each judge marks his four sheets at the keyboard.
        judge = JudgeSession(page, zh, life.drawn)
        judge.open_list()
        mark_sheets(judge, {i: {"mark": marks[name]} for i, name in enumerate(marks)},
                    draft_first=False)
        page.goto(f"{live_server}/accounts/dashboard")
        expect(hand.task(page, f"mark-{life.event_id}")).to_have_count(0)

    # 7. Every mark is in: the chief judge's dashboard says so; he signs off → the encryption
    # officer is to decrypt.
    chief.goto(f"{live_server}/accounts/dashboard")
    hand.follow(chief, f"sign_off-{life.event_id}")
    sign_off_on_overview(chief, zh)
    officer = hand.told(OFFICER, zh(
        "%(event)s (%(competition)s) is signed off by its chief judge and waits for "
        "decryption.", event=event, competition=COMPETITION), "decrypt")

    # 8. The officer decrypts → the organiser is to publish.
    hand.follow(officer, "decrypt")
    officer.get_by_test_id("decrypt").click()  # confirmation accepted
    expect(flash(officer)).to_have_text(
        zh("The event is decrypted: names now appear beside the scores."))
    organiser = hand.told(ORGANISER, zh(
        "%(event)s (%(competition)s) is decrypted: its results are ready to publish.",
        event=event, competition=COMPETITION), "publish")

    # 9. The organiser publishes → the worker hears, with the notice's end.
    publish_from_dashboard(hand, organiser, life)
    closes, ends = notice(live_app, life)
    assert ends == live_clock.moment + timedelta(days=5)
    worker = hand.told(WORKER, published(hand, closes, ends))
    nav(worker, zh, "My entries")
    expect(worker.get_by_test_id(f"result-{life.entry_id}")).to_contain_text(
        zh("Rank %(rank)d, %(total)s points", rank=3, total="76.00"))

    # 10. Two days into the notice, the worker appeals → the arbitrator is to decide.
    live_clock.moment += timedelta(days=2)
    worker = hand.pages[WORKER] = open_as(WORKER)  # two days on: a new session
    arbitrator = hand.pages[ARBITRATOR] = open_as(ARBITRATOR)
    nav(worker, zh, "My entries")
    worker.get_by_test_id(f"appeal-{life.entry_id}").click()
    form = worker.get_by_test_id("appeal-form")
    form.get_by_label(label(zh("The appeal"))).fill("本人 B1 焊缝余高评分明显偏低，请求复核。")
    form.get_by_role("button", name=zh("File the appeal")).click()
    expect(flash(worker)).to_have_text(zh(
        "Your appeal is filed. The arbitrators will decide it; their decision is final."))
    arbitrator = hand.told(ARBITRATOR, zh(
        "A new appeal against the results of %(event)s awaits your decision; the notice ends "
        "on %(end)s.", event=event, end=hand.when(ends)), f"appeals-{life.event_id}")
    expect(hand.task(arbitrator, f"appeals-{life.event_id}")).to_contain_text(hand.when(ends))
    hand.told(WORKER, zh("The appeal about %(event)s is received; the arbitrators will decide "
                         "it.", event=event))

    # 11. The arbitrator upholds it, naming B1 → the chief judge is to re-check that mark of
    # that blind code; the worker hears the decision.
    hand.follow(arbitrator, f"appeals-{life.event_id}")
    reasons = "经调阅现场照片与评分记录，B1 评分有误，申诉成立。"
    decide = arbitrator.get_by_test_id("decide-form")
    decide.get_by_label(zh("Uphold: the chief judge corrects the marks")).check()
    decide.get_by_label(label(zh("Criterion to re-check (when upholding)"))).select_option(
        label="B1 焊缝余高")
    decide.get_by_label(label(zh("Reasons for the decision"))).fill(reasons)
    decide.get_by_role("button", name=zh("Record the decision")).click()  # confirmed
    expect(arbitrator.get_by_test_id("decision-reasons")).to_have_text(reasons)
    code = life.codes[WORKER_NAME]
    chief = hand.pages[CHIEF] = open_as(CHIEF)
    upheld = zh("An appeal in %(event)s was upheld: re-check %(code)s on criterion "
                "%(criterion)s. Marking is reopened for your correction.", event=event,
                code=code, criterion="B1 焊缝余高")
    chief = hand.told(CHIEF, upheld, f"sign_off-{life.event_id}")
    hand.told(WORKER, zh("The appeal about %(event)s was upheld: %(reason)s The marks are "
                         "re-checked and the results will be published again.", event=event,
                         reason=reasons))
    # The chief judge opens the appeal from his notification: the code and the criterion.
    chief.goto(f"{live_server}/notifications/")
    chief.get_by_role("link", name=upheld).click()
    expect(chief.get_by_test_id("appeal-blind-code")).to_have_text(code)
    expect(chief.get_by_test_id("appeal-criterion")).to_have_text("B1 焊缝余高")

    # 12. He corrects B1 and signs off again; the organiser publishes again.
    chief.goto(f"{live_server}/judging/events/{life.event_id}/entries/{code}")
    line = chief.get_by_test_id(f"line-B1-{JUDGE_B1}")
    line.get_by_label(zh("New mark")).fill(CORRECTED_B1)
    line.get_by_label(zh("Reason")).fill("仲裁组支持申诉：B1 焊缝余高按复核结果更正。")
    line.get_by_role("button", name=zh("Correct"), exact=True).click()
    expect(flash(chief)).to_have_text(zh("Mark %(code)s corrected.", code="B1"))
    chief.goto(f"{live_server}/accounts/dashboard")
    hand.follow(chief, f"sign_off-{life.event_id}")
    sign_off_on_overview(chief, zh)
    organiser = hand.pages[ORGANISER] = open_as(ORGANISER)
    organiser = hand.told(ORGANISER, zh(
        "%(event)s (%(competition)s) is signed off again after the appeal: publish the "
        "corrected results.", event=event, competition=COMPETITION), "publish")
    hand.follow(organiser, "publish")
    republish(hand, organiser)
    first_ends, (closes, ends) = ends, notice(live_app, life)
    assert ends == live_clock.moment + timedelta(days=5) and ends > first_ends
    worker = hand.told(WORKER, published(hand, closes, ends))
    nav(worker, zh, "My entries")
    expect(worker.get_by_test_id(f"result-{life.entry_id}")).to_contain_text(
        zh("Rank %(rank)d, %(total)s points", rank=1, total="94.00"))

    # 13. The clock moves past the notice's end: the organiser's dashboard says to finalise;
    # he does → the worker hears his certificate is ready.
    assert "finalise" not in tasks_of(hand, organiser)
    live_clock.moment = ends + timedelta(minutes=1)
    organiser = hand.pages[ORGANISER] = open_as(ORGANISER)
    hand.follow(organiser, "finalise")
    organiser.get_by_test_id("finalise").click()  # confirmation accepted
    expect(organiser.locator(".flash-success", has_text=zh("The results are final."))) \
        .to_be_visible()
    expect(organiser.get_by_test_id("event-stage")).to_have_text(zh("Results final"))
    organiser.goto(f"{live_server}/accounts/dashboard")
    expect(hand.task(organiser, "finalise")).to_have_count(0)
    worker = hand.pages[WORKER] = open_as(WORKER)
    worker = hand.told(WORKER, zh(
        "Your certificate for %(event)s of %(competition)s is ready to download.",
        event=event, competition=COMPETITION))
    expect(worker.get_by_test_id("dashboard-certificates")).to_be_visible()
    worker.screenshot(path=f"{SCREENS}/life-worker-final-zh.png", full_page=True)

    with live_app.app_context():
        checked, problem = verify_chain()
        assert problem is None and checked > 0
        assert reconcile_marks() == []


def tasks_of(hand: Handovers, page) -> list[str]:
    page.goto(f"{hand.server}/accounts/dashboard")
    return [key.removeprefix("task-") for key in page.get_by_test_id("todo").locator(
        "[data-testid^=task-]").evaluate_all("nodes => nodes.map(n => n.dataset.testid)")]


def notice(live_app, life: Life):
    with live_app.app_context():
        event = db.session.get(Event, life.event_id)
        return event.appeals_close_at, event.notice_ends_at


def published(hand: Handovers, closes, ends) -> str:
    return hand.zh("The results of %(event)s (%(competition)s) are published and on public "
                   "notice until %(end)s; appeals are accepted until %(deadline)s.",
                   event=hand.event(), competition=COMPETITION, end=hand.when(ends),
                   deadline=hand.when(closes))


def publish_from_dashboard(hand: Handovers, page, life: Life):
    hand.follow(page, "publish")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        hand.zh("Results: %(event)s", event=life.event_name))
    republish(hand, page)


def republish(hand: Handovers, page):
    page.get_by_test_id("publish").click()  # confirmation accepted
    expect(page.get_by_test_id("event-stage")).to_have_text(
        hand.zh("Results under public notice"))
