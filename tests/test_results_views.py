"""The results pages: who may see them, no names before decryption, decryption to finalisation
and reopening, appeals and the arbitrators' decisions, settings, titles and nominations."""

import html
from datetime import UTC, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionState, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.judging import signoff
from competitions.notifications.models import Notification
from competitions.registration.models import Nomination, WorkerTitle
from competitions.results import lifecycle, services
from competitions.results.award_plans import TEN_TWENTY_THIRTY, AwardConfig
from competitions.results.awards import CITATIONS, Award
from competitions.results.honours import HonourTitle
from competitions.results.models import Appeal, AppealStatus, TitleAward, TitleState
from tests.conftest import login
from tests.factories import (
    MarkingSetup,
    Tree,
    make_admin,
    make_competition,
    make_event,
    make_organiser,
)

# Per entry: A1 (of 40), B1 (of 60), T1 (of 100); totals 80.00, 76.00, 77.00, 82.40.
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]
NAMES = ["王大明", "李小红", "赵志强", "陈美玲"]


@pytest.fixture
def setup(built_once):
    """Built once per worker and database (conftest.built_once), its rows restored for each
    test."""
    return built_once("results-views", build_setup)


def build_setup():
    setup = MarkingSetup(Tree()).with_results_officials()
    setup.outsider = make_organiser(setup.tree.other_city, "suzhou_organiser")
    setup.admin = make_admin()
    return setup


def browser(app, user, lang="en"):
    """A test client of its own, signed in as `user`, reading pages in `lang` (None: default)."""
    client = app.test_client()
    if lang:
        client.set_cookie("lang", lang)
    response = login(client, user)
    assert response.status_code == 302
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, url, **data) -> str:
    """Post a form (field names with `__` for `-`); the page redirected to, as text."""
    response = client.post(url, data={k.replace("__", "-"): v for k, v in data.items()})
    assert response.status_code == 302, (response.status_code, text(response)[:2000])
    return text(client.get(response.headers["Location"]))


def finish(setup, sign=True):
    setup.finish(A1, B1, T1, sign=sign)
    db.session.commit()


def decrypted(setup):
    finish(setup)
    lifecycle.decrypt(setup.officer, setup.event)
    db.session.commit()


def published(setup):
    decrypted(setup)
    lifecycle.publish(setup.organiser, setup.event)
    db.session.commit()


def end_notice(setup):
    """The notice's end (and the appeal deadline) moved into the past, as if its days had gone
    by."""
    db.session.expire_all()
    setup.event.notice_ends_at = setup.event.appeals_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def stage(setup) -> EventStage:
    db.session.expire_all()
    return setup.event.stage


def result_row(page: str, entry) -> str:
    return page.split(f'data-testid="result-{entry.id}"')[1].split("</tr>")[0]


def event_url(setup, suffix="") -> str:
    return f"/results/events/{setup.event.id}{suffix}"


# Who may see which page

ROLES = ["organiser", "outsider", "officer", "arbitrator", "chief", "judge", "worker", "admin"]
# role: (event page, settings, nominations, appeal form, appeal detail)
EXPECTED = {
    "organiser": (200, 200, 200, 200, 200),  # organises the city: its units' entries too
    "outsider": (403, 403, 403, 403, 403),
    "officer": (200, 403, 403, 403, 403),
    "arbitrator": (200, 403, 403, 403, 200),
    "chief": (403, 403, 403, 403, 200),  # reads the appeal he may have to correct marks for
    "judge": (403, 403, 403, 403, 403),
    "worker": (403, 403, 403, 200, 200),  # the entrant who filed the appeal
    "admin": (200, 200, 200, 200, 200),
}


