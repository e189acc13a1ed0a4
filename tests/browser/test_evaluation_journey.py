"""In the browser: a provincial organiser opens the evaluation of a small province, filters by
ownership, and downloads the annual report PDF."""

import os
from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import expect

from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.organisations.models import EnterpriseSize, Ownership, Tier
from tests import factories

YEAR = 2026
SHOTS = os.environ.get("EVALUATION_SHOTS")  # a folder: keep the screenshots and the PDF


def small_province(app) -> int:
    """江苏省: two cities, a state-owned and a private enterprise with workforce, a private one
    that never entered; three entrants at the provincial contest of YEAR."""
    with app.app_context():
        tree = factories.Tree()
        for firm, workforce, ownership in ((tree.firm, 300, Ownership.STATE),
                                           (tree.other_firm, 100, Ownership.PRIVATE)):
            firm.workforce, firm.workforce_year = workforce, YEAR
            firm.ownership, firm.size, firm.industry = ownership, EnterpriseSize.LARGE, "C"
        idle = factories.make_enterprise(tree.city, "南京闲置公司")
        idle.ownership = Ownership.PRIVATE
        competition = factories.make_competition(
            tree.province, name="2026年江苏省职工职业技能大赛", tier=Tier.PROVINCIAL,
            state=CompetitionState.REGISTRATION, starts_on=date(YEAR, 5, 10))
        event = factories.make_event(competition)
        for firm, name in ((tree.firm, "王大明"), (tree.firm, "李小红"),
                           (tree.other_firm, "赵志强")):
            factories.make_entry(event, factories.make_worker(firm, name=name))
        factories.make_organiser(tree.province, "js_organiser")
        db.session.commit()
        return tree.province.id


def test_provincial_organiser_filters_and_downloads_the_report(live_app, live_server, open_as,
                                                               zh, tmp_path):
    province_id = small_province(live_app)
    page = open_as("js_organiser")
    page.get_by_role("link", name=zh("Evaluation"), exact=True).click()
    expect(page.get_by_role("heading", name=zh("Effectiveness evaluation"))).to_be_visible()
    page.goto(f"{live_server}/evaluation/?org={province_id}&year={YEAR}")
    measures = page.get_by_test_id("table-measures")
    participation = measures.locator("tr", has_text=zh("Participation rate")).first
    expect(participation).to_contain_text("0.75%")  # 3 of 400
    expect(measures).to_contain_text("÷")  # the definitions beside the figures
    for chart in ("trend", "districts", "coverage"):
        expect(page.get_by_test_id(f"chart-{chart}")).to_be_visible()

    page.locator("#f-ownership").select_option(Ownership.PRIVATE.value)
    page.get_by_test_id("filter-submit").click()
    expect(page).to_have_url(f"{live_server}/evaluation/?org={province_id}&year={YEAR}"
                             f"&tier=&industry=&ownership=private&size=")
    participation = page.get_by_test_id("table-measures").locator(
        "tr", has_text=zh("Participation rate")).first
    expect(participation).to_contain_text("1.00%")  # 1 of the private firm's 100
    expect(page.get_by_test_id("table-never_entered")).to_contain_text("南京闲置公司")
    shots = SHOTS or str(tmp_path)
    page.screenshot(path=os.path.join(shots, "evaluation.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("report-pdf").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    path = os.path.join(shots, "evaluation.pdf")
    download.save_as(path)
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    page.screenshot(path=os.path.join(shots, "evaluation-390.png"), full_page=True)


def test_units_without_a_workforce_are_recorded_from_the_template(live_app, live_server, open_as,
                                                                  zh, tmp_path):
    """The organiser follows the evaluation's list of units without a workforce to the import,
    fills in the downloaded template, checks the preview, confirms, and the unit leaves the
    list; the rate's denominator grows by its workforce."""
    province_id = small_province(live_app)
    page = open_as("js_organiser")
    page.goto(f"{live_server}/evaluation/?org={province_id}&year={YEAR}")
    expect(page.get_by_test_id("table-without_workforce")).to_contain_text("南京闲置公司")
    page.get_by_test_id("import-unit-data").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Import unit data"))

    with page.expect_download() as info:
        page.get_by_test_id("import-template").click()
    template = tmp_path / "template.xlsx"
    info.value.save_as(template)
    book = load_workbook(template)
    sheet = book["单位数据"]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "南京闲置公司":
            row[3].value, row[4].value, row[5].value, row[7].value = 100, YEAR, "C 制造业", "小型"
    book.save(template)

    page.get_by_label(zh("Spreadsheet (.xlsx)")).set_input_files(str(template))
    page.get_by_role("button", name=zh("Upload and check")).click()
    expect(page.get_by_test_id("units-changed")).to_have_text("1")
    expect(page.get_by_test_id("change-table")).to_contain_text("南京闲置公司")
    shots = SHOTS or str(tmp_path)
    page.screenshot(path=os.path.join(shots, "unit-import-preview.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the preview scrolls sideways at 390 px ({width} px wide)"
    page.screenshot(path=os.path.join(shots, "unit-import-preview-390.png"), full_page=True)
    page.get_by_test_id("import-confirm").click()
    expect(page.locator(".flash-success")).to_contain_text(zh(
        "Updated %(changed)d units; %(unchanged)d were already up to date.",
        changed=1, unchanged=2))

    page.goto(f"{live_server}/evaluation/?org={province_id}&year={YEAR}")
    expect(page.get_by_test_id("table-without_workforce-empty")).to_be_visible()
    participation = page.get_by_test_id("table-measures").locator(
        "tr", has_text=zh("Participation rate")).first
    expect(participation).to_contain_text("0.60%")  # 3 of 500
