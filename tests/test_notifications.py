"""Notifications at each handover (issue 15): who is told, what they read, and the e-mail
outbox that copies it (written with the change, sent after commit, retried, sent once)."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from competitions.contests.models import CompetitionState
from competitions.database import utcnow
from competitions.extensions import db
from competitions.notifications import outbox, services
from competitions.notifications.kinds import RENDERERS
from competitions.notifications.models import Notification, OutboxMessage
from competitions.registration import draw, entries
from competitions.results import lifecycle
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
)
from tests.mailbox import free_port

A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]


def told(user, kind=None) -> list[str]:
    """What `user`'s inbox says, newest first, rendered in Chinese."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    with current_app.test_request_context(), force_locale("zh"):
        return [services.render(n)[0]
                for n in db.session.scalars(stmt.order_by(Notification.id.desc()))]


def mails(address) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.to_address == address).order_by(OutboxMessage.id)))


# The outbox


def test_a_notification_is_copied_to_the_outbox_in_the_readers_language_with_public_links(
        app, tree):
    app.config["PUBLIC_BASE_URL"] = "https://jingsai.example.cn/platform"
    chinese = make_user("wang", email="wang@example.cn", display_name="王工")
    english = make_user("smith", email="smith@example.com", locale="en")
    for user in (chinese, english):
        services.notify(user.id, "entry_status", entry_id=1, event_id=1, occupation="焊工",
                        group="employee", competition="2026年南京市职工职业技能大赛",
                        status="rejected", reason="年龄不符\nBcc: evil@example.com <b>")
    db.session.commit()
    [zh], [en] = mails("wang@example.cn"), mails("smith@example.com")
    assert zh.subject.startswith("您报名的焊工") and "\n" not in zh.subject
    assert "Your entry for 焊工 · " in en.subject
    assert "王工" in zh.body and "年龄不符\nBcc: evil@example.com <b>" in zh.body
    assert "https://jingsai.example.cn/platform/registration/entries" in zh.body
    assert "https://jingsai.example.cn/platform/notifications/settings" in en.body


def test_no_copy_without_an_address_when_turned_off_or_when_the_change_is_rolled_back(
        app, tree):
    silent = [make_user("noaddress"), make_user("off", email="off@example.cn",
                                                email_notifications=False),
              make_user("gone", email="gone@example.cn", active=False)]
    wanted = make_user("on", email="on@example.cn")
    db.session.commit()
    services.notify_many([u.id for u in silent], "event_ready", task="mark", event_id=1,
                         occupation="焊工", group="employee", competition="赛")
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 3
    services.notify(wanted.id, "event_ready", task="mark", event_id=1, occupation="焊工",
                    group="employee", competition="赛")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_the_outbox_is_sent_once_through_smtp(app, tree, smtp):
    user = make_user("li", email="li@example.cn", display_name="李工")
    services.notify(user.id, "event_ready", task="decrypt", event_id=7, occupation="焊工",
                    group="employee", competition="2026年南京市职工职业技能大赛")
    db.session.commit()
    report = outbox.send_due()
    assert (report.sent, report.failed, report.waiting) == (1, 0, 0)
    [message] = smtp.mailbox.to("li@example.cn")
    assert "等待解密" in message["Subject"] and message["Auto-Submitted"] == "auto-generated"
    assert "/results/events/7" in smtp.mailbox.body(message)
    assert outbox.send_due().sent == 0 and len(smtp.mailbox.messages) == 1
    assert mails("li@example.cn")[0].sent_at is not None


def test_a_failed_send_waits_longer_each_time_then_gives_up(app, tree):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=3)
    user = make_user("zhao", email="zhao@example.cn")
    services.notify(user.id, "event_ready", task="mark", event_id=1, occupation="焊工",
                    group="employee", competition="赛")
    db.session.commit()
    now = utcnow()
    assert outbox.send_due(now).retrying == 1
    [row] = mails("zhao@example.cn")
    assert row.attempts == 1 and row.send_after == now + timedelta(minutes=1)
    assert row.last_error and row.sent_at is None
    assert outbox.send_due(now + timedelta(seconds=30)).retrying == 0  # not due yet
    later = now + timedelta(minutes=1)
    assert outbox.send_due(later).retrying == 1
    assert row.send_after == later + timedelta(minutes=2)
    report = outbox.send_due(later + timedelta(minutes=2))
    assert report.failed == 1 and row.failed_at is not None and report.waiting == 0


