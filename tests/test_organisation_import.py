"""The organisation data import: units' workforce, industry, ownership and size from a
spreadsheet — the template, every row's errors, all-or-nothing, and who may do it."""

import io
import json

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from competitions.audit.models import AuditEntry
from competitions.extensions import db
from competitions.organisations import profile_import
from competitions.organisations.models import (
    EnterpriseSize,
    Organisation,
    OrganisationImport,
    OrgKind,
    Ownership,
)
from competitions.organisations.services import Profile, update_profile
from competitions.spreadsheets.pipeline import AlreadyImported, ImportRejected
from tests.factories import (
    make_admin,
    make_enterprise,
    make_org,
    make_organiser,
    make_user,
    make_worker,
    make_xlsx,
)

HEADER = ["单位编号", "单位名称", "上级单位", "职工人数", "统计年度", "行业门类", "所有制", "规模"]


@pytest.fixture
def units(tree):
    """Under the city: the firm, a school (profile recorded), and two firms sharing a name."""
    organiser = make_organiser(tree.city, "city_organiser")
    school = make_org("南京技师学院", parent=tree.city, kind=OrgKind.SCHOOL,
                      tier=tree.firm.tier)
    update_profile(organiser, school, Profile(300, 2025, "P", Ownership.STATE,
                                              EnterpriseSize.SMALL))
    district = make_org("玄武区总工会", parent=tree.city, tier=tree.city.tier)
    twin_a = make_enterprise(tree.city, "金陵机械厂")
    twin_b = make_enterprise(district, "金陵机械厂")
    db.session.commit()
    return {"organiser": organiser, "school": school, "district": district,
            "twins": (twin_a, twin_b)}


@pytest.fixture
def in_english(app):
    """Messages formatted outside a request, in English."""
    with force_locale("en"):
        yield


def _stage(actor, org, header, rows):
    return profile_import.stage_upload(actor, org, "单位数据.xlsx", make_xlsx(header, rows))


def _plan(units, tree, header, rows):
    return profile_import.preview(_stage(units["organiser"], tree.city, header, rows))


def _errors(plan):
    return [(error.row, error.column, str(error.message)) for error in plan.errors]


# The template


def test_the_template_lists_every_employing_unit_under_the_organisation_as_recorded(
        tree, units):
    content = profile_import.template_workbook(tree.city)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["单位数据", "填写说明", "可选值"]
    rows = list(book["单位数据"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    by_id = {row[0]: row for row in rows[1:]}
    school, (twin_a, twin_b) = units["school"], units["twins"]
    # Enterprises and schools under the city only: not the unions, not the other city's firm.
    assert set(by_id) == {tree.firm.id, school.id, twin_a.id, twin_b.id}
    assert by_id[school.id][1:] == ("南京技师学院", "南京市总工会", 300, 2025, "P 教育",
                                    "国有", "小型")
    assert by_id[twin_b.id][2] == "玄武区总工会"  # the parent tells the twins apart
    assert by_id[tree.firm.id][3:] == (None,) * 5
    choices = {dv.formula1 for dv in book["单位数据"].data_validations.dataValidation}
    assert "'可选值'!$C$2:$C$5" in choices
    options = [row for row in book["可选值"].iter_rows(values_only=True)]
    assert options[1] == ("A 农、林、牧、渔业", "国有", "大型")


def test_the_template_uploaded_unchanged_changes_nothing(tree, units):
    content = profile_import.template_workbook(tree.city)
    staged = profile_import.stage_upload(units["organiser"], tree.city, "t.xlsx", content)
    plan = profile_import.preview(staged)
    assert plan.errors == [] and plan.rows == 4
    assert plan.changes == [] and plan.unchanged == 4


# Validation, row by row


def test_a_filled_in_template_updates_each_unit_and_records_one_audit_entry(tree, units):
    school, (twin_a, twin_b) = units["school"], units["twins"]
    rows = [
        [tree.firm.id, "南京钢铁集团", "", 12000, 2026, "C", "国有", "大型"],
        [school.id, "", "", 320, "2026年", "", "", ""],  # blanks keep industry and the rest
        [twin_b.id, "金陵机械厂", "", "1,200", 2026, "制造业", "民营企业", "中"],
        [twin_a.id, "", "", "", "", "", "外资/港澳台", ""],  # ownership only
    ]
    staged = _stage(units["organiser"], tree.city, HEADER, rows)
    plan = profile_import.preview(staged)
    assert plan.errors == []
    assert [change.row for change in plan.changes] == [2, 3, 4, 5]
    profile_import.confirm(units["organiser"], staged)
    db.session.commit()
    for org in (tree.firm, school, twin_a, twin_b):
        db.session.refresh(org)
    assert Profile.of(tree.firm) == Profile(12000, 2026, "C", Ownership.STATE,
                                            EnterpriseSize.LARGE)
    assert Profile.of(school) == Profile(320, 2026, "P", Ownership.STATE, EnterpriseSize.SMALL)
    assert Profile.of(twin_b) == Profile(1200, 2026, "C", Ownership.PRIVATE,
                                         EnterpriseSize.MEDIUM)
    assert Profile.of(twin_a) == Profile(None, None, None, Ownership.FOREIGN, None)
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "organisation.import")).one()
    after = json.loads(entry.after)
    assert after["rows"] == 4 and after["sha256"] == staged.sha256
    assert after["changes"][str(school.id)] == {"workforce": [300, 320],
                                                "workforce_year": [2025, 2026]}
    assert after["changes"][str(twin_a.id)] == {"ownership": [None, "foreign"]}