def user_for(setup, role):
    return {"organiser": setup.organiser, "outsider": setup.outsider, "officer": setup.officer,
            "arbitrator": setup.arbitrator, "chief": setup.chief, "judge": setup.judge2,
            "worker": setup.entrant, "admin": setup.admin}[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_page_is_open_only_to_its_roles(app, setup, role):
    published(setup)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误")
    db.session.commit()
    client = browser(app, user_for(setup, role))
    competition = f"/results/competitions/{setup.competition.id}"
    urls = [event_url(setup), f"{competition}/settings", f"{competition}/nominations",
            event_url(setup, "/appeal"), f"/results/appeals/{appeal.id}"]
    assert [client.get(url).status_code for url in urls] == list(EXPECTED[role])


@pytest.mark.parametrize("role", ["outsider", "chief", "judge", "worker"])
def test_posts_are_refused_to_those_who_may_not_act(app, setup, role):
    decrypted(setup)
    client = browser(app, user_for(setup, role))
    for action in ("/decrypt", "/publish", "/finalise", "/reopen"):
        assert client.post(event_url(setup, action)).status_code == 403, action
    assert stage(setup) is EventStage.DECRYPTED


def test_ids_that_do_not_exist_are_not_found(app, setup):
    client = browser(app, setup.organiser)
    assert client.get("/results/events/999999").status_code == 404
    assert client.get("/results/appeals/999999").status_code == 404
    assert client.post("/results/titles/999999").status_code == 404
    assert client.get("/results/competitions/999999/settings").status_code == 404


# Decryption: no names before it


def test_while_marking_the_page_says_so_and_shows_no_one(app, setup):
    finish(setup, sign=False)
    page = text(browser(app, setup.organiser).get(event_url(setup)))
    assert "Marking is in progress" in page
    assert not any(name in page for name in NAMES) and "results-table" not in page


def test_after_sign_off_the_organiser_sees_no_names_and_no_scores(app, setup):
    finish(setup)
    page = text(browser(app, setup.organiser).get(event_url(setup)))
    assert "await the encryption officer" in page
    assert not any(name in page for name in NAMES)
    assert "82.40" not in page and "results-table" not in page
    assert 'data-testid="decrypt"' not in page
    officer_page = text(browser(app, setup.officer).get(event_url(setup)))
    assert 'data-testid="decrypt"' in officer_page
    assert not any(name in officer_page for name in NAMES)


def test_the_encryption_officer_decrypts_and_then_names_appear(app, setup):
    finish(setup)
    assert browser(app, setup.organiser).post(event_url(setup, "/decrypt")).status_code == 403
    page = post(browser(app, setup.officer), event_url(setup, "/decrypt"))
    assert "names now appear beside the scores" in page
    assert stage(setup) is EventStage.DECRYPTED
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "event.decrypt")) == "event.decrypt"
    page = text(browser(app, setup.organiser).get(event_url(setup)))
    assert all(name in page for name in NAMES)
    assert "Computed results (not yet published)" in page
    row = result_row(page, setup.entries[3])
    assert "陈美玲" in row and "南京企业1" in row
    assert "88.00" in row and "80.00" in row and "82.40" in row and "Gold medal" in row
    assert 'data-testid="publish"' in page


def test_a_place_decided_by_a_tie_break_says_which(app, setup):
    setup.finish([30, 30, 30, 40], B1[:2] + [50, 40], [80, 90, 80, 88], sign=False)
    signoff.record_time(setup.chief, setup.event, setup.entries[2], 3500)
    signoff.record_time(setup.chief, setup.event, setup.entries[0], 3600)
    signoff.sign_off(setup.chief, setup.event)
    lifecycle.decrypt(setup.officer, setup.event)
    db.session.commit()
    page = text(browser(app, setup.organiser).get(event_url(setup)))
    row = result_row(page, setup.entries[0])
    assert "Shorter time used" in row and "60:00" in row


# Publication, finalisation, reopening


def test_publish_then_finalise_is_refused_during_the_notice(app, setup):
    decrypted(setup)
    client = browser(app, setup.organiser)
    page = post(client, event_url(setup, "/publish"))
    assert "The results are published" in page
    assert stage(setup) is EventStage.PUBLISHED and setup.event.notice_ends_at is not None
    assert "Appeals are accepted until" in page and "the public notice runs until" in page
    for testid in ("notice-ends", "appeals-close"):
        assert page.split(f'data-testid="{testid}"')[1].split("</dd>")[0].strip(">") != "—"
    page = post(client, event_url(setup, "/finalise"))
    assert "The public notice runs until" in page and stage(setup) is EventStage.PUBLISHED
    end_notice(setup)
    page = post(client, event_url(setup, "/finalise"))
    assert "The results are final." in page and stage(setup) is EventStage.FINAL