def test_the_send_command_says_when_no_server_is_set_and_sends_when_one_is(app, tree, smtp):
    user = make_user("qian", email="qian@example.cn")
    services.notify(user.id, "event_ready", task="mark", event_id=1, occupation="焊工",
                    group="employee", competition="赛")
    db.session.commit()
    runner = app.test_cli_runner()
    app.config["MAIL_SERVER"] = None
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code != 0 and "1 e-mails wait in the outbox" in result.output
    smtp.configure(app)
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0 and "Sent 1" in result.output
    assert len(smtp.mailbox.to("qian@example.cn")) == 1


SAMPLES = {
    "entry_submitted": {"step": "endorse", "names": "王大明"},
    "entry_status": {"status": "approved", "entry_id": 1},
    "entry_drawn": {"entry_number": "001", "checkin_at": "2027-03-15T01:00:00",
                    "venue": "南京技师学院实训楼"},
    "sheet_returned": {"blind_code": "ACDEFGHJ", "reason": "漏评"},
    "event_ready": {"task": "publish"},
    "results_published": {"notice_ends": "2027-03-20T09:00:00",
                          "appeals_close": "2027-03-20T09:00:00", "version": 1},
    "appeal_filed": {"appeal_id": 1, "notice_ends": "2027-03-20T09:00:00"},
    "appeal_status": {"appeal_id": 1, "status": "dismissed", "reason": "评分无误"},
    "appeal_upheld": {"appeal_id": 1, "blind_code": "ACDEFGHJ", "criterion": "B1 焊缝外观"},
    "nominated": {"source": "2026年南京市职工职业技能大赛"},
    "unit_nominated": {"names": "王大明", "closes": None},
    "certificate_issued": {},
    "promotion_decided": {"status": "confirmed", "worker_id": 1, "name": "王大明",
                          "level": "level2"},
    "promotion_pending": {"count": 2, "competition_id": 1, "expires": "2027-06-01T00:00:00"},
    "password_reset": {"at": "2027-03-15T01:00:00", "by": "李组织"},
}


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_every_kind_reads_in_chinese_and_english(app, kind):
    params = {"event_id": 1, "occupation": "焊工", "group": "employee",
              "competition": "2027年江苏省职工职业技能大赛", **SAMPLES[kind]}
    with app.test_request_context():
        texts = {}
        for locale in ("zh", "en"):
            with force_locale(locale):
                texts[locale], link = services.render(Notification(kind=kind, params=params))
        assert link.startswith("/")
    assert texts["zh"] != texts["en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh"].replace("焊工", ""))


# Who is told at each handover


@pytest.fixture
def registration(tree):
    """A city competition taking registrations; the steelworks' own union has an organiser."""
    city = make_organiser(tree.city, "city_organiser")
    firm = make_organiser(tree.firm, "firm_organiser")
    competition = make_competition(tree.city, state=CompetitionState.REGISTRATION,
                                   registration_closes_at=utcnow() + timedelta(days=10))
    event = make_event(competition)
    account = make_user("welder", email="welder@example.cn")
    worker = make_worker(tree.firm, name="王大明", user=account)
    db.session.commit()
    return city, firm, event, worker, account


def test_a_registration_goes_to_the_units_organiser_then_the_competitions(registration):
    city, firm, event, worker, account = registration
    entry = entries.register(account, event, [worker])
    assert told(firm, "entry_submitted") == [
        "王大明报名参加2026年南京市职工职业技能大赛的焊工 · 职工组，等待本单位推荐审核。"]
    assert told(city, "entry_submitted") == []  # the nearest unit decides first
    entries.endorse(firm, entry)
    assert told(city, "entry_submitted") == [
        "王大明参加2026年南京市职工职业技能大赛焊工 · 职工组的报名等待您审批。"]
    entries.decide(city, entry, approve=False, reason="不是本市在职职工")
    assert told(account, "entry_status")[0] == "您报名的焊工 · 职工组未获通过：不是本市在职职工"
    db.session.commit()
    assert [m.subject for m in mails("welder@example.cn")][-1].endswith("不是本市在职职工")


def test_the_draw_tells_each_entrant_the_number_and_where_and_when_to_check_in(registration):
    city, _firm, event, worker, account = registration
    entry = entries.register(city, event, [worker])
    entries.decide(city, entry, approve=True)
    event.competition.state = CompetitionState.REVIEW
    event.checkin_at, event.venue = datetime(2027, 3, 15, 0, 30), "南京技师学院 <实训楼>"
    draw.draw_event(city, event)
    [message] = told(account, "entry_drawn")
    assert entry.entry_number in message and "南京技师学院 <实训楼>" in message
    assert "2027年3月15日 08:30" in message  # Asia/Shanghai, not UTC


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    setup.entrant.email = "entrant@example.cn"
    db.session.flush()
    return setup


