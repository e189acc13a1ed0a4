"""Registrations export to .xlsx: Chinese headers, one row per entrant, never a blind code."""

import io
from datetime import date

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.registration import draw as drawing
from competitions.registration.exports import HEADERS, registrations_workbook
from competitions.registration.models import EntryStatus
from competitions.registration.sex import Sex
from tests.factories import (
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

CHINESE_HEADERS = ["赛项", "姓名", "性别", "出生日期", "身份证号码", "手机号码", "工作单位",
                   "推荐单位", "状态", "参赛号", "检录号"]
ID_NUMBER = valid_id_number(date(1991, 3, 4), serial=77)


def sheet_values(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def competition(tree):
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    welding = make_event(competition, "焊工", quota_per_org=None)
    turning = make_event(competition, "车工", quota_per_org=None)
    zhang = make_worker(tree.firm, name="张三明", id_number=ID_NUMBER, phone="13912345678")
    make_entry(welding, zhang)
    make_entry(welding, make_worker(tree.firm, name="李四"), status=EntryStatus.WITHDRAWN)
    make_entry(turning, make_worker(tree.firm, name="王五"), status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    return competition


def test_event_export_has_the_chinese_headers_and_one_row_per_entrant(app, competition):
    welding = competition.events[0]
    rows = sheet_values(registrations_workbook([welding]))
    assert list(rows[0]) == CHINESE_HEADERS == HEADERS
    assert [row[1] for row in rows[1:]] == ["张三明", "李四"]
    zhang = rows[1]
    with force_locale("zh"):
        assert zhang[0] == welding.name and zhang[2] == str(Sex.MALE.label)
        assert zhang[8] == str(EntryStatus.APPROVED.label)
        assert rows[2][8] == str(EntryStatus.WITHDRAWN.label)
    assert zhang[3].date() == date(1991, 3, 4)
    assert zhang[4] == ID_NUMBER  # text, all 18 characters
    assert zhang[5] == "13912345678"
    assert zhang[6] == "南京钢铁集团" and zhang[7] == "南京钢铁集团"
    assert zhang[9] is None and zhang[10] is None  # not drawn yet


def test_export_after_the_draw_carries_numbers_and_check_in_codes_but_no_blind_code(
        app, tree, competition):
    welding = competition.events[0]
    organiser = make_organiser(tree.city)
    (entry,) = drawing.draw_event(organiser, welding)
    db.session.commit()
    rows = sheet_values(registrations_workbook([welding]))
    assert rows[1][9] == entry.entry_number and rows[1][10] == entry.checkin_code
    assert entry.blind_code not in repr(rows)


def test_competition_export_covers_every_event(app, competition):
    rows = sheet_values(registrations_workbook(list(competition.events)))
    assert sorted(row[1] for row in rows[1:]) == ["张三明", "李四", "王五"]


def test_team_members_each_get_a_row(app, tree, competition):
    team_event = make_event(competition, "电工", team_size=2)
    make_entry(team_event, team=[make_worker(tree.firm, name="队长"),
                                 make_worker(tree.firm, name="队员")])
    rows = sheet_values(registrations_workbook([team_event]))
    assert [row[1] for row in rows[1:]] == ["队长", "队员"]


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("worker", 403), ("other_organiser", 403), ("unit_organiser", 403),
    ("organiser", 200), ("admin", 200)])
def test_only_competition_organisers_download_the_export(client, login_as, tree, competition,
                                                         role, status):
    users = {"worker": lambda: make_user("worker"),
             "other_organiser": lambda: make_organiser(tree.other_city),
             "unit_organiser": lambda: make_organiser(tree.firm),
             "organiser": lambda: make_organiser(tree.city), "admin": make_admin}
    user = users[role]() if role in users else None
    db.session.commit()
    if user is not None:
        login_as(user)
    for url in (f"/registration/events/{competition.events[0].id}/export.xlsx",
                f"/registration/competitions/{competition.id}/export.xlsx"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert response.mimetype.endswith("spreadsheetml.sheet")
            assert "attachment" in response.headers["Content-Disposition"]
            assert list(sheet_values(response.data)[0]) == CHINESE_HEADERS