def test_an_appeal_filed_and_upheld_through_the_pages(app, setup):
    published(setup)
    entrant = browser(app, setup.entrant)
    form = text(entrant.get(event_url(setup, "/appeal")))
    assert "The public notice runs until" in form
    assert f'value="{setup.entries[1].id}"' in form
    assert f'value="{setup.entries[0].id}"' not in form  # not theirs
    response = entrant.post(event_url(setup, "/appeal"),
                            data={"entry_id": setup.entries[1].id, "text": "  "})
    assert response.status_code == 200
    assert "Write the appeal: what is contested, and why." in text(response)
    response = entrant.post(event_url(setup, "/appeal"),
                            data={"entry_id": setup.entries[0].id, "text": "不服"})
    assert response.status_code == 200 and db.session.scalar(
        sa.select(sa.func.count(Appeal.id))) == 0
    page = post(entrant, event_url(setup, "/appeal"),
                entry_id=setup.entries[1].id, text="B1 评分有误\n请复核")
    assert "Your appeal is filed" in page and "B1 评分有误" in page
    appeal = db.session.scalar(sa.select(Appeal))
    assert appeal.filed_by_id == setup.entrant.id and appeal.status is AppealStatus.OPEN

    organiser = browser(app, setup.organiser)
    end_notice(setup)
    page = post(organiser, event_url(setup, "/finalise"))
    assert "An appeal is still open: the arbitrators decide it first." in page
    assert stage(setup) is EventStage.PUBLISHED
    assert f'data-testid="appeal-{appeal.id}"' in page

    detail = f"/results/appeals/{appeal.id}"
    assert 'data-testid="decide-form"' not in text(organiser.get(detail))
    assert organiser.post(f"{detail}/decide", data={"decision": "dismissed",
                                                    "reason": "无"}).status_code == 403
    arbitrator = browser(app, setup.arbitrator)
    assert 'data-testid="decide-form"' in text(arbitrator.get(detail))
    response = arbitrator.post(f"{detail}/decide", data={"decision": "upheld", "reason": ""})
    assert "Give the reasons for the decision." in text(response)
    page = post(arbitrator, f"{detail}/decide", decision="upheld", reason="B1 计分错误")
    assert "Appeal upheld" in page and "B1 计分错误" in page
    assert 'data-testid="decide-form"' not in page
    db.session.expire_all()
    assert appeal.status is AppealStatus.UPHELD and stage(setup) is EventStage.SCORING
    assert db.session.scalar(sa.select(Notification.kind).where(
        Notification.user_id == setup.chief.id)) == "appeal_upheld"
    response = arbitrator.post(f"{detail}/decide", data={"decision": "dismissed",
                                                         "reason": "改判"})
    assert "the decision is final" in text(response)
    page = text(organiser.get(event_url(setup)))
    assert "sent the marks back to the chief judge" in page and "Results as published" in page
    assert "王大明" in page


def test_a_dismissed_appeal_lets_the_results_be_finalised_and_reopened(app, setup):
    published(setup)
    appeal = lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误")
    lifecycle.decide_appeal(setup.arbitrator, appeal, upheld=False, reason="评分符合细则")
    db.session.commit()
    end_notice(setup)
    organiser = browser(app, setup.organiser)
    page = post(organiser, event_url(setup, "/finalise"))
    assert stage(setup) is EventStage.FINAL and 'data-testid="reopen-form"' in page
    page = post(organiser, event_url(setup, "/reopen"), reopen__reason="",
                reopen__confirmed="1")
    assert "Give a reason; it is kept in the record." in page
    assert stage(setup) is EventStage.FINAL
    page = post(organiser, event_url(setup, "/reopen"), reopen__reason="发现录入错误",
                reopen__confirmed="1")
    assert "The results are reopened" in page and stage(setup) is EventStage.SIGNED_OFF
    assert db.session.scalar(sa.select(AuditEntry.reason).where(
        AuditEntry.action == "results.reopen")) == "发现录入错误"
    assert 'data-testid="publish"' in page  # published again once corrected


def test_appeals_outside_the_notice_are_refused(app, setup):
    published(setup)
    end_notice(setup)
    entrant = browser(app, setup.entrant)
    page = text(entrant.get(event_url(setup, "/appeal")))
    assert 'data-testid="notice-closed"' in page and 'data-testid="appeal-form"' not in page
    response = entrant.post(event_url(setup, "/appeal"),
                            data={"entry_id": setup.entries[1].id, "text": "逾期"})
    assert "The appeal period closed on" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0


# Settings


