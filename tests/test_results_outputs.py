"""Outputs of the published results: the distribution (pure), the organisers' .xlsx, the notice
PDF and the `flask results` commands, all from the one snapshot."""

import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from competitions.database import utcnow
from competitions.extensions import db
from competitions.masking import mask_name
from competitions.results import distribution, exports, lifecycle
from competitions.results.awards import Award
from competitions.results.cli import results_cli
from competitions.results.notice_pdf import render_notice
from tests.test_draw import pdf_text
from tests.test_public_results import BY_RANK, TOTALS, publish, results_setup


@pytest.fixture
def setup(tree):
    return results_setup(tree)


# --- the distribution (pure) ---------------------------------------------------------------

scores = st.decimals(min_value=0, max_value=120, places=2, allow_nan=False,
                     allow_infinity=False)


@given(st.lists(scores, max_size=60))
def test_every_total_falls_in_exactly_one_bin(totals):
    bins = distribution.histogram(totals)
    assert sum(b.count for b in bins) == len(totals)
    assert bins[0].low == 0 and bins[-1].high >= max([D(100), *totals])
    assert all(a.high == b.low for a, b in zip(bins, bins[1:], strict=False))
    assert [b.closed for b in bins] == [False] * (len(bins) - 1) + [True]
    for b in bins:
        assert b.count == sum(1 for t in totals if b.low <= t < b.high
                              or (b.closed and t == b.high))


@given(st.lists(scores, min_size=1, max_size=60))
def test_the_chart_scales_columns_to_the_count_axis(totals):
    chart = distribution.chart_layout(distribution.histogram(totals))
    assert chart.count == len(totals)
    top = chart.ticks[-1].value
    assert top >= max(c.bin.count for c in chart.columns) and len(chart.ticks) <= 6
    for column in chart.columns:
        assert column.y + column.height == chart.axis_y
        assert column.height <= chart.axis_y - chart.plot_top
        assert abs(column.height * top - column.bin.count * (chart.axis_y - chart.plot_top)) \
            <= top * D("0.05")
        assert isinstance(column.x, D) and isinstance(column.height, D)


def test_bin_edges_go_to_the_upper_bin_and_the_top_to_the_last():
    bins = distribution.histogram([D(0), D("9.99"), D(10), D("99.99"), D(100)])
    assert len(bins) == 10 and bins[-1].text == "90–100"
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]


def test_the_scale_stretches_past_100_and_refuses_floats_and_negatives():
    assert [b.text for b in distribution.histogram([D("104.5")])][-2:] == ["90–100", "100–110"]
    assert distribution.histogram([]) == distribution.histogram([], top=D(100))
    assert sum(b.count for b in distribution.histogram([])) == 0
    with pytest.raises(TypeError):
        distribution.histogram([80.5])
    with pytest.raises(ValueError):
        distribution.histogram([D(-1)])
    with pytest.raises(ValueError):
        distribution.histogram([D(1)], width=D(0))


@pytest.mark.parametrize("highest, axis", [(0, (1, 1)), (1, (1, 1)), (3, (3, 1)), (5, (5, 1)),
                                           (6, (6, 2)), (9, (10, 2)), (11, (15, 5)),
                                           (26, (30, 10)), (480, (500, 100))])
def test_the_count_axis_takes_at_most_five_round_steps(highest, axis):
    assert distribution.count_axis(highest) == axis


def test_the_summary_is_exact():
    summary = distribution.summarise([D("82.40"), D("76.00"), D("77.00"), D("80.00")])
    assert (summary.count, summary.highest, summary.lowest) == (4, D("82.40"), D("76.00"))
    assert summary.median == D("78.50") and summary.mean == D("78.85")
    assert distribution.summarise([]).count == 0


def test_a_team_row_masks_every_member_and_keeps_the_team_name():
    row = exports.ResultRow(rank=1, entry_number="01", team_name="第一队",
                            names=["欧阳小明", "张三"], unit="南京钢铁集团", components=[],
                            total=D("90.00"), standardised=700, awards=(Award.GOLD,))
    assert row.masked_name == "第一队（欧**明、张*）"
    assert row.full_name == "第一队（欧阳小明、张三）"


# --- the rows: one snapshot, a fixed number of queries ---------------------------------------

def test_rows_follow_the_published_snapshot_in_a_fixed_number_of_queries(app, setup):
    publish(setup)
    event_id, names = setup.event.id, [setup.workers[i].name for i in BY_RANK]
    db.session.expunge_all()
    event = db.session.get(type(setup.event), event_id)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = exports.result_rows(event)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert [str(row.total) for row in rows] == TOTALS
    assert [row.names[0] for row in rows] == names
    assert len(statements) <= 3, statements


# --- the spreadsheet -----------------------------------------------------------------------