def test_judges_hear_marking_start_and_the_officer_hears_sign_off(tree):
    setup = MarkingSetup(tree).with_results_officials()
    assert "已开始评分" in told(setup.judge2, "event_ready")[0]
    assert told(setup.chief, "event_ready") == []
    setup.finish(A1, B1, T1)
    assert "等待解密" in told(setup.officer, "event_ready")[0]
    lifecycle.decrypt(setup.officer, setup.event)
    assert "可以公布" in told(setup.organiser, "event_ready")[0]


def test_publication_and_each_appeal_step_reach_the_people_concerned(setup, client, login_as):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    [published] = told(setup.entrant, "results_published")
    assert "公示" in published and "申诉" in published
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误", now=now)
    assert "新的申诉" in told(setup.arbitrator, "appeal_filed")[0]
    assert "已收到" in told(setup.entrant, "appeal_status")[0]
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="B1 计分错误。",
                            criterion=setup.b1)
    [upheld] = told(setup.chief, "appeal_upheld")
    assert setup.code(1) in upheld and "B1 焊缝外观" in upheld
    assert "申诉已获支持：B1 计分错误。" in told(setup.entrant, "appeal_status")[0]
    db.session.commit()
    assert any("申诉" in m.subject for m in mails("entrant@example.cn"))

    login_as(setup.chief)
    page = client.get(f"/results/appeals/{appeal.id}").get_data(as_text=True)
    assert setup.code(1) in page and "B1 焊缝外观" in page
    client.post("/accounts/logout")
    login_as(setup.judge2)
    assert client.get(f"/results/appeals/{appeal.id}").status_code == 403


def test_a_criterion_is_named_only_when_upholding_and_only_from_the_event(setup):
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误")
    with pytest.raises(lifecycle.ResultsRefused):
        lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="无误",
                                criterion=setup.b1)
    assert appeal.status.value == "open"


def test_advancement_tells_each_nominees_unit_whom_to_register(setup):
    firm_organiser = make_organiser(setup.tree.firm, "firm_organiser")
    provincial = make_competition(setup.tree.province, name="2027年江苏省职工职业技能大赛",
                                  state=CompetitionState.REGISTRATION)
    make_event(provincial, setup.event.occupation)
    setup.competition.feeds, setup.competition.advance_top_n = provincial, 4
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    [firm] = told(firm_organiser, "unit_nominated")
    assert "王大明" in firm and "李小红" in firm and "赵志强" not in firm
    [city] = told(setup.organiser, "unit_nominated")
    assert "赵志强" in city and "陈美玲" in city and "王大明" not in city
    assert told(setup.entrant, "nominated")  # the nominees themselves, as before


# The reader's choice


def test_a_user_turns_e_mail_copies_off_and_on(app, tree, client, login_as):
    user = make_user("sun", email="sun@example.cn")
    bare = make_user("zhou")
    db.session.commit()
    login_as(user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "sun@example.cn" in page and 'checked' in page
    response = client.post("/notifications/settings", data={})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_notifications is False
    services.notify(user.id, "event_ready", task="mark", event_id=1, occupation="焊工",
                    group="employee", competition="赛")
    db.session.commit()
    assert mails("sun@example.cn") == []
    client.post("/notifications/settings", data={"email": "y"})
    db.session.refresh(user)
    assert user.email_notifications is True
    client.post("/accounts/logout")
    login_as(bare)
    assert 'data-testid="no-email"' in client.get("/notifications/settings").get_data(
        as_text=True)


def test_corrected_results_signed_off_again_go_to_the_organiser_to_republish(setup):
    """After an upheld appeal the event is already decrypted: the second sign-off hands it to
    the organisers (a notification and the dashboard's publish task), not the officer."""
    from competitions.accounts.todo import tasks_for
    from competitions.judging import signoff

    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分偏低")
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=True, reason="申诉成立。",
                            criterion=setup.b1)
    signoff.sign_off(setup.chief, setup.event)
    assert len(told(setup.officer, "event_ready")) == 1  # the first sign-off only
    assert "重新签字确认" in told(setup.organiser, "event_ready")[0]
    with current_app.test_request_context():
        assert "publish" in [task.key for task in tasks_for(setup.organiser)]
