"""Each person's dashboard lists what waits for them, with counts and a link: the organiser's
approvals, publications, finalisations and titles; the encryption officer's decryption; the
arbitrator's appeals; the chief judge's and judges' events; HR's promotions; a worker's own."""

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import current_app

from competitions.accounts.models import Role, RoleGrant
from competitions.accounts.todo import tasks_for
from competitions.contests.models import CompetitionState, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.promotion.levels import SkillLevel
from competitions.promotion.rules import preset
from competitions.promotion.worker_levels import set_level
from competitions.registration.models import EntryStatus, Nomination
from competitions.results import lifecycle
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.test_results import A1, B1, T1


def tasks(user, now=None) -> dict[str, int]:
    with current_app.test_request_context():  # the links are built as a page builds them
        return {task.key: task.count for task in tasks_for(user, now)}


def details(user, now=None) -> dict[str, str]:
    with current_app.test_request_context():
        return {task.key: task.detail for task in tasks_for(user, now)}


@pytest.fixture
def setup(tree):
    return MarkingSetup(tree).with_results_officials()


def test_registrations_wait_for_the_organiser_and_the_worker(app, client, tree, login_as):
    organiser = make_organiser(tree.city)
    event = make_event(make_competition(tree.city))
    worker = make_worker(tree.firm, name="周一鸣", user=make_user("zhou"))
    make_entry(event, worker, status=EntryStatus.PENDING_APPROVAL)
    make_entry(event, make_worker(tree.firm, name="吴二"), status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    assert tasks(organiser) == {"approve": 2}
    assert tasks(worker.user) == {"my_pending": 1}
    assert tasks(make_organiser(tree.other_city)) == {}
    login_as(organiser)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    task = re.search(r'data-testid="task-approve"><a href="([^"]+)"><span class="stat">2</span>'
                     r' ([^<]+)</a>', page)
    assert task and task.group(1) == f"/registration/events/{event.id}/entries"
    assert task.group(2) == "项报名待审核"


def test_each_results_step_is_on_the_next_persons_dashboard(setup):
    event_id = setup.event.id
    assert tasks(setup.judge2) == {f"mark-{event_id}": 4}
    setup.finish(A1, B1, T1, sign=False)
    assert tasks(setup.chief) == {f"sign_off-{event_id}": 1}
    assert tasks(setup.judge2) == {}  # every sheet is in
    from competitions.judging import signoff
    signoff.sign_off(setup.chief, setup.event)
    assert tasks(setup.officer) == {"decrypt": 1}
    lifecycle.decrypt(setup.officer, setup.event)
    assert tasks(setup.officer) == {} and tasks(setup.organiser)["publish"] == 1
    published = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=published)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "复核", now=published)
    assert tasks(setup.arbitrator) == {f"appeals-{event_id}": 1}
    assert tasks(setup.organiser)["appeals_open"] == 1
    later = published + timedelta(days=6)
    assert "finalise" not in tasks(setup.organiser, later)  # an appeal is still open
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="维持")
    assert tasks(setup.arbitrator) == {}
    assert tasks(setup.organiser, published + timedelta(days=1)) == {}  # notice running
    assert tasks(setup.organiser, later) == {"finalise": 1}


def test_titles_and_promotions_wait_for_their_deciders(setup, tree):
    setup.competition.title_rules = [["city_ladder", {}]]
    setup.competition.promotion_rules = preset("national_class1_2015").to_json()
    set_level(None, setup.workers[3], setup.event.occupation, SkillLevel.LEVEL_3,
              on=utcnow().date(), source="recorded")
    hr = make_user("hr")
    db.session.add(RoleGrant(user=hr, role=Role.HR_OFFICER, organisation=tree.province))
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    published = utcnow() - timedelta(days=6)
    lifecycle.publish(setup.organiser, setup.event, now=published)
    lifecycle.finalise(setup.organiser, setup.event, now=utcnow())
    db.session.commit()
    assert tasks(setup.organiser)["titles"] >= 1
    assert tasks(hr) == {"promotions": 1}
    assert "promotions" not in tasks(setup.organiser)  # organisers may not decide here


def test_a_person_with_nothing_to_do_is_told_so(client, tree, login_as):
    user = make_user("idle")
    db.session.commit()
    login_as(user)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    assert 'data-testid="todo-empty"' in page and "今天没有需要您处理的事项" in page


