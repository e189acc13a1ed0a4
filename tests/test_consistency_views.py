"""The judge-consistency report: who may read it, the chart and table, the outlier flag, and
that it never shows who the entrants are."""

import re
from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import CompetitionState, EventStage
from competitions.extensions import db
from competitions.judging import services
from competitions.judging.models import (
    Aggregation,
    ComponentKind,
    CriterionKind,
    Mark,
    PanelSeat,
    ScoreSheet,
    SheetStatus,
)
from competitions.registration.draw import draw_event
from tests.factories import (
    Tree,
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

# Practical marks per entry, judges `steady` and `level` give these; `generous` adds the lean.
A1_MARKS = [D(14), D(15), D(16), D(12)]  # out of 20
B1_MARKS = [D(6), D(7), D(5), D(8)]  # out of 10
LEAN = {"A1": D(4), "B1": D(2)}  # the generous judge's extra: 20 % of either maximum


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def setup(built_once):
    """A drawn city event in scoring: two judgement criteria with a panel of three, and one
    measurement criterion that the report must leave out. Built once per worker and database
    (conftest.built_once), restored for each test."""
    return built_once("consistency-views", build_setup)


def build_setup():
    tree = Tree()
    organiser = make_organiser(tree.city, "nj_organiser")
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition, quota_per_org=None)
    workers = [make_worker(tree.firm, name=f"选手{i}", phone=f"1391234560{i}",
                           id_number=valid_id_number(date(1990, 1, 1 + i), serial=i))
               for i in range(4)]
    entries = [make_entry(event, w) for w in workers]
    draw_event(organiser, event)

    scheme = services.scheme_for(organiser, event)
    practical = services.add_component(organiser, scheme, name="实操",
                                       kind=ComponentKind.PRACTICAL, weight=D(100))
    a1 = services.add_criterion(organiser, practical, code="A1", description="焊缝外观",
                                max_mark=D(20), kind=CriterionKind.JUDGEMENT, panel_size=3,
                                aggregation=Aggregation.MEAN)
    b1 = services.add_criterion(organiser, practical, code="B1", description="工艺规范",
                                max_mark=D(10), kind=CriterionKind.JUDGEMENT, panel_size=3,
                                aggregation=Aggregation.MEAN)
    m1 = services.add_criterion(organiser, practical, code="M1", description="尺寸",
                                max_mark=D(10), kind=CriterionKind.MEASUREMENT)

    def official(role, username, display_name):
        user = make_user(username, display_name=display_name, employer=tree.other_firm)
        db.session.add(RoleGrant(user=user, role=role, event_id=event.id))
        return user

    judges = SimpleNamespace(steady=official(Role.JUDGE, "steady", "王评委"),
                             level=official(Role.JUDGE, "level", "李评委"),
                             generous=official(Role.JUDGE, "generous", "赵评委"))
    panel = [judges.steady, judges.level, judges.generous]
    for criterion in (a1, b1):
        db.session.add_all(PanelSeat(criterion_id=criterion.id, judge_id=j.id, position=i)
                           for i, j in enumerate(panel))
    db.session.add(PanelSeat(criterion_id=m1.id, judge_id=judges.steady.id, position=0))
    event.stage = EventStage.SCORING

    other_event = make_event(competition, "电工")
    people = SimpleNamespace(
        anonymous=None, judge=judges.steady, worker=make_user("worker"),
        chief=official(Role.CHIEF_JUDGE, "chief", "钱裁判长"),
        other_chief=make_user("other_chief"), organiser=organiser,
        other_organiser=make_organiser(tree.other_city, "sz_organiser"), admin=make_admin())
    db.session.add(RoleGrant(user=people.other_chief, role=Role.CHIEF_JUDGE,
                             event_id=other_event.id))
    db.session.commit()
    return SimpleNamespace(event=event, entries=entries, criteria=(a1, b1, m1), judges=judges,
                           people=people)


def submit(setup, judge, *, entries=None, status=SheetStatus.SUBMITTED, measurement=D(9)):
    """`judge`'s sheets for `entries` (all by default), with the marks of the table above."""
    a1, b1, m1 = setup.criteria
    generous = judge is setup.judges.generous
    for index, entry in enumerate(setup.entries):
        if entries is not None and index not in entries:
            continue
        sheet = ScoreSheet(event_id=setup.event.id, entry_id=entry.id, judge_id=judge.id,
                           status=status, version=1)
        sheet.marks = [
            Mark(criterion_id=a1.id, value=A1_MARKS[index] + (LEAN["A1"] if generous else 0)),
            Mark(criterion_id=b1.id, value=B1_MARKS[index] + (LEAN["B1"] if generous else 0))]
        if judge is setup.judges.steady:
            sheet.marks.append(Mark(criterion_id=m1.id, value=measurement))
        db.session.add(sheet)
    db.session.commit()


def submit_all(setup):
    for judge in vars(setup.judges).values():
        submit(setup, judge)


def url(setup, **query):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/judging/events/{setup.event.id}/consistency{suffix}"


@pytest.fixture
def as_role(setup, login_as, client):
    def _as(role):
        user = getattr(setup.people, role)
        return login_as(user) if user is not None else client
    return _as