def test_units_are_found_by_name_when_the_name_is_theirs_alone(tree, units):
    plan = _plan(units, tree, ["单位名称", "职工人数", "统计年度"],
                 [["南京技师学院", 310, 2026], ["南京钢铁集团", 5000, 2026]])
    assert plan.errors == []
    assert {c.organisation.id: c.after.workforce for c in plan.changes} == {
        units["school"].id: 310, tree.firm.id: 5000}


@pytest.mark.parametrize("row, column, message", [
    (["", "金陵机械厂", "", 10, 2026], "单位名称",
     "2 units under 南京市总工会 are named 金陵机械厂: give the 单位编号"),
    (["", "不存在的公司", "", 10, 2026], "单位名称",
     "There is no unit named 不存在的公司 under 南京市总工会."),
    (["999999", "", "", 10, 2026], "单位编号", "There is no unit numbered 999999 under"),
    (["12a", "", "", 10, 2026], "单位编号", "There is no unit numbered 12a under"),
    (["", "", "上级", 10, 2026], "单位名称", "Give the unit's 单位编号 or 单位名称."),
    (["FIRM", "南京钢铁公司", "", 10, 2026], "单位名称",
     "is 南京钢铁集团, not 南京钢铁公司"),
    (["FIRM", "", "", "十二", 2026], "职工人数", "职工人数 is a whole number of people"),
    (["FIRM", "", "", 12.5, 2026], "职工人数", "职工人数 is a whole number of people"),
    (["FIRM", "", "", -3, 2026], "职工人数", "职工人数 is a whole number of people"),
    (["FIRM", "", "", 20_000_000, 2026], "职工人数", "The workforce is a number from 0 to"),
    (["FIRM", "", "", 10, ""], "统计年度", "Give the year the workforce was counted."),
    (["FIRM", "", "", 10, 1900], "统计年度", "The year counted is between 1990 and"),
    (["FIRM", "", "", 10, "去年"], "统计年度", "统计年度 is a year"),
], ids=["ambiguous", "unknown-name", "unknown-id", "bad-id", "no-unit", "name-mismatch",
        "words", "fraction", "negative", "too-many", "no-year", "old-year", "bad-year"])