def settings_data(**overrides):
    data = {"award_scheme": "prizes_10_20_30", "min_total_first_prize": "60.5",
            "title_rules": "city_ladder", "notice_period": "7", "notice_unit": "days",
            "appeal_period": "2", "appeal_unit": "hours", "tie_breaks-0": "practical",
            "tie_breaks-1": "time_used", "tie_breaks-2": "", "advance_top_n": "2"}
    data.update(overrides)
    return data


def test_settings_are_saved_and_audited(app, setup):
    client = browser(app, setup.organiser)
    page = text(client.get(f"/results/competitions/{setup.competition.id}/settings"))
    assert "参照石家庄市职工技术比赛规定" in page and CITATIONS["medals_half"] in page
    assert "dgtatami.com" not in page and "Source:" not in page  # cited in Chinese, no address
    assert 'name="award_fixed_counts_first" step="1" type="number" value="3"' in page
    url = f"/results/competitions/{setup.competition.id}/settings"
    page = post(client, url, **settings_data())
    assert "Results settings saved." in page
    db.session.expire_all()
    competition = setup.competition
    assert competition.award_scheme == "prizes_10_20_30"
    config = AwardConfig.from_json(competition.award_config)
    assert config.prize.shares == TEN_TWENTY_THIRTY and config.medal is None
    assert config.min_totals == {Award.FIRST_PRIZE: D("60.5")}
    assert competition.title_rules == [["city_ladder", {}]]
    assert (competition.notice_hours, competition.appeal_hours) == (7 * 24, 2)
    assert competition.tie_breaks == ["practical", "time_used"]
    assert competition.advance_top_n == 2
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "competition.results_settings")) == 1
    post(client, url, **settings_data(title_rules=[]))
    db.session.expire_all()
    assert setup.competition.title_rules == []


@pytest.mark.parametrize("overrides, message", [
    ({"tie_breaks-1": "practical"}, "Each tie-break may be used once."),
    ({"tie_breaks-0": "", "tie_breaks-1": ""}, "Keep at least the first step"),
    ({"min_total_first_prize": "60.555"}, "At most two decimal places."),
    ({"award_scheme": "made_up"}, "Not a valid choice."),
])
def test_invalid_settings_are_refused(app, setup, overrides, message):
    client = browser(app, setup.organiser)
    url = f"/results/competitions/{setup.competition.id}/settings"
    response = client.post(url, data=settings_data(**overrides))
    assert response.status_code == 200 and message in text(response)
    db.session.expire_all()
    assert setup.competition.award_scheme == "medals_half"


@pytest.mark.parametrize("amount, unit, hours", [
    ("2", "hours", 2), ("36", "hours", 36), ("48", "hours", 48), ("3", "days", 72)])