ROLES = ["anonymous", "worker", "judge", "other_chief", "other_organiser", "chief", "organiser",
         "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_the_report_is_for_the_chief_judge_the_organisers_and_admins(setup, as_role, role):
    response = as_role(role).get(url(setup))
    expected = 302 if role == "anonymous" else (
        200 if role in {"chief", "organiser", "admin"} else 403)
    assert response.status_code == expected


def test_an_unknown_event_is_not_found(setup, as_role):
    assert as_role("admin").get("/judging/events/999999/consistency").status_code == 404


def test_the_lenient_judge_is_flagged_in_the_chart_and_the_table(setup, as_role):
    submit_all(setup)
    page = as_role("chief").get(url(setup)).get_data(as_text=True)
    assert '<svg class="consistency-chart"' in page and "</svg>" in page
    assert "aria-label=" in page and "<title>" in page
    # The generous judge marks 4 of 20 and 2 of 10 above the other two: 2/3 of that lean
    # (13.3 % of the maximum) above the panel mean, and each of the others 6.7 % below it.
    generous = table_row(page, "generous")
    assert "赵评委" in generous and "+13.3%" in generous and "Outlier: lenient" in generous
    for username in ("steady", "level"):
        row = table_row(page, username)
        assert "\u22126.7%" in row and "Consistent" in row and 'data-testid="outlier"' not in row
        assert "8</td>" in row  # 4 entries × 2 judgement criteria; the measurement is left out
    bars = re.findall(r'<g class="judge( outlier)?" data-testid="chart-bar(?:-outlier)?">\s*'
                      r"<title>([^<]*)</title>", page)
    assert [(bool(outlier), title) for outlier, title in bars] == [
        (True, "赵评委 (generous): +13.3% · outlier"),
        (False, "王评委 (steady): \u22126.7%"), (False, "李评委 (level): \u22126.7%")]
    assert 'data-testid="panel-count">8 of 8 judgement panels' in page


def table_row(page, username):
    match = re.search(rf'<tr[^>]*data-testid="judge-{username}">(.*?)</tr>', page, re.S)
    assert match, username
    return match.group(1)


def test_the_report_never_shows_who_the_entrants_are(setup, as_role):
    submit_all(setup)
    for role in ("chief", "organiser", "admin"):
        page = as_role(role).get(url(setup)).get_data(as_text=True)
        for entry in setup.entries:
            assert entry.members[0].worker.name not in page
            assert entry.leader.employer.name not in page
            assert entry.blind_code not in page and entry.checkin_code not in page
            assert not re.search(rf"\b{entry.entry_number}\b", page)


def test_the_page_obeys_the_content_security_policy(setup, as_role):
    submit_all(setup)
    page = as_role("chief").get(url(setup)).get_data(as_text=True)
    assert "style=" not in page and "<style" not in page
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "onclick" not in page and "javascript:" not in page


def test_a_higher_threshold_clears_the_flag_and_a_bad_one_falls_back(setup, as_role):
    submit_all(setup)
    client = as_role("chief")
    page = client.get(url(setup, threshold="15")).get_data(as_text=True)
    assert 'data-testid="outlier"' not in page and "chart-bar-outlier" not in page
    assert "more than 15% away" in page
    page = client.get(url(setup, threshold="abc")).get_data(as_text=True)
    assert 'data-testid="threshold-error"' in page
    assert "more than 10% away" in page and 'data-testid="outlier"' in page
    for bad in ("0", "101", "NaN", "-5"):
        page = client.get(url(setup, threshold=bad)).get_data(as_text=True)
        assert 'data-testid="threshold-error"' in page, bad


def test_nothing_is_compared_until_a_panel_is_complete(setup, as_role):
    client = as_role("organiser")
    page = client.get(url(setup)).get_data(as_text=True)
    assert 'data-testid="consistency-empty"' in page and "<svg" not in page
    submit(setup, setup.judges.steady)
    submit(setup, setup.judges.level)
    submit(setup, setup.judges.generous, status=SheetStatus.DRAFT)  # drafts do not count
    page = client.get(url(setup)).get_data(as_text=True)
    assert 'data-testid="consistency-empty"' in page
    assert 'data-testid="panel-count">0 of 8 judgement panels' in page


def test_only_complete_panels_count(setup, as_role):
    submit(setup, setup.judges.steady)
    submit(setup, setup.judges.level)
    submit(setup, setup.judges.generous, entries={0})  # one entry's two panels are complete
    page = as_role("chief").get(url(setup)).get_data(as_text=True)
    assert 'data-testid="panel-count">2 of 8 judgement panels' in page
    # Two marks are too few to call anyone biased (the rule needs three).
    assert 'data-testid="outlier"' not in page and "Too few marks to judge" in page
    assert "+13.3%" in table_row(page, "generous")


def test_the_chinese_page_renders_the_chart(setup, client, login_as):
    submit_all(setup)
    client.set_cookie("lang", "zh")
    page = login_as(setup.people.chief).get(url(setup)).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<svg" in page and "赵评委 (generous)" in page
