"""The evaluation page, its .xlsx, the annual report PDF and `flask evaluation report`."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pypdf import PdfReader

from competitions.contests.models import CompetitionState
from competitions.evaluation import charts, exports, report_pdf
from competitions.evaluation.measures import (
    Breakdown,
    Evaluation,
    Filters,
    Outcomes,
    Rate,
    TrendPoint,
    UnitRef,
)
from competitions.extensions import db
from competitions.organisations.models import EnterpriseSize, Ownership, Tier
from competitions.promotion.levels import SkillLevel
from tests import factories

YEAR = 2026


# --- pure: charts, tables, workbook and PDF from a hand-made evaluation ---------------------

def hand_made(**changes) -> Evaluation:
    values = dict(
        organisation=UnitRef(1, "江苏省总工会"), year=YEAR, filters=Filters(),
        workforce=400, units_without_workforce=[UnitRef(9, "无人数公司")],
        competitions_by_tier={Tier.PROVINCIAL: 1, Tier.CITY: 2},
        events_by_tier={Tier.PROVINCIAL: 3, Tier.CITY: 4}, drills=2, entries=12, entrants=10,
        named_participants=11, unnamed_drill_participants=27, beneficiaries=3, enterprises=4,
        enterprises_entered=3, non_public_enterprises=2, non_public_entered=1,
        never_entered=[UnitRef(7, "=HYPERLINK(\"http://x\",\"点击\")")],
        outcomes=Outcomes(awards=2, titles=1, promotions={SkillLevel.LEVEL_3: 1},
                          nominations_sent=2, nominees_awarded=1),
        by_child=[Breakdown("2", "南京市总工会", 300, 10, 3, enterprises=3, entered=1),
                  Breakdown("3", "苏州市总工会", 100, 1, 0, enterprises=1, entered=1),
                  Breakdown("4", "无锡市总工会", 0, 0, 0)],
        by_ownership=[Breakdown("private", "民营", 250, 8, 2)],
    )
    values.update(changes)
    return Evaluation(**values)


def test_rates_are_percentages_with_two_places_and_a_dash_without_denominator():
    evaluation = hand_made()
    assert evaluation.participation.percent == Decimal("9.50")  # (11 + 27) / 400
    figures = {m.key: m for m in exports.measures(evaluation, hand_made(workforce=0))}
    assert figures["participation"].current == Decimal("9.50")
    assert figures["participation"].previous is None
    assert figures["participation"].change is None
    assert exports.shown(None, exports.PERCENT) == "—"
    assert exports.shown(Decimal("9.50"), exports.PERCENT) == "9.50%"


def test_coverage_chart_sorts_units_by_coverage_and_puts_units_without_enterprises_last():
    chart = charts.coverage_chart(hand_made(), ["企业覆盖率"])
    # 苏州: its one enterprise entered; 南京: one of three; 无锡: no enterprise, no rate.
    assert [row.label for row in chart.rows] == ["苏州市总工会", "南京市总工会", "无锡市总工会"]
    assert [row.bars[0].text for row in chart.rows] == ["100.00%", "33.33%", "—"]
    assert chart.rows[0].bars[0].width == chart.plot_right - chart.plot_left  # 100 % is full
    assert chart.rows[1].bars[0].width < chart.rows[0].bars[0].width / 2
    assert chart.series == ["企业覆盖率"]


def test_trend_chart_leaves_a_gap_for_a_year_without_rate():
    points = [TrendPoint(2024, Rate(1, 100), Rate(0, 100), Rate(0, 1)),
              TrendPoint(2025, Rate(0, 0), Rate(0, 0), Rate(0, 0)),
              TrendPoint(2026, Rate(5, 100), Rate(2, 100), Rate(1, 1))]
    chart = charts.trend_chart(points, ["参赛率", "受益率"])
    participation = chart.lines[0]
    assert participation.points[1].y is None
    assert participation.segments == []  # 2024–2025 and 2025–2026 both touch the gap
    assert participation.points[2].y < participation.points[0].y


def test_workbook_has_one_sheet_per_table_numbers_as_numbers_and_no_formula(app):
    evaluation = hand_made()
    content = exports.workbook(exports.tables(evaluation, hand_made(beneficiaries=1)))
    book = load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == len(exports.tables(evaluation))
    never = book.worksheets[-2]
    cell = never.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    measures = {row[0].value: row for row in book.worksheets[0].iter_rows(min_row=2)}
    with force_locale("zh"):
        participation = measures[str(exports.measures(evaluation, None)[9].label)]
    assert participation[1].value == 9.5 and participation[1].data_type == "n"


def test_report_pdf_carries_title_organisation_year_and_rate(app):
    evaluation = hand_made()
    points = [TrendPoint(y, Rate(y - 2020, 100), Rate(1, 100), Rate(1, 2))
              for y in range(2022, 2027)]
    with app.test_request_context():
        content = report_pdf.render_report(evaluation, None, points,
                                           printed_at=report_pdf.datetime(2026, 12, 6, 9, 0))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "年度劳动和技能竞赛工作效能评估报告" in text
    assert "江苏省总工会" in text and "2026" in text and "9.50%" in text


# --- the pages -----------------------------------------------------------------------------

class Province:
    """A province with two cities; four enterprises with workforce, ownership and size; a
    provincial competition in YEAR with three entrants and one entry last year."""

    def __init__(self):
        self.tree = factories.Tree()
        tree = self.tree
        self.firm, self.other_firm = tree.firm, tree.other_firm
        for firm, workforce, ownership in ((tree.firm, 300, Ownership.STATE),
                                           (tree.other_firm, 100, Ownership.PRIVATE)):
            firm.workforce, firm.workforce_year = workforce, YEAR
            firm.ownership, firm.size, firm.industry = ownership, EnterpriseSize.LARGE, "C"
        self.idle = factories.make_enterprise(tree.city, "南京闲置公司")
        self.idle.ownership = Ownership.PRIVATE
        competition = factories.make_competition(
            tree.province, name="2026年江苏省职工职业技能大赛", tier=Tier.PROVINCIAL,
            state=CompetitionState.REGISTRATION, starts_on=date(YEAR, 5, 10))
        event = factories.make_event(competition)
        for firm, name in ((tree.firm, "王大明"), (tree.firm, "李小红"),
                           (tree.other_firm, "赵志强")):
            factories.make_entry(event, factories.make_worker(firm, name=name))
        earlier = factories.make_competition(tree.province, name="2025年大赛",
                                             tier=Tier.PROVINCIAL, starts_on=date(YEAR - 1, 5, 1))
        factories.make_entry(factories.make_event(earlier),
                             factories.make_worker(tree.firm, name="陈美玲"))
        self.province_organiser = factories.make_organiser(tree.province, "provorg")
        self.city_organiser = factories.make_organiser(tree.other_city, "cityorg")
        self.worker_user = factories.make_user("workeruser")
        factories.make_worker(tree.firm, name="钱工人", user=self.worker_user)
        self.admin = factories.make_admin()
        db.session.commit()


@pytest.fixture
def province(app):
    return Province()


def url(province, path="/evaluation/", **args):
    query = "&".join(f"{k}={v}" for k, v in {"org": province.tree.province.id, "year": YEAR,
                                               **args}.items())
    return f"{path}?{query}"


@pytest.mark.parametrize("who, status", [("province_organiser", 200), ("admin", 200),
                                         ("city_organiser", 403), ("worker_user", 403)])
@pytest.mark.parametrize("path", ["/evaluation/", "/evaluation/export.xlsx",
                                  "/evaluation/report.pdf"])
def test_only_organisers_of_the_subtree_see_its_evaluation(province, login_as, who, status,
                                                           path):
    client = login_as(getattr(province, who))
    assert client.get(url(province, path)).status_code == status


def test_an_organiser_may_evaluate_their_own_subtree(province, login_as):
    client = login_as(province.city_organiser)
    assert client.get(url(province, org=province.tree.other_city.id)).status_code == 200
    assert client.get(url(province, org=province.tree.city.id)).status_code == 403
    assert client.get("/evaluation/").status_code == 200  # defaults to their own organisation


def test_anonymous_visitors_are_sent_to_sign_in(province, client):
    assert client.get(url(province)).status_code == 302


def _page_measures(html: str) -> dict[int, list[str]]:
    rows = re.findall(r'data-testid="measure-(\d+)">(.*?)</tr>', html, re.S)
    return {int(i): [c.strip() for c in re.findall(r'data-testid="cell">(.*?)</td>', row)]
            for i, row in rows}


def test_page_shows_figures_definitions_and_charts(province, login_as):
    html = login_as(province.province_organiser).get(url(province)).get_data(as_text=True)
    figures = {m.key: i for i, m in enumerate(exports.measures(_evaluation(province), None))}
    cells = _page_measures(html)
    assert cells[figures["participation"]][0] == "0.75%"  # 3 entrants of 400
    assert cells[figures["participation"]][1] == "0.25%"  # last year: 1 of 400
    assert cells[figures["participation"]][2].startswith("+0.50")  # percentage points
    assert cells[figures["entrants"]][0] == "3"
    assert html.count('data-testid="definition"') == len(figures)
    assert "÷" in html  # the definitions of the rates
    for chart in ("trend", "districts", "coverage"):
        assert f'data-testid="chart-{chart}"' in html
    assert "南京闲置公司" in html  # never entered
    assert "<script" not in html.split('data-testid="chart-trend"')[1].split("</svg>")[0]


def test_filter_by_ownership_counts_private_enterprises_only(province, login_as):
    html = login_as(province.province_organiser).get(
        url(province, ownership="private")).get_data(as_text=True)
    figures = {m.key: i for i, m in enumerate(exports.measures(_evaluation(province), None))}
    cells = _page_measures(html)
    assert cells[figures["workforce"]][0] == "100"
    assert cells[figures["participation"]][0] == "1.00%"
    assert 'value="private" selected' in html


def _evaluation(province):
    from competitions.evaluation.measures import evaluate
    return evaluate(province.tree.province, YEAR)


def test_export_numbers_equal_the_page(province, login_as):
    client = login_as(province.province_organiser)
    html = client.get(url(province)).get_data(as_text=True)
    response = client.get(url(province, "/evaluation/export.xlsx"))
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    page = _page_measures(html)
    for index, row in enumerate(sheet.iter_rows(min_row=2, values_only=True)):
        kind = exports.PERCENT if page[index][0].endswith("%") else exports.COUNT
        this_year = _two_places(row[1]) if kind == exports.PERCENT else row[1]
        assert exports.shown(this_year, kind) == page[index][0], row
    by_child = book.worksheets[3]
    page_rows = re.findall(r'data-testid="table-by_child">.*?</table>', html, re.S)[0]
    page_numbers = re.findall(r'data-testid="cell">(.*?)</td>', page_rows)
    sheet_numbers = [exports.shown(_two_places(v) if i >= 4 else v,
                                   exports.PERCENT if i >= 4 else exports.COUNT)
                     if i else v for row in by_child.iter_rows(min_row=2, values_only=True)
                     for i, v in enumerate(row)]
    assert [str(n) for n in sheet_numbers] == page_numbers


def _two_places(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def test_report_pdf_route_names_organisation_year_and_rate(province, login_as):
    response = login_as(province.province_organiser).get(url(province, "/evaluation/report.pdf"))
    assert response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "年度劳动和技能竞赛工作效能评估报告" in text
    assert "江苏省总工会" in text and "2026" in text and "0.75%" in text


def test_cli_writes_the_report(province, app, tmp_path):
    out = tmp_path / "report.pdf"
    result = app.test_cli_runner().invoke(
        args=["evaluation", "report", str(province.tree.province.id), str(YEAR), "--out",
              str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "江苏省总工会" in text and "0.75%" in text


def test_cli_refuses_an_unknown_organisation(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["evaluation", "report", "999999", str(YEAR), "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "No organisation 999999" in result.output



def test_unknown_filters_are_ignored_and_unknown_organisations_are_404(province, login_as):
    client = login_as(province.province_organiser)
    assert client.get(url(province, ownership="bogus", tier="x", size="<b>",
                          industry="ZZ")).status_code == 200
    assert client.get(url(province, org=999999)).status_code == 404


def test_trend_ends_with_the_years_evaluated(province, app):
    current, previous, points = report_pdf.evaluate_years(province.tree.province, YEAR)
    assert [p.year for p in points] == list(range(YEAR - 4, YEAR + 1))
    assert points[-1].participation == current.participation
    assert points[-2].benefit == previous.benefit


def test_units_without_a_workforce_lead_to_the_unit_data_import(province, login_as):
    """南京闲置公司 records no workforce: the page lists it and offers the import."""
    html = login_as(province.province_organiser).get(url(province)).get_data(as_text=True)
    section = html.split('id="without_workforce"')[1].split("</section>")[0]
    assert "南京闲置公司" in section
    assert f'href="/organisations/{province.tree.province.id}/import"' in section


def test_coverage_by_district_counts_each_districts_enterprises_that_entered(province):
    """南京 has two enterprises, one with entrants in YEAR; 苏州 one, which entered."""
    evaluation = _evaluation(province)
    coverage = {row.label: (row.entered, row.enterprises, row.coverage.percent)
                for row in evaluation.by_child}
    assert coverage["南京市总工会"] == (1, 2, Decimal("50.00"))
    assert coverage["苏州市总工会"] == (1, 1, Decimal("100.00"))
    assert sum(row.enterprises for row in evaluation.by_child) == evaluation.enterprises