def test_each_bad_cell_is_named_by_row_and_column(tree, units, in_english, row, column,
                                                  message):
    row = [tree.firm.id if cell == "FIRM" else cell for cell in row]
    plan = _plan(units, tree, HEADER[:5], [row])
    assert not plan.ok
    assert [(e.row, e.column) for e in plan.errors] == [(2, column)]
    assert message in str(plan.errors[0].message)


def test_every_error_of_every_row_is_listed_and_a_union_records_nothing(tree, units,
                                                                      in_english):
    rows = [
        [tree.firm.id, "", "", 100, 2026, "Z 不存在", "国企", "巨型"],
        [units["district"].id, "", "", 50, 2026, "", "", ""],  # a union
        [tree.other_firm.id, "", "", 50, 2026, "", "", ""],  # under the other city
        [units["school"].id, "", "", 1, 2026, "", "", ""],
        [units["school"].id, "", "", 2, 2026, "", "", ""],  # the school again
        [units["twins"][0].id, "金陵机械厂\u202e", "", 2, 2026, "", "", ""],
    ]
    plan = _plan(units, tree, HEADER, rows)
    found = [(row, column) for row, column, _message in _errors(plan)]
    assert found == [(7, "单位名称"), (2, "行业门类"), (2, "所有制"), (2, "规模"),
                     (3, "职工人数"), (4, "单位编号"), (6, "单位名称")]
    messages = dict(((r, c), m) for r, c, m in _errors(plan))
    assert "所有制 is one of: State-owned" in messages[(2, "所有制")]
    assert "Only enterprises and schools record" in messages[(3, "职工人数")]
    assert "Row 5 is already for 南京技师学院" in messages[(6, "单位名称")]


@pytest.mark.parametrize("header, message", [
    (["单位名称", "职工人数", "人数"], "The column 人数 is not one this import reads"),
    (["职工人数", "统计年度"], "needs a 单位编号 or a 单位名称 column"),
    (["单位名称", "上级单位"], "there is nothing to import"),
    (["单位名称", "职工人数", "职工人数"], "The column 职工人数 appears twice."),
])
def test_a_header_the_import_cannot_read_is_refused_at_upload(tree, units, in_english,
                                                             header, message):
    with pytest.raises(ImportRejected) as refused:
        _stage(units["organiser"], tree.city, header, [["南京钢铁集团", 1, 2026]])
    assert message in str(refused.value.message)
    assert db.session.scalar(sa.select(sa.func.count(OrganisationImport.id))) == 0


def test_one_bad_row_imports_nothing_and_confirming_twice_is_refused(tree, units):
    organiser = units["organiser"]
    bad = _stage(organiser, tree.city, HEADER[:5],
                 [[tree.firm.id, "", "", 100, 2026], [units["school"].id, "", "", "x", 2026]])
    with pytest.raises(ImportRejected):
        profile_import.confirm(organiser, bad)
    db.session.rollback()
    db.session.refresh(tree.firm)
    assert tree.firm.workforce is None
    good = _stage(organiser, tree.city, HEADER[:5], [[tree.firm.id, "", "", 100, 2026]])
    profile_import.confirm(organiser, good)
    db.session.commit()
    with pytest.raises(AlreadyImported):
        profile_import.confirm(organiser, good)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "organisation.import")) == 1


def test_a_unit_changed_since_the_preview_is_validated_again_at_confirm(tree, units):
    organiser = units["organiser"]
    staged = _stage(organiser, tree.city, ["单位名称", "职工人数"], [["南京技师学院", 400]])
    assert profile_import.preview(staged).ok  # the school records its year already
    update_profile(organiser, units["school"], Profile())  # cleared meanwhile
    with pytest.raises(ImportRejected):
        profile_import.confirm(organiser, staged)
    db.session.rollback()


# The pages, and who may use them

ROLES = ["anonymous", "worker", "other_organiser", "organiser", "admin"]