def _submit(setup, judge, marks):
    """`judge` submits every sheet: A1 30, and B1 from `marks` (entry index → mark) or 50."""
    from competitions.judging import marking
    index = {entry.blind_code: i for i, entry in enumerate(setup.entries)}
    for work in marking.judge_work(judge, setup.event):
        values = {c.id: Decimal(30) if c.id == setup.a1.id
                  else Decimal(marks.get(index[work.blind_code], 50)) for c in work.criteria}
        marking.save_sheet(judge, setup.event, work.blind_code, values, version=work.version,
                           submit=True)


def test_each_judge_sees_their_own_sheets_left_per_event(setup):
    """judge2 marks A1 and B1 of all four entrants; the conflicted judge only B1 of the two
    from other units, the reserve B1 of the two from the conflicted judge's group."""
    event_id = setup.event.id
    assert tasks(setup.judge2) == {f"mark-{event_id}": 4}
    assert tasks(setup.judge3) == {f"mark-{event_id}": 4}
    assert tasks(setup.conflicted) == {f"mark-{event_id}": 2}
    assert tasks(setup.reserve) == {f"mark-{event_id}": 2}
    from competitions.judging import marking
    work = marking.judge_work(setup.judge2, setup.event)[0]
    marking.save_sheet(setup.judge2, setup.event, work.blind_code,
                       {c.id: Decimal(30) for c in work.criteria}, version=work.version)
    assert tasks(setup.judge2) == {f"mark-{event_id}": 4}  # a draft is not submitted
    marking.save_sheet(setup.judge2, setup.event, work.blind_code,
                       {c.id: Decimal(30) for c in work.criteria}, version=work.version + 1,
                       submit=True)
    assert tasks(setup.judge2) == {f"mark-{event_id}": 3}
    detail = details(setup.judge2)[f"mark-{event_id}"]
    assert detail == "焊工 · 职工组（2026年南京市职工职业技能大赛）"
    with current_app.test_request_context():
        (task,) = tasks_for(setup.judge2)
    assert task.url == f"/judging/events/{event_id}/sheets"


def test_the_chief_judge_sees_missing_marks_then_flags_then_sign_off(setup):
    from competitions.judging import flags, score_import
    from tests.factories import make_xlsx
    event_id = setup.event.id
    # 4 A1 marks, 4 × 3 B1 marks and 4 theory scores
    assert tasks(setup.chief) == {f"missing-{event_id}": 20}
    for judge in (setup.conflicted, setup.judge2, setup.reserve):
        _submit(setup, judge, {})
    _submit(setup, setup.judge3, {0: 10})  # 40 of 60 apart from the others on entry 0
    assert tasks(setup.chief) == {f"flags-{event_id}": 1, f"missing-{event_id}": 4}
    staged = score_import.stage_upload(setup.chief, setup.event, "theory.xlsx", make_xlsx(
        ["加密号", "T1"], [[entry.blind_code, "80"] for entry in setup.entries]))
    score_import.confirm(setup.chief, staged)
    assert tasks(setup.chief) == {f"flags-{event_id}": 1}
    flags.accept_flag(setup.chief, setup.event, setup.entries[0], setup.b1, "讨论后维持")
    assert tasks(setup.chief) == {f"sign_off-{event_id}": 1}
    with current_app.test_request_context():
        (task,) = tasks_for(setup.chief)
    assert task.url == f"/judging/events/{event_id}/overview"
    assert "2026年南京市职工职业技能大赛" in task.detail


def test_marking_tasks_take_the_same_queries_for_one_event_or_two(setup, tree):
    import sqlalchemy as sa
    second = MarkingSetup(tree)
    db.session.add(RoleGrant(user=setup.judge2, role=Role.JUDGE, event_id=second.event.id))
    db.session.add(RoleGrant(user=setup.judge2, role=Role.CHIEF_JUDGE,
                             event_id=second.event.id))
    db.session.flush()

    def queries(user):
        db.session.expire_all()
        statements = []
        def count(*args):
            statements.append(args[2])
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = tasks(user)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return found, len(statements)

    one, one_count = queries(setup.judge3)
    both, both_count = queries(setup.judge2)
    assert one == {f"mark-{setup.event.id}": 4}
    assert both == {f"mark-{setup.event.id}": 4, f"missing-{second.event.id}": 20}
    assert both_count <= one_count + 2  # the judge's second grant, not a query per event


