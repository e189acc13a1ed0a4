"""The worker's record (职工技能电子档案): one page, one .xlsx and one PDF that agree, across
tiers and years; seen by the worker, the organisers over their employer and the HR officers
covering it, and nobody else; unpublished results stay out; downloads are no-store and
audited when someone else takes them."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from competitions.accounts.models import SYSTEM, Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.certificates.models import Certificate
from competitions.contests.models import CompetitionState, EventStage
from competitions.extensions import db
from competitions.organisations.models import Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.promotion.record import worker_record
from competitions.promotion.worker_levels import set_level
from competitions.results.honours import HonourTitle
from competitions.results.models import Result, TitleAward, TitleState
from tests.factories import (
    MarkingSetup,
    Tree,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
)
from tests.test_certificate_pages import _finalise

CITY_NAME = "2026年南京市职工职业技能大赛"  # MarkingSetup's: 2027 (it starts 2027-03-15)
PROVINCE_NAME = "2028年江苏省职工职业技能大赛"
DOCUMENT_NO = "宁人社〔2027〕12号"


@pytest.fixture
def data(built_once):
    """陈美玲 wins the city final (2027, gold: a certificate, a title, a promotion, and a
    nomination to the province), then comes second at the province (2028, silver). Built once
    per worker and database (conftest.built_once), restored for each test."""
    return built_once("worker-record", build_data)


def build_data():
    tree = Tree()
    province = make_competition(tree.province, name=PROVINCE_NAME, tier=Tier.PROVINCIAL,
                                starts_on=date(2028, 5, 10))
    province_event = make_event(province)
    setup = MarkingSetup(tree).with_results_officials()
    setup.competition.feeds = province
    setup.champion = make_user("champion")
    worker = setup.workers[3]  # 陈美玲, first
    worker.user = setup.champion
    _finalise(setup)

    entry = make_entry(province_event, worker)
    db.session.add(Result(event_id=province_event.id, entry_id=entry.id, rank=2,
                          total=Decimal("88.50"), standardised=80, awards=["silver"],
                          components=[]))
    province_event.stage, province.state = EventStage.FINAL, CompetitionState.FINAL
    city_entry = setup.entries[3]
    db.session.add(TitleAward(competition_id=setup.competition.id, event_id=setup.event.id,
                              worker_id=worker.id, title=HonourTitle.CITY_TECHNICAL_EXPERT,
                              rule="test", rank=1, state=TitleState.APPROVED))
    eligibility = PromotionEligibility(
        competition_id=setup.competition.id, event_id=setup.event.id, entry_id=city_entry.id,
        worker_id=worker.id, occupation_id=setup.event.occupation_id, rule_name="test",
        rule_version=1, code="eligible", eligible=True, from_level=SkillLevel.LEVEL_4,
        to_level=SkillLevel.LEVEL_3, reason="市级竞赛第1名，晋升一级", rank=1,
        awards=["gold"], status=EligibilityStatus.CONFIRMED, document_no=DOCUMENT_NO,
        decided_at=datetime(2027, 4, 1, 8))
    db.session.add(eligibility)
    db.session.flush()
    set_level(SYSTEM, worker, setup.event.occupation, SkillLevel.LEVEL_3, on=date(2027, 4, 1),
              source="promotion", eligibility_id=eligibility.id, document_no=DOCUMENT_NO)
    db.session.commit()
    setup.worker, setup.province, setup.province_event = worker, province, province_event
    return setup


def url(worker, suffix=""):
    return f"/promotion/workers/{worker.id}/record{suffix}"


def hr_officer(organisation):
    user = make_user()
    db.session.add(RoleGrant(user=user, role=Role.HR_OFFICER, organisation=organisation))
    db.session.commit()
    return user


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content))["参赛记录"]
    return list(sheet.iter_rows(min_row=2, values_only=True))


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def in_order(text: str, *parts: str) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


# --- one record, three ways ------------------------------------------------------------------

def test_the_page_the_spreadsheet_and_the_pdf_agree_across_tiers_and_years(login_as, data):
    client = login_as(data.champion)
    html = client.get(url(data.worker)).get_data(as_text=True)
    rows = sheet_rows(client.get(url(data.worker, ".xlsx")).data)
    text = pdf_text(client.get(url(data.worker, ".pdf")).data)

    assert [row[:3] for row in rows] == [(2028, "省级", PROVINCE_NAME), (2027, "市级", CITY_NAME)]
    province, city = rows
    assert (province[6], float(province[7]), province[8]) == (2, 88.5, "银牌")
    assert (city[6], city[8]) == (1, "金牌")
    assert PROVINCE_NAME in city[10]  # nominated on to the province
    cert = db.session.scalar(sa.select(Certificate).where(
        Certificate.worker_id == data.worker.id))
    assert cert.serial in city[11]
    assert (city[15], city[14]) == (DOCUMENT_NO, "市级竞赛第1名，晋升一级")

    cards = html.split('data-testid="record-row"')[1:]
    assert len(cards) == 2 and PROVINCE_NAME in cards[0] and CITY_NAME in cards[1]
    assert ">2<" in cards[0] and "银牌" in cards[0] and "88.50" in cards[0]
    assert ">1<" in cards[1] and "金牌" in cards[1] and DOCUMENT_NO in cards[1]
    assert f"/certificates/{cert.id}.pdf" in cards[1] and cert.serial in cards[1]
    assert 'data-testid="level-history"' in html

    assert in_order(text, PROVINCE_NAME, "88.50", "银牌", CITY_NAME, "金牌", DOCUMENT_NO)
    assert cert.serial in text and "陈美玲" in text
    for secret in (data.worker.id_number, data.worker.phone):
        assert secret not in html and secret not in text
        assert all(secret not in str(cell) for row in rows for cell in row)


def test_the_service_reads_a_record_in_a_fixed_number_of_queries(data):
    statements = []

    def count(*_args):
        statements.append(1)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        worker_record(data.worker)
        first = len(statements)
        db.session.delete(db.session.scalar(sa.select(Result).where(
            Result.event_id == data.province_event.id)))
        make_entry(make_event(data.province, "电工"), data.worker)
        db.session.commit()
        db.session.expire_all()
        statements.clear()
        record = worker_record(data.worker)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(record.rows) == 3
    assert len(statements) <= first + 1  # + reloading the expired worker's occupation


def test_unpublished_results_are_not_shown(login_as, data):
    data.province_event.stage = EventStage.DECRYPTED
    db.session.commit()
    client = login_as(data.champion)
    html = client.get(url(data.worker)).get_data(as_text=True)
    province = html.split('data-testid="record-row"')[1]
    assert PROVINCE_NAME in province
    assert "88.50" not in province and "银牌" not in province and "record-rank" not in province
    rows = sheet_rows(client.get(url(data.worker, ".xlsx")).data)
    assert rows[0][2] == PROVINCE_NAME and rows[0][6:9] == (None, None, None)
    text = pdf_text(client.get(url(data.worker, ".pdf")).data)
    assert PROVINCE_NAME in text and "88.50" not in text and "银牌" not in text


# --- who sees it ---------------------------------------------------------------------------

def test_the_worker_finds_their_own_record_from_my_profile(login_as, data):
    client = login_as(data.champion)
    profile = client.get("/registration/me").get_data(as_text=True)
    assert url(data.worker) in profile
    response = client.get("/promotion/me/record")
    assert response.status_code == 302 and response.location.endswith(url(data.worker))


def test_the_worker_page_links_to_the_record(login_as, data):
    client = login_as(make_organiser(data.tree.city))
    page = client.get(f"/registration/workers/{data.worker.id}").get_data(as_text=True)
    assert url(data.worker) in page


def test_someone_without_a_profile_has_no_record_of_their_own(login_as, data):
    assert login_as(make_user()).get("/promotion/me/record").status_code == 404


@pytest.mark.parametrize("who", ["other_city_organiser", "other_worker", "other_city_hr"])
def test_nobody_outside_the_subtree_sees_the_record(login_as, data, who):
    user = {"other_city_organiser": lambda: make_organiser(data.tree.other_city),
            "other_worker": lambda: data.entrant,
            "other_city_hr": lambda: hr_officer(data.tree.other_city)}[who]()
    db.session.commit()
    client = login_as(user)
    for suffix in ("", ".xlsx", ".pdf"):
        response = client.get(url(data.worker, suffix))
        assert response.status_code == 403
        assert PROVINCE_NAME not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in_and_unknown_workers_are_404(client, login_as,
                                                                           data):
    assert client.get(url(data.worker)).status_code == 302
    assert login_as(data.champion).get("/promotion/workers/999999/record").status_code == 404


@pytest.mark.parametrize("who", ["city_organiser", "city_hr", "province_hr"])
def test_organisers_and_hr_officers_over_the_employer_see_it(login_as, data, who):
    tree = data.tree
    user = {"city_organiser": lambda: make_organiser(tree.city),
            "city_hr": lambda: hr_officer(tree.city),
            "province_hr": lambda: hr_officer(tree.province)}[who]()
    db.session.commit()
    html = login_as(user).get(url(data.worker)).get_data(as_text=True)
    assert PROVINCE_NAME in html and CITY_NAME in html and DOCUMENT_NO in html


def test_certificate_links_only_for_those_who_may_download_them(login_as, data):
    """The HR officer sees the certificate's serial, not a link the download would refuse."""
    html = login_as(hr_officer(data.tree.city)).get(url(data.worker)).get_data(as_text=True)
    cert = db.session.scalar(sa.select(Certificate).where(
        Certificate.worker_id == data.worker.id))
    assert cert.serial in html and f"/certificates/{cert.id}.pdf" not in html


# --- downloads -----------------------------------------------------------------------------

def exports_of(worker) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "promotion.record_export",
        AuditEntry.subject_id == str(worker.id))))


def test_the_workers_own_downloads_are_no_store_and_not_audited(login_as, data):
    client = login_as(data.champion)
    for suffix in (".xlsx", ".pdf"):
        response = client.get(url(data.worker, suffix))
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert exports_of(data.worker) == []


def test_someone_elses_downloads_are_no_store_and_audited(login_as, data):
    officer = hr_officer(data.tree.province)
    client = login_as(officer)
    xlsx, pdf = client.get(url(data.worker, ".xlsx")), client.get(url(data.worker, ".pdf"))
    assert xlsx.headers["Cache-Control"] == pdf.headers["Cache-Control"] == "no-store"
    assert pdf.mimetype == "application/pdf" and xlsx.data[:2] == b"PK"
    entries = exports_of(data.worker)
    assert [entry.actor_id for entry in entries] == [officer.id, officer.id]
    assert sorted(entry.after for entry in entries) == sorted(
        ['{"file":"pdf","rows":2}', '{"file":"xlsx","rows":2}'])
