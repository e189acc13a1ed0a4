"""A Guizhou-style event (RULES.md A and B `guizhou_2023`) from sign-off to final results: the
organiser previews who gets what and why, the published notice shows prizes and medals
together, and finalising recommends 省技术能手 for the top 3 and the 省五一劳动奖章 for the
一等奖 winner, except in a student group (issue 12)."""

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from competitions.contests.models import EventGroup
from competitions.database import utcnow
from competitions.extensions import db
from competitions.results import lifecycle, services, settings
from competitions.results.award_plans import AWARD_PRESETS
from competitions.results.honours import HonourTitle
from competitions.results.models import Result, TitleAward, TitleState
from tests.conftest import login
from tests.factories import MarkingSetup
from tests.test_draw import pdf_text

# Four entrants: 陈美玲 (82.40) first, then 李小红, 王大明, 赵志强 (as in test_results.py).
A1, B1, T1 = [30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88]


def guizhou(setup, *, group=EventGroup.EMPLOYEE):
    """The organiser applies the Guizhou preset (one 优胜奖 place) and its title rule."""
    setup.event.group = group
    values = {name: getattr(setup.competition, name) for name in settings.SETTINGS}
    values.update(award_scheme="guizhou_2023",
                  award_config=AWARD_PRESETS["guizhou_2023"].config(excellence=1).to_json(),
                  title_rules=[["guizhou_2023", {}]])
    settings.save_results_settings(setup.organiser, setup.competition, **values)
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    db.session.commit()


def cells(page: str, testid: str) -> list[str]:
    row = re.search(rf'data-testid="{testid}">(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    db.session.commit()
    return setup


def test_the_organiser_previews_prizes_and_medals_with_the_step_and_the_cut_offs(
        setup, client, login_as):
    guizhou(setup)
    login_as(setup.organiser)
    page = html.unescape(client.get(f"/results/events/{setup.event.id}").get_data(as_text=True))
    assert "奖项预览" in page
    assert cells(page, "band-first_prize")[:2] == ["一等奖", "1"]
    assert cells(page, "band-second_prize")[:2] == ["二等奖", "2–3"]
    # Five third prizes, but a field of four leaves places 4 to 4; the 优胜奖 place is beyond.
    assert cells(page, "band-third_prize")[:2] == ["三等奖", "4"]
    assert cells(page, "band-excellence")[:2] == ["优胜奖", "本场人数下无此名额"]
    assert cells(page, "band-gold")[:3] == ["金牌", "1", "第1至3名分获金、银、铜牌"]
    lines = services.compute_results(setup.event)
    first = lines[0]
    winner = page.split(f'data-testid="result-{first.entry.id}"')[1].split("</tr>")[0]
    assert "一等奖 · 金牌" in winner
    assert "一等奖：按规定名额（第 1–1 名）" in winner
    fourth = page.split(f'data-testid="result-{lines[3].entry.id}"')[1].split("</tr>")[0]
    assert "三等奖" in fourth and "牌" not in re.sub(r"<small.*?</small>", "", fourth, flags=re.S)
    assert "参照贵州省第一届职工职业技能大赛（2023年）" in page
    # A judge sees neither the preview nor the results before publication.
    judge = client.application.test_client()
    assert login(judge, setup.judge2).status_code == 302
    response = judge.get(f"/results/events/{setup.event.id}")
    assert response.status_code in (403, 404) and "奖项预览" not in response.get_data(True)


def test_the_notice_shows_prizes_and_medals_together_and_titles_follow_awards(
        setup, client):
    guizhou(setup)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    db.session.commit()
    stored = db.session.scalars(sa.select(Result).where(Result.event_id == setup.event.id)
                                .order_by(Result.rank)).all()
    assert [r.awards for r in stored] == [["first_prize", "gold"], ["second_prize", "silver"],
                                          ["second_prize", "bronze"], ["third_prize"]]
    public = client.get(f"/events/{setup.event.id}/results").get_data(as_text=True)
    assert "一等奖 · 金牌" in public and "二等奖 · 铜牌" in public
    assert "奖项设置：参照贵州省第一届职工职业技能大赛（2023年）" in public
    notice = "".join(pdf_text(client.get(f"/events/{setup.event.id}/notice.pdf").data).split())
    assert "一等奖·金牌" in notice and "二等奖·银牌" in notice

    lifecycle.finalise(setup.organiser, setup.event,
                       now=now + timedelta(hours=setup.competition.notice_hours))
    db.session.commit()
    titles = {(a.worker_id, a.title) for a in db.session.scalars(sa.select(TitleAward))}
    by_rank = [r.entry.members[0].worker_id for r in stored]
    assert titles == {(worker, HonourTitle.PROVINCIAL_TECHNICAL_EXPERT)
                      for worker in by_rank[:3]} | {
        (by_rank[0], HonourTitle.PROVINCIAL_MAY_DAY_MEDAL)}
    assert {a.state for a in db.session.scalars(sa.select(TitleAward))} == {TitleState.PENDING}
    assert {a.rule for a in db.session.scalars(sa.select(TitleAward))} == {"guizhou_2023"}
    result = app_verify(client)
    assert result.exit_code == 0, result.output


def test_a_student_group_gets_no_may_day_recommendation(setup):
    guizhou(setup, group=EventGroup.STUDENT)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    lifecycle.finalise(setup.organiser, setup.event,
                       now=now + timedelta(hours=setup.competition.notice_hours))
    titles = [a.title for a in db.session.scalars(sa.select(TitleAward))]
    assert titles.count(HonourTitle.PROVINCIAL_TECHNICAL_EXPERT) == 3
    assert HonourTitle.PROVINCIAL_MAY_DAY_MEDAL not in titles


def test_the_rules_cannot_change_once_the_results_are_public(setup):
    guizhou(setup)
    lifecycle.publish(setup.organiser, setup.event, now=utcnow())
    values = {name: getattr(setup.competition, name) for name in settings.SETTINGS}
    values["award_config"] = AWARD_PRESETS["guizhou_2023"].config(excellence=3).to_json()
    with pytest.raises(lifecycle.ResultsRefused):
        settings.save_results_settings(setup.organiser, setup.competition, **values)


def app_verify(client):
    return client.application.test_cli_runner().invoke(args=["audit", "verify"])
