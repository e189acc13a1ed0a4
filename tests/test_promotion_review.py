"""Promotion review: who may confirm or decline an eligibility, what confirming records, the
batch (all or nothing), expiry, the exports matching the page, the rules page, and the
command line."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from competitions.accounts.models import Role, RoleGrant
from competitions.audit.models import AuditEntry
from competitions.database import utcnow
from competitions.extensions import db
from competitions.organisations.models import OrgKind, Tier
from competitions.promotion import eligibility as service
from competitions.promotion.cli import promotion_cli
from competitions.promotion.exports import HEADERS, Filters, eligibility_rows
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, LevelChange, PromotionEligibility
from competitions.promotion.rules import preset
from competitions.promotion.worker_levels import level_in
from tests.conftest import login
from tests.factories import make_org, make_organiser, make_user
from tests.test_certificate_pages import _finalise

CERTIFICATE = "Y000032000123262000001"  # level digit 2: 技师


@pytest.fixture
def setup(built_once):
    """A finalised city event under national_class1_2015: four entrants, all 中级工 in 焊工 and
    all in the top five, so each is eligible for 技师. The provincial HR bureau covers it.
    Built once per worker and database (conftest.built_once), restored for each test."""
    return built_once("promotion-review", build_setup)


def build_setup():
    from tests.factories import MarkingSetup, Tree

    tree = Tree()
    setup = MarkingSetup(tree).with_results_officials()
    setup.competition.promotion_rules = preset("national_class1_2015").to_json()
    for worker in setup.workers:
        worker.occupation_id, worker.skill_level = setup.event.occupation_id, SkillLevel.LEVEL_4
    bureau = make_org("江苏省人力资源和社会保障厅", parent=tree.province, kind=OrgKind.HR_BUREAU,
                      tier=Tier.PROVINCIAL)
    setup.hr = make_user("hrofficer")
    db.session.add(RoleGrant(user=setup.hr, role=Role.HR_OFFICER, organisation=bureau,
                             covers=tree.province))
    other_bureau = make_org("浙江省人力资源和社会保障厅", parent=tree.national,
                            kind=OrgKind.HR_BUREAU, tier=Tier.PROVINCIAL)
    setup.hr_elsewhere = make_user("hrelsewhere")
    db.session.add(RoleGrant(user=setup.hr_elsewhere, role=Role.HR_OFFICER,
                             organisation=other_bureau, covers=other_bureau))
    setup.other_organiser = make_organiser(tree.other_city, "suzhouorganiser")
    db.session.flush()
    _finalise(setup)
    return setup


def eligibility_of(setup, index) -> PromotionEligibility:
    return db.session.scalar(sa.select(PromotionEligibility).where(
        PromotionEligibility.worker_id == setup.workers[index].id))


def pending(setup) -> list[PromotionEligibility]:
    return list(db.session.scalars(sa.select(PromotionEligibility).where(
        PromotionEligibility.event_id == setup.event.id,
        PromotionEligibility.status == EligibilityStatus.PENDING)
        .order_by(PromotionEligibility.rank, PromotionEligibility.id)))


def test_finalising_makes_everyone_eligible_for_technician(setup):
    found = pending(setup)
    assert len(found) == 4
    assert all(e.eligible and e.to_level is SkillLevel.LEVEL_2 for e in found)
    assert all("参照第五届全国职工职业技能大赛" in e.reason for e in found)


def test_hr_officer_covering_the_province_confirms(setup, login_as):
    client = login_as(setup.hr)
    e = eligibility_of(setup, 0)
    response = client.post(f"/promotion/eligibilities/{e.id}/confirm",
                           data={"document_no": "苏人社函〔2027〕12号",
                                 "certificate_no": CERTIFICATE})
    assert response.status_code == 302
    db.session.expire_all()
    e = db.session.get(PromotionEligibility, e.id)
    assert e.status is EligibilityStatus.CONFIRMED
    assert e.document_no == "苏人社函〔2027〕12号" and e.certificate_no == CERTIFICATE
    worker = setup.workers[0]
    assert level_in(worker, setup.event.occupation_id) is SkillLevel.LEVEL_2
    change = db.session.scalar(sa.select(LevelChange).where(LevelChange.eligibility_id == e.id))
    assert (change.from_level, change.to_level, change.source) == (
        SkillLevel.LEVEL_4, SkillLevel.LEVEL_2, "promotion")
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "promotion.confirm", AuditEntry.subject_id == str(e.id)))
    assert audit is not None and audit.actor_id == setup.hr.id


def test_confirmation_is_in_the_events_occupation_only(setup, login_as):
    """A worker who is 中级工 in 焊工 and 高级工 in 电工 keeps the 电工 level."""
    from competitions.promotion.models import WorkerLevel
    from tests.factories import make_occupation

    electrician = make_occupation("电工")
    worker = setup.workers[1]
    db.session.add(WorkerLevel(worker_id=worker.id, occupation_id=electrician.id,
                               level=SkillLevel.LEVEL_3))
    db.session.commit()
    client = login_as(setup.hr)
    e = eligibility_of(setup, 1)
    client.post(f"/promotion/eligibilities/{e.id}/confirm", data={"document_no": "文号1"})
    db.session.expire_all()
    assert level_in(worker, setup.event.occupation_id) is SkillLevel.LEVEL_2
    assert level_in(worker, electrician.id) is SkillLevel.LEVEL_3


@pytest.mark.parametrize("who", ["hr_elsewhere", "other_organiser", "entrant", "organiser"])
def test_others_cannot_decide(setup, login_as, who):
    """HR elsewhere, another city's organiser, the worker, and the organiser (the competition
    does not let organisers decide) are refused; nothing changes."""
    client = login_as(getattr(setup, who))
    e = eligibility_of(setup, 1)  # 李小红, whose login is `entrant`
    response = client.post(f"/promotion/eligibilities/{e.id}/confirm",
                           data={"document_no": "文号"})
    assert response.status_code == 403
    response = client.post(f"/promotion/eligibilities/{e.id}/decline",
                           data={"reason": "不同意"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, e.id).status is EligibilityStatus.PENDING


def test_organiser_decides_when_the_competition_allows(setup, login_as):
    setup.competition.promotion_by_organisers = True
    db.session.commit()
    client = login_as(setup.organiser)
    e = eligibility_of(setup, 2)
    client.post(f"/promotion/eligibilities/{e.id}/confirm",
                data={"document_no": "宁总工〔2027〕3号"})
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, e.id).status is EligibilityStatus.CONFIRMED


@pytest.mark.parametrize("who,status", [("hr", 200), ("organiser", 200), ("entrant", 403),
                                        ("hr_elsewhere", 403), ("other_organiser", 403)])
def test_who_sees_the_list(setup, login_as, who, status):
    response = login_as(getattr(setup, who)).get(
        f"/promotion/eligibilities?competition={setup.competition.id}&status=pending")
    assert response.status_code == status


@pytest.fixture
def second_client(app):
    """Another browser: login_as(other) on the first client keeps its first session."""
    def _login(user):
        client = app.test_client()
        assert login(client, user).status_code == 302
        return client
    return _login


def test_list_masks_id_numbers_for_those_not_managing_the_unit(setup, login_as, second_client):
    e = eligibility_of(setup, 0)
    number = setup.workers[0].id_number
    page = login_as(setup.hr).get("/promotion/eligibilities").get_data(as_text=True)
    assert number not in page and f"{number[:6]}********{number[-4:]}" in page
    assert f'data-testid="tick-{e.id}"' in page
    page = second_client(setup.organiser).get("/promotion/eligibilities").get_data(as_text=True)
    assert number in page  # the city's organiser manages the worker's unit
    assert f'data-testid="tick-{e.id}"' not in page  # sees, does not decide


def test_decline_needs_a_reason(setup, login_as):
    client = login_as(setup.hr)
    e = eligibility_of(setup, 3)
    client.post(f"/promotion/eligibilities/{e.id}/decline", data={"reason": "  "})
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, e.id).status is EligibilityStatus.PENDING
    client.post(f"/promotion/eligibilities/{e.id}/decline", data={"reason": "材料不全"})
    db.session.expire_all()
    e = db.session.get(PromotionEligibility, e.id)
    assert e.status is EligibilityStatus.DECLINED and e.decline_reason == "材料不全"
    assert level_in(setup.workers[3], setup.event.occupation_id) is SkillLevel.LEVEL_4


def test_confirm_needs_a_document_number_and_a_valid_certificate(setup, login_as):
    client = login_as(setup.hr)
    e = eligibility_of(setup, 0)
    client.post(f"/promotion/eligibilities/{e.id}/confirm", data={"document_no": ""})
    response = client.post(f"/promotion/eligibilities/{e.id}/confirm",
                           data={"document_no": "文号", "certificate_no": "Y123"},
                           follow_redirects=True)
    assert "22" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, e.id).status is EligibilityStatus.PENDING


def test_certificate_added_after_confirmation(setup, login_as):
    client = login_as(setup.hr)
    e = eligibility_of(setup, 0)
    client.post(f"/promotion/eligibilities/{e.id}/confirm", data={"document_no": "文号"})
    client.post(f"/promotion/eligibilities/{e.id}/certificate",
                data={"certificate_no": CERTIFICATE})
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, e.id).certificate_no == CERTIFICATE


def test_batch_is_all_or_nothing(setup, login_as):
    client = login_as(setup.hr)
    first, second, third, fourth = pending(setup)
    # The fourth expired: the batch is refused, naming it, and nothing is saved.
    fourth.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    response = client.post("/promotion/eligibilities/batch", follow_redirects=True, data={
        "ids": [first.id, second.id, fourth.id], "action": "confirm",
        "document_no": "苏人社函〔2027〕20号"})
    page = response.get_data(as_text=True)
    name = db.session.get(PromotionEligibility, fourth.id)
    assert setup.workers[[w.id for w in setup.workers].index(name.worker_id)].name in page
    db.session.expire_all()
    assert all(db.session.get(PromotionEligibility, e.id).status is EligibilityStatus.PENDING
               for e in (first, second))
    assert db.session.scalar(sa.select(sa.func.count(LevelChange.id)).where(
        LevelChange.source == "promotion")) == 0
    # Without it, both are confirmed with the one 文号.
    client.post("/promotion/eligibilities/batch", data={
        "ids": [first.id, second.id], "action": "confirm", "document_no": "苏人社函〔2027〕20号"})
    db.session.expire_all()
    assert [db.session.get(PromotionEligibility, e.id).document_no for e in (first, second)] \
        == ["苏人社函〔2027〕20号"] * 2
    # Declining together needs the one reason.
    client.post("/promotion/eligibilities/batch", data={"ids": [third.id], "action": "decline"})
    db.session.expire_all()
    assert db.session.get(PromotionEligibility, third.id).status is EligibilityStatus.PENDING


def test_expired_eligibility_cannot_be_confirmed(setup, login_as):
    e = eligibility_of(setup, 0)
    later = e.expires_at + timedelta(seconds=1)
    assert e.is_expired(later)
    with pytest.raises(service.PromotionRefused):
        service.confirm(setup.hr, e, document_no="文号", now=later)
    db.session.rollback()
    e = eligibility_of(setup, 0)
    e.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = login_as(setup.hr).get(
        f"/promotion/eligibilities?competition={setup.competition.id}&status=expired")
    assert f'data-testid="eligibility-{e.id}"' in page.get_data(as_text=True)
    assert "已过期" in page.get_data(as_text=True)


def _page_rows(html: str) -> list[tuple[str, str]]:
    """(name, ID number as shown) of each card on the page, in order."""
    cards = re.findall(r'<li class="card" data-testid="eligibility-(\d+)">(.*?)</li>', html,
                       re.S)
    rows = []
    for _id, card in cards:
        name = re.search(r"<h3>\s*(?:<label>.*?> )?([^<\s]+)", card, re.S).group(1)
        number = re.search(r'data-testid="id-\d+">([^<]*)<', card).group(1)
        rows.append((name, number))
    return rows


def test_xlsx_rows_match_the_page(setup, login_as):
    client = login_as(setup.hr)
    first = pending(setup)[0]
    client.post(f"/promotion/eligibilities/{first.id}/confirm", data={"document_no": "文号"})
    query = f"competition={setup.competition.id}&status=pending"
    page = client.get(f"/promotion/eligibilities?{query}").get_data(as_text=True)
    response = client.get(f"/promotion/eligibilities.xlsx?{query}")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == HEADERS
    assert [(line[0], line[1]) for line in lines[1:]] == _page_rows(page)
    assert len(lines) == 4  # three pending after the one confirmed
    assert all("*" in line[1] for line in lines[1:])  # HR does not manage the units
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "promotion.export", AuditEntry.actor_id == setup.hr.id))


def test_xlsx_cells_never_start_a_formula(setup, login_as):
    setup.workers[0].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    content = login_as(setup.organiser).get("/promotion/eligibilities.xlsx").data
    sheet = load_workbook(io.BytesIO(content)).active
    cell = next(row[0] for row in sheet.iter_rows() if str(row[0].value).startswith("="))
    assert cell.data_type == "s"
    assert setup.workers[1].id_number in [row[1].value for row in sheet.iter_rows()]


def test_pdf_masks_id_numbers_always(setup, login_as):
    response = login_as(setup.organiser).get(
        f"/promotion/eligibilities.pdf?competition={setup.competition.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages
                   ).replace("\n", "")
    assert setup.workers[0].id_number not in text
    assert setup.workers[0].id_number[-4:] in text
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape


def test_rows_follow_the_unit_filter(setup):
    firm_rows = list(eligibility_rows(setup.hr, Filters(unit=setup.tree.firm)))
    assert {row.name for row in firm_rows} == {"王大明", "李小红"}  # the firm and its plant
    assert {row.name for row in eligibility_rows(setup.hr, Filters())} == {
        "王大明", "李小红", "赵志强", "陈美玲"}


# --- the rules page -------------------------------------------------------------------------

def rules_data(**overrides):
    data = {"scheme": "none", "expiry_days": "90"}
    data.update(overrides)
    return data


def test_rules_page_is_for_organisers(setup, login_as, second_client):
    url = f"/promotion/competitions/{setup.competition.id}/rules"
    assert login_as(setup.hr).get(url).status_code == 403
    page = second_client(setup.organiser).get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "参照天津市人力资源和社会保障局职业技能竞赛晋升规定" in html
    shown = re.sub(r"<[^>]*>", "", html)  # the text, without tags and their attributes
    assert "national_class1_2015" not in shown and "http" not in shown
    assert 'data-testid="cutoffs"' in html  # the event has results


def test_rules_page_saves_a_preset(setup, login_as):
    client = login_as(setup.organiser)
    url = f"/promotion/competitions/{setup.competition.id}/rules"
    response = client.post(url, data=rules_data(scheme="anhui_2023", by_organisers="y",
                                                expiry_days="30"))
    assert response.status_code == 302
    db.session.expire_all()
    assert setup.competition.promotion_rules == preset("anhui_2023").to_json()
    assert setup.competition.promotion_by_organisers is True
    assert setup.competition.promotion_expiry_days == 30


def band(i, **values):
    return {f"bands-{i}-{name}": value for name, value in values.items()}


def test_rules_page_saves_an_edited_copy(setup, login_as):
    client = login_as(setup.organiser)
    url = f"/promotion/competitions/{setup.competition.id}/rules"
    copy = client.get(f"{url}?copy=national_class1_2015").get_data(as_text=True)
    assert 'value="前5名"' in copy
    data = rules_data(scheme="custom", cited_as="参照南京市职工职业技能竞赛晋升规定（2026年）",
                      one_per_year="y",
                      **band(0, label="前3名", kind="ranks", first="1", last="3",
                             employee_target="level2", employee_cap="level1",
                             student_target="level3"),
                      **band(1, label="前21%至40%", kind="shares", share_after="20",
                             share_up_to="40", employee_target="level3"))
    preview = client.post(url, data={**data, "preview": "1"}).get_data(as_text=True)
    assert 'data-testid="rules-preview"' in preview and "前21%至40%" in preview
    db.session.expire_all()
    assert setup.competition.promotion_rules == preset("national_class1_2015").to_json()
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    rules = service.rules_of(setup.competition)
    assert rules.name == "custom" and rules.one_per_year
    assert [b.label for b in rules.bands] == ["前3名", "前21%至40%"]
    assert rules.bands[1].shares[1] * 5 == 2
    assert rules.bands[0].student.target is SkillLevel.LEVEL_3


def test_rules_page_refuses_a_bad_band_naming_it(setup, login_as):
    client = login_as(setup.organiser)
    url = f"/promotion/competitions/{setup.competition.id}/rules"
    data = rules_data(scheme="custom", cited_as="参照某规定",
                      **band(0, label="前5名", kind="ranks", first="1", last="5",
                             employee_target="level2"),
                      **band(1, label="第6至3名", kind="ranks", first="6", last="3",
                             employee_target="level3"))
    response = client.post(url, data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="band-error-2"' in html and "第6至3名" in html
    db.session.expire_all()
    assert setup.competition.promotion_rules == preset("national_class1_2015").to_json()


# --- the command line -----------------------------------------------------------------------

def test_cli_export_writes_every_status_with_full_id_numbers(setup, app, tmp_path):
    e = eligibility_of(setup, 0)
    service.decline(setup.hr, e, reason="材料不全")
    db.session.commit()
    out = tmp_path / "promotion.xlsx"
    result = app.test_cli_runner().invoke(promotion_cli, [
        "export", str(setup.competition.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(lines) == 5
    assert {line[1] for line in lines[1:]} == {w.id_number for w in setup.workers}
    assert "不予核准" in {line[11] for line in lines[1:]}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "promotion.export"))


def test_cli_remind_counts_the_reminders(setup, app):
    for e in pending(setup):
        e.expires_at = utcnow() + timedelta(days=3)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(promotion_cli, ["remind", "--within-days", "14"])
    assert result.exit_code == 0, result.output
    sent = int(result.output.split()[0])
    assert sent >= 1  # the HR officer covering the province at least
    again = runner.invoke(promotion_cli, ["remind"])
    assert again.output.split()[0] == "0"  # once a day at most