def test_events_ready_to_draw_wait_for_the_organiser(tree):
    organiser = make_organiser(tree.city)
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    ready, undecided, empty = (make_event(competition, name) for name in ("焊工", "电工", "钳工"))
    make_entry(ready, make_worker(tree.firm, name="甲"))
    make_entry(ready, make_worker(tree.firm, name="乙"), status=EntryStatus.REJECTED)
    make_entry(undecided, make_worker(tree.firm, name="丙"))
    make_entry(undecided, make_worker(tree.firm, name="丁"), status=EntryStatus.PENDING_APPROVAL)
    make_entry(make_event(make_competition(tree.city, name="报名中的竞赛"), "焊工"),
               make_worker(tree.firm, name="戊"))  # registration still open
    db.session.commit()
    found = tasks(organiser)
    assert found["draw"] == 1 and found["approve"] == 1
    with current_app.test_request_context():
        draw = next(t for t in tasks_for(organiser) if t.key == "draw")
    assert draw.url == f"/registration/events/{ready.id}/draw"
    assert "draw" not in tasks(make_organiser(tree.other_city))


def test_nominees_not_yet_registered_wait_for_the_receiving_organiser(tree):
    organiser = make_organiser(tree.city)
    event = make_event(make_competition(tree.city))
    registered, waiting = make_worker(tree.firm, name="甲"), make_worker(tree.firm, name="乙")
    for worker in (registered, waiting):
        db.session.add(Nomination(event=event, worker=worker, nominated_by=tree.firm))
    make_entry(event, registered)
    db.session.commit()
    assert tasks(organiser) == {"nominees": 1}
    make_entry(event, waiting, status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    assert "nominees" not in tasks(organiser)


def test_the_arbitrator_sees_each_events_appeals_with_their_deadlines(setup):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    published = datetime(2026, 12, 1, 2, 0)  # 10:00 in Shanghai
    lifecycle.publish(setup.organiser, setup.event, now=published)
    lifecycle.file_appeal(setup.entrant, setup.entries[1], "复核", now=published)
    detail = details(setup.arbitrator)[f"appeals-{setup.event.id}"]
    assert detail.startswith("焊工 · 职工组（2026年南京市职工职业技能大赛）")
    assert "申诉截止 2026年12月" in detail and "公示期结束" in detail


def test_a_worker_sees_the_registration_deadline_and_where_to_check_in(client, tree,
                                                                       login_as):
    worker = make_worker(tree.firm, name="周一鸣", user=make_user("zhou"))
    pending = make_competition(tree.city, name="2027年南京市职工职业技能大赛",
                               registration_closes_at=datetime(2027, 1, 10, 9, 0))
    make_entry(make_event(pending), worker, status=EntryStatus.PENDING_ENDORSEMENT)
    drawn = make_event(make_competition(tree.city, state=CompetitionState.DRAWN),
                       checkin_at=datetime(2026, 12, 8, 0, 30), venue="南京技师学院实训楼",
                       stage=EventStage.DRAWN)
    entry = make_entry(drawn, worker)
    entry.checkin_code = "J003"
    db.session.commit()
    found = details(worker.user)
    assert found["my_pending"] == ("焊工 · 职工组（2027年南京市职工职业技能大赛）："
                                   "报名截止 2027年1月10日 17:00")
    assert found["my_checkin"] == ("焊工 · 职工组（2026年南京市职工职业技能大赛）：检录号 J003，"
                                   "检录时间 2026年12月8日 08:30，地点 南京技师学院实训楼")
    login_as(worker.user)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    assert "南京技师学院实训楼" in page and "2026年12月8日 08:30" in page


def test_each_role_is_named_once_with_its_event_or_competition(client, tree, login_as):
    competition = make_competition(tree.city)
    welding, electrics = make_event(competition), make_event(competition, "电工")
    user = make_user("official")
    for grant in (RoleGrant(role=Role.JUDGE, event_id=welding.id),
                  RoleGrant(role=Role.JUDGE, event_id=electrics.id),
                  RoleGrant(role=Role.CHIEF_JUDGE, event_id=welding.id),
                  RoleGrant(role=Role.ARBITRATOR, competition_id=competition.id),
                  RoleGrant(role=Role.ORGANISER, organisation=tree.city)):
        grant.user = user
        db.session.add(grant)
    db.session.commit()
    login_as(user)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    roles = page.split('data-testid="my-roles"')[1].split("</section>")[0]
    items = [re.sub(r"<[^>]+>|\s+", "", item)
             for item in re.findall(r"<li>(.*?)</li>", roles, re.S)]
    assert items == [
        f"组织者·{tree.city.name}",
        "裁判·焊工·职工组（2026年南京市职工职业技能大赛）",
        "裁判·电工·职工组（2026年南京市职工职业技能大赛）",
        "裁判长·焊工·职工组（2026年南京市职工职业技能大赛）",
        "仲裁·2026年南京市职工职业技能大赛",
    ]
    assert "裁判 / 裁判" not in page
