"""The admission slip (准考证): the entrant's own, after the draw, with the numbers, codes,
venue, time, schedule and rules of the day; never the blind code or the full ID number."""

import re
from datetime import datetime

import pytest

from competitions.certificates.fonts import FONT_NAME
from competitions.contests.models import CompetitionState, EventStage
from competitions.extensions import db
from competitions.masking import mask_id_number
from competitions.registration import draw as drawing
from tests.factories import (
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)
from tests.test_draw import pdf_text

VENUE = "南京市技师学院实训楼三楼"
SCHEDULE = "3月15日 8:30—10:00 理论知识考试\n3月15日 13:30—17:30 实际操作比赛"


@pytest.fixture
def setup(tree):
    organiser = make_organiser(tree.city, "nj_organiser")
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition, quota_per_org=None, venue=VENUE,
                       checkin_at=datetime(2027, 3, 15, 0, 0), schedule=SCHEDULE)
    user = make_user("worker")
    worker = make_worker(tree.firm, name="张三明", user=user,
                         id_number=valid_id_number(serial=601))
    other_user = make_user("other")
    other = make_worker(tree.firm, name="李四", user=other_user,
                        id_number=valid_id_number(serial=602), phone="13900000002")
    entry = make_entry(event, worker)
    other_entry = make_entry(event, other)
    db.session.commit()
    return dict(organiser=organiser, event=event, user=user, worker=worker, entry=entry,
                other_user=other_user, other_entry=other_entry)


def run_draw(setup):
    drawing.draw_event(setup["organiser"], setup["event"])
    db.session.commit()


def slip_url(entry) -> str:
    return f"/registration/entries/{entry.id}/admission-slip.pdf"


def test_slip_carries_numbers_codes_venue_time_schedule_and_rules(setup, login_as):
    run_draw(setup)
    entry, worker = setup["entry"], setup["worker"]
    response = login_as(setup["user"]).get(slip_url(entry))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    pdf = response.data
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf
    assert re.search(rb"/BaseFont /[A-Z]{6}\+" + FONT_NAME.encode(), pdf)
    text = pdf_text(pdf)
    assert "准考证" in text and "2026年南京市职工职业技能大赛" in text
    assert "参赛号" in text and entry.entry_number in text
    assert "检录号" in text and entry.checkin_code in text
    assert VENUE in text and "2027年3月15日 08:00" in text  # 00:00 UTC is 08:00 in Beijing
    assert "理论知识考试" in text and "实际操作比赛" in text
    assert "身份证" in text and "30分钟" in text
    assert "张三明" in text and "南京钢铁集团" in text
    assert mask_id_number(worker.id_number) in text and worker.id_number not in text
    assert entry.blind_code not in text


def test_unset_venue_and_time_print_as_to_be_announced(setup, login_as):
    event = setup["event"]
    event.venue, event.checkin_at, event.schedule = None, None, None
    run_draw(setup)
    text = pdf_text(login_as(setup["user"]).get(slip_url(setup["entry"])).data)
    assert text.count("另行通知") >= 3


def test_a_name_no_font_has_prints_as_geta_not_blank(setup, login_as):
    setup["worker"].name = "吉𠮷"
    db.session.commit()
    run_draw(setup)
    text = pdf_text(login_as(setup["user"]).get(slip_url(setup["entry"])).data)
    assert "吉〓" in text


def test_another_workers_slip_is_not_found(setup, login_as):
    run_draw(setup)
    client = login_as(setup["other_user"])
    assert client.get(slip_url(setup["entry"])).status_code == 404
    assert client.get(slip_url(setup["other_entry"])).status_code == 200


def test_organisers_do_not_download_slips(setup, login_as):
    run_draw(setup)
    assert login_as(setup["organiser"]).get(slip_url(setup["entry"])).status_code == 404


def test_anonymous_is_sent_to_log_in(setup, client):
    run_draw(setup)
    response = client.get(slip_url(setup["entry"]))
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


def test_no_slip_before_the_draw(setup, login_as):
    assert login_as(setup["user"]).get(slip_url(setup["entry"])).status_code == 404


def test_no_slip_once_results_are_final(setup, login_as):
    run_draw(setup)
    setup["event"].stage = EventStage.FINAL
    db.session.commit()
    assert login_as(setup["user"]).get(slip_url(setup["entry"])).status_code == 404


def test_slip_for_a_scoring_event_still_downloads(setup, login_as):
    run_draw(setup)
    setup["event"].stage = EventStage.SCORING
    db.session.commit()
    assert login_as(setup["user"]).get(slip_url(setup["entry"])).status_code == 200


def test_unknown_entry_is_not_found(setup, login_as):
    assert login_as(setup["user"]).get("/registration/entries/999999/admission-slip.pdf") \
        .status_code == 404


def test_each_team_member_gets_their_own_slip(setup, login_as, tree):
    mate_user = make_user("mate")
    mate = make_worker(tree.firm, name="王五", user=mate_user,
                       id_number=valid_id_number(serial=603), phone="13900000003")
    leader = make_worker(tree.firm, name="赵六", id_number=valid_id_number(serial=604),
                         phone="13900000004")
    team_event = make_event(setup["event"].competition, "电工", team_size=2, venue=VENUE)
    team = make_entry(team_event, team=[leader, mate])
    db.session.commit()
    drawing.draw_event(setup["organiser"], team_event)
    db.session.commit()
    text = pdf_text(login_as(mate_user).get(slip_url(team)).data)
    assert "王五" in text and "第一队" in text and team.checkin_code in text
    assert mask_id_number(mate.id_number) in text and mask_id_number(leader.id_number) not in text