@pytest.fixture
def as_english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def as_role(tree, units, login_as, as_english):
    def _as(role):
        user = {
            "anonymous": lambda: None,
            "worker": lambda: make_worker(tree.firm, user=make_user("worker")).user,
            "other_organiser": lambda: make_organiser(tree.other_city, "other_organiser"),
            "organiser": lambda: units["organiser"],
            "admin": lambda: make_admin(),
        }[role]()
        db.session.commit()
        return login_as(user) if user else as_english
    return _as


def _upload(client, org, content, filename="单位数据.xlsx"):
    return client.post(f"/organisations/{org.id}/import",
                       data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("role", ROLES)
def test_only_organisers_of_the_organisation_import_its_units(as_role, tree, role):
    client = as_role(role)
    allowed = role in ("organiser", "admin")
    template = client.get(f"/organisations/{tree.city.id}/import/template.xlsx")
    page = client.get(f"/organisations/{tree.city.id}/import")
    upload = _upload(client, tree.city, make_xlsx(["单位名称", "职工人数", "统计年度"],
                                                  [["南京钢铁集团", 7, 2026]]))
    if allowed:
        assert template.status_code == 200 and template.data.startswith(b"PK")
        assert "no-store" in template.headers["Cache-Control"]
        assert page.status_code == 200 and upload.status_code == 302
    else:
        expected = 302 if role == "anonymous" else 403
        assert {template.status_code, page.status_code, upload.status_code} == {expected}
        assert db.session.scalar(sa.select(sa.func.count(OrganisationImport.id))) == 0


def test_someone_elses_staged_file_is_forbidden(as_role, tree, units, login_as):
    staged = _stage(units["organiser"], tree.city, ["单位名称", "职工人数", "统计年度"],
                    [["南京钢铁集团", 7, 2026]])
    db.session.commit()
    colleague = make_organiser(tree.city, "colleague")
    db.session.commit()
    client = login_as(colleague)
    assert client.get(f"/organisations/imports/{staged.id}").status_code == 403
    assert client.post(f"/organisations/imports/{staged.id}/confirm").status_code == 403
    db.session.refresh(tree.firm)
    assert tree.firm.workforce is None


def test_an_organiser_uploads_checks_and_confirms_in_chinese(tree, units, login_as):
    client = login_as(units["organiser"])
    detail = client.get(f"/organisations/{tree.city.id}").get_data(as_text=True)
    assert "导入单位数据" in detail
    response = _upload(client, tree.city, make_xlsx(
        HEADER, [[tree.firm.id, "南京钢铁集团", "", 8000, 2026, "C 制造业", "国有", "大型"]]))
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert 'data-testid="units-changed">1<' in page
    assert "职工人数" in page and "8000" in page and "C 制造业" in page and "大型" in page
    staged = db.session.scalars(sa.select(OrganisationImport)).one()
    confirmed = client.post(f"/organisations/imports/{staged.id}/confirm", data={})
    assert confirmed.status_code == 302
    flash_page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "已更新 1 个单位" in flash_page
    db.session.refresh(tree.firm)
    assert (tree.firm.workforce, tree.firm.ownership) == (8000, Ownership.STATE)
    # The preview of an imported file sends the organiser back to the organisation.
    again = client.get(preview_url)
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/organisations/{tree.city.id}")


def test_the_preview_lists_each_error_and_offers_no_confirmation(tree, units, login_as):
    client = login_as(units["organiser"])
    response = _upload(client, tree.city, make_xlsx(
        HEADER[:5], [[tree.firm.id, "", "", "many", 2026], ["", "<b>无此单位</b>", "", 1, 2026]]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="error-table"' in page and 'data-testid="import-confirm"' not in page
    assert "&lt;b&gt;无此单位&lt;/b&gt;" in page and "<b>无此单位</b>" not in page
    assert db.session.scalar(sa.select(Organisation.workforce).where(
        Organisation.id == tree.firm.id)) is None


def test_a_file_that_is_no_workbook_is_refused_on_the_form(tree, units, login_as):
    client = login_as(units["organiser"])
    response = _upload(client, tree.city, b"not a workbook", "单位数据.xlsx")
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OrganisationImport.id))) == 0