def test_the_spreadsheet_has_full_names_exact_totals_and_an_award_list(app, setup):
    publish(setup)
    content = exports.results_workbook(setup.event)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["成绩", "获奖名单"]
    sheet = list(workbook["成绩"].iter_rows(values_only=True))
    assert sheet[0] == ("名次", "参赛号", "姓名", "参赛单位", "理论", "实操", "总分", "标准分",
                        "奖项")
    body = sheet[1:]
    assert [r[0] for r in body] == [1, 2, 3, 4]
    assert [r[2] for r in body] == [setup.workers[i].name for i in BY_RANK]
    assert [r[1] for r in body] == [setup.entries[i].entry_number for i in BY_RANK]
    assert body[0][3] == setup.workers[3].employer.name
    assert [D(str(r[6])) for r in body] == [D(t) for t in TOTALS]
    assert (D(str(body[0][4])), D(str(body[0][5]))) == (D(88), D(80))
    with force_locale("zh"):
        gold = str(Award.GOLD.label)
    assert body[0][8] == gold and body[3][8] is None
    assert workbook["成绩"]["G2"].number_format == "0.00"
    winners = list(workbook["获奖名单"].iter_rows(values_only=True))
    assert winners[0] == ("奖项", "名次", "姓名", "参赛单位", "总分")
    assert [(r[1], r[2]) for r in winners[1:]] == [
        (rank, setup.workers[i].name) for rank, i in zip((1, 2, 3), BY_RANK, strict=False)]
    raw = "".join(zipfile.ZipFile(io.BytesIO(content)).read(name).decode()
                  for name in zipfile.ZipFile(io.BytesIO(content)).namelist())
    for worker, entry in zip(setup.workers, setup.entries, strict=True):
        assert worker.id_number not in raw and worker.phone not in raw
        assert entry.blind_code not in raw and entry.checkin_code not in raw


# --- the notice PDF ------------------------------------------------------------------------

def test_the_notice_pdf_shows_masked_names_the_period_and_how_to_appeal(app, client, setup):
    publish(setup)
    response = client.get(f"/events/{setup.event.id}/notice.pdf")
    text = pdf_text(response.data)
    assert "成绩公示" in text and setup.competition.name in text and "公示期" in text
    assert "申诉" in text and "书面" in text
    for worker in setup.workers:
        assert mask_name(worker.name) in text
        assert worker.name not in text and worker.id_number not in text
        assert worker.phone not in text
    for entry in setup.entries:
        assert entry.blind_code not in text
    assert "82.40" in text and "南京钢铁集团" in text
    positions = [text.index(mask_name(setup.workers[i].name)) for i in BY_RANK]
    assert positions == sorted(positions)


def test_the_notice_pdf_names_the_appeal_deadline_and_the_notice_end_in_local_time(app, client,
                                                                                   setup):
    setup.competition.notice_hours, setup.competition.appeal_hours = 5 * 24, 2
    publish(setup, now=datetime(2026, 12, 6, 4, 0))  # 12:00 in Beijing
    text = "".join(pdf_text(client.get(f"/events/{setup.event.id}/notice.pdf").data).split())
    assert "于2026年12月6日14:00（北京时间）前以书面形式" in text
    assert "至2026年12月11日12:00（北京时间）" in text


def test_a_final_notice_says_the_results_are_final(app, setup):
    now = utcnow()
    publish(setup, now=now)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    starts_at, ends_at = exports.notice_period(setup.event)
    pdf = render_notice(setup.event, exports.result_rows(setup.event), starts_at=starts_at,
                        ends_at=ends_at, printed_at=ends_at)
    text = pdf_text(pdf)
    assert "最终成绩" in text and "提出申诉" not in text
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf


# --- the command line ----------------------------------------------------------------------

@pytest.fixture
def cli(app):
    if "results" not in app.cli.commands:  # the lead registers it in competitions/cli.py
        app.cli.add_command(results_cli)
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(arg) for arg in args])


def test_results_show_prints_the_ranking_from_the_snapshot(cli, setup):
    publish(setup)
    result = cli("results", "show", setup.event.id)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Rank" in lines[1] and "Total" in lines[1]
    body = lines[2:6]
    for line, i, total in zip(body, BY_RANK, TOTALS, strict=True):
        assert setup.workers[i].name in line and total in line
    assert "4 entries" in result.output
    masked = cli("results", "show", setup.event.id, "--masked").output
    assert mask_name(setup.workers[3].name) in masked and setup.workers[3].name not in masked


def test_results_show_refuses_unpublished_and_unknown_events(cli, setup):
    setup.finish([30, 30, 20, 40], [50, 40, 60, 40], [80, 90, 70, 88])
    db.session.commit()
    result = cli("results", "show", setup.event.id)
    assert result.exit_code != 0 and "no published results" in result.output
    assert cli("results", "show", 999999).exit_code != 0


def test_results_export_writes_the_spreadsheet_the_notice_and_a_whole_competition(
        cli, setup, tmp_path):
    publish(setup)
    xlsx, pdf = tmp_path / "results.xlsx", tmp_path / "notice.pdf"
    assert cli("results", "export", setup.event.id, xlsx).exit_code == 0
    assert cli("results", "export", setup.event.id, pdf).exit_code == 0
    assert load_workbook(xlsx).sheetnames == ["成绩", "获奖名单"]
    assert mask_name(setup.workers[0].name) in pdf_text(pdf.read_bytes())
    wrong = cli("results", "export", setup.event.id, tmp_path / "results.csv")
    assert wrong.exit_code != 0 and ".xlsx" in wrong.output
    result = cli("results", "export-competition", setup.competition.id, tmp_path / "all")
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in (tmp_path / "all").iterdir()) == [".pdf", ".xlsx"]