def test_the_appeal_window_is_set_in_hours_or_days(app, setup, amount, unit, hours):
    client = browser(app, setup.organiser)
    url = f"/results/competitions/{setup.competition.id}/settings"
    post(client, url, **settings_data(appeal_period=amount, appeal_unit=unit))
    db.session.expire_all()
    assert setup.competition.appeal_hours == hours
    page = text(client.get(url))
    shown = page.split('id="appeal_period"')[1].split(">")[0]
    unit_shown = page.split('id="appeal_unit"')[1].split("</select>")[0]
    expected = ("2", "hours") if hours == 2 else ("36", "hours") if hours == 36 else (
        str(hours // 24), "days")
    assert f'value="{expected[0]}"' in shown
    assert f'selected value="{expected[1]}"' in unit_shown


def field_errors(page: str, name: str) -> str:
    """The error messages shown beside the field `name`."""
    return " ".join(part.split("</p>")[0]
                    for part in page.split(f'<p class="error" id="{name}-error">')[1:])


@pytest.mark.parametrize("overrides, name, message", [
    ({"notice_period": "0"}, "notice_period", "Number must be at least 1."),
    ({"notice_period": "31"}, "notice_period", "At most 30 days (720 hours)."),
    ({"notice_period": "721", "notice_unit": "hours"}, "notice_period", "At most 30 days"),
    ({"notice_period": "", "appeal_period": "3"}, "notice_period", "This field is required."),
    ({"appeal_period": "1.5"}, "appeal_period", "Not a valid integer value."),
    ({"appeal_period": "-2"}, "appeal_period", "Number must be at least 1."),
    ({"appeal_period": "8", "appeal_unit": "days"}, "appeal_period",
     "No longer than the public notice"),
    ({"appeal_period": "169", "appeal_unit": "hours"}, "appeal_period",
     "No longer than the public notice"),
    ({"appeal_unit": "weeks"}, "appeal_period", "Not a valid choice."),
])
def test_bad_periods_are_refused_beside_their_field(app, setup, overrides, name, message):
    client = browser(app, setup.organiser)
    url = f"/results/competitions/{setup.competition.id}/settings"
    response = client.post(url, data=settings_data(**overrides))
    assert response.status_code == 200 and message in field_errors(text(response), name)
    db.session.expire_all()
    assert (setup.competition.notice_hours, setup.competition.appeal_hours) == (120, 120)


def test_settings_cannot_change_once_results_are_published(app, setup):
    published(setup)
    client = browser(app, setup.organiser)
    url = f"/results/competitions/{setup.competition.id}/settings"
    page = text(client.get(url))
    assert 'data-testid="settings-locked"' in page
    response = client.post(url, data=settings_data())
    assert "can no longer change" in text(response)
    db.session.expire_all()
    assert setup.competition.award_scheme == "medals_half"


def local(moment) -> str:
    """`moment` (naive UTC) as written in Beijing: 2026年12月6日 14:00."""
    moment = moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def test_the_pages_name_the_appeal_deadline_and_the_notice_end_in_local_time(app, setup):
    setup.competition.notice_hours, setup.competition.appeal_hours = 5 * 24, 2
    published(setup)
    deadline, notice_end = setup.event.appeals_close_at, setup.event.notice_ends_at
    assert notice_end - deadline == timedelta(days=5, hours=-2)
    closes, ends = f"申诉受理截至 {local(deadline)}", f"公示期至 {local(notice_end)}"
    organiser = text(browser(app, setup.organiser, lang=None).get(event_url(setup)))
    assert closes in organiser and ends in organiser
    assert local(deadline) in organiser.split('data-testid="appeals-close"')[1].split("</dd>")[0]
    entrant = browser(app, setup.entrant, lang=None)
    entries = text(entrant.get("/registration/entries"))
    assert closes in result_row(entries, setup.entries[1])
    form = text(entrant.get(event_url(setup, "/appeal")))
    assert closes in form and 'data-testid="appeal-form"' in form
    public = text(app.test_client().get(f"/events/{setup.event.id}/results"))
    assert f"{local(deadline)} 前" in public and f"公示期至 {local(notice_end)}" in public


def test_past_the_deadline_the_pages_say_appeals_closed_while_the_notice_runs(app, setup):
    setup.competition.notice_hours, setup.competition.appeal_hours = 5 * 24, 2
    published(setup)
    db.session.expire_all()
    setup.event.appeals_close_at = deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    closed = f"申诉期已于 {local(deadline)} 截止"
    entrant = browser(app, setup.entrant, lang=None)
    entries = text(entrant.get("/registration/entries"))
    assert closed in result_row(entries, setup.entries[1])
    assert f'data-testid="appeal-{setup.entries[1].id}"' not in entries
    form = text(entrant.get(event_url(setup, "/appeal")))
    assert closed in form and 'data-testid="appeal-form"' not in form
    response = entrant.post(event_url(setup, "/appeal"),
                            data={"entry_id": setup.entries[1].id, "text": "逾期"})
    assert closed in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0
    public = text(app.test_client().get(f"/events/{setup.event.id}/results"))
    assert closed in public and 'data-testid="results-notice"' in public


# Titles and nominations


def test_titles_are_approved_through_the_page(app, setup):
    setup.competition.title_rules = [["city_ladder", {}]]
    published(setup)
    end_notice(setup)
    organiser = browser(app, setup.organiser)
    page = post(organiser, event_url(setup, "/finalise"))
    awards = {a.worker_id: a for a in db.session.scalars(sa.select(TitleAward))}
    champion = awards[setup.workers[3].id]
    assert champion.state is TitleState.PENDING and 'data-testid="titles"' in page
    assert "Pending approval" in page and "Technical Champion" in page
    url = f"/results/titles/{champion.id}"
    prefix = f"title{champion.id}-"
    assert browser(app, setup.chief).post(url, data={prefix + "decision": "approve"}) \
        .status_code == 403
    page = post(organiser, url, **{prefix + "decision": "approve",
                                   prefix + "note": "市总工会 2026 第12号文"})
    assert "decision is recorded" in page and "市总工会 2026 第12号文" in page
    db.session.expire_all()
    assert champion.state is TitleState.APPROVED
    assert db.session.scalar(sa.select(WorkerTitle.title).where(
        WorkerTitle.worker_id == setup.workers[3].id)) is HonourTitle.TECHNICAL_CHAMPION
    page = post(organiser, url, **{prefix + "decision": "decline"})
    assert "This title has already been decided." in page
    other = awards[setup.workers[0].id]
    post(organiser, f"/results/titles/{other.id}", **{f"title{other.id}-decision": "decline"})
    db.session.expire_all()
    assert other.state is TitleState.DECLINED


def test_the_nominations_page_lists_those_sent_on(app, setup):
    provincial = make_competition(setup.tree.province, name="2026年江苏省职工职业技能大赛",
                                  state=CompetitionState.REGISTRATION)
    make_event(provincial, setup.event.occupation)
    setup.competition.feeds = provincial
    setup.competition.advance_top_n = 2
    published(setup)
    end_notice(setup)
    organiser = browser(app, setup.organiser)
    post(organiser, event_url(setup, "/finalise"))
    assert db.session.scalar(sa.select(sa.func.count(Nomination.id))) == 2
    page = text(organiser.get(f"/results/competitions/{setup.competition.id}/nominations"))
    rows = page.split('data-testid="nominations"')[1]
    assert "陈美玲" in rows and "王大明" in rows and "李小红" not in rows
    assert "2026年江苏省职工职业技能大赛" in rows and "南钢" not in rows.split("陈美玲")[0]
    assert rows.index("陈美玲") < rows.index("王大明")  # rank 1 before rank 2


# Language


def test_the_pages_are_chinese_by_default(app, setup):
    published(setup)
    lifecycle.file_appeal(setup.entrant, setup.entries[1], "B1 评分有误")
    db.session.commit()
    end_notice(setup)
    organiser = browser(app, setup.organiser, lang=None)
    page = text(organiser.get(event_url(setup)))
    assert '<html lang="zh-CN">' in page
    assert "单位" in page and "用时" in page and "成绩公示中" in page and "金牌" in page
    assert "Time used" not in page and "陈美玲" in page
    page = post(organiser, event_url(setup, "/finalise"))
    assert "仍有申诉未裁决" in page


def test_results_officials_find_their_competitions_events(setup, login_as, client):
    login_as(setup.officer)
    page = client.get("/results/")
    assert page.status_code == 200
    assert f"/results/events/{setup.event.id}" in page.get_data(as_text=True)
    assert "/results/" in client.get("/accounts/dashboard").get_data(as_text=True)


def test_the_results_index_refuses_users_without_results_roles(setup, login_as, client):
    login_as(setup.judge2)
    assert client.get("/results/").status_code == 403


def test_a_presets_own_numbers_are_saved_and_used(setup, login_as, client):
    login_as(setup.organiser)
    url = f"/results/competitions/{setup.competition.id}/settings"
    data = {"award_scheme": "fixed_counts", "title_rules": "national_wuyi",
            "notice_period": 5, "notice_unit": "days", "appeal_period": 2,
            "appeal_unit": "days", "advance_top_n": 3, "tie_breaks-0": "time_used",
            "tie_breaks-1": "practical", "tie_breaks-2": "theory",
            "award_fixed_counts_first": "1", "award_fixed_counts_second": "1",
            "award_fixed_counts_third": "1", "title_national_wuyi_top": "2"}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert AwardConfig.from_json(setup.competition.award_config).prize.counts == (1, 1, 1)
    assert setup.competition.title_rules == [["national_wuyi", {"top": 2}]]
    setup.finish(A1, B1, T1)
    awards = [line.awards for line in services.compute_results(setup.event)]
    assert awards == [(Award.FIRST_PRIZE,), (Award.SECOND_PRIZE,), (Award.THIRD_PRIZE,), ()]
    data["award_fixed_counts_first"] = "x"
    page = client.post(url, data=data)
    assert page.status_code == 200
    db.session.expire_all()
    assert AwardConfig.from_json(setup.competition.award_config).prize.counts == (1, 1, 1)
