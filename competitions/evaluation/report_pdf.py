"""The annual report (年度劳动和技能竞赛工作效能评估报告): A4 portrait, in Chinese whatever the
interface language, with the headline measures and their definitions, every table, and the
page's charts drawn with reportlab's graphics from the same geometry (charts.py).
"""

from __future__ import annotations

import io
from datetime import datetime

from flask_babel import force_locale, to_user_timezone
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competitions.certificates.fonts import cjk_font, draw_text, markup, runs
from competitions.database import utcnow
from competitions.evaluation import charts, exports
from competitions.evaluation.measures import Evaluation, Filters, TrendPoint, evaluate, trend
from competitions.organisations.models import Organisation

TITLE = "年度劳动和技能竞赛工作效能评估报告"
WIDTH = A4[0] - 30 * mm  # 180 mm between the margins
MUTED = colors.HexColor("#5f6b76")
GRID = colors.HexColor("#d9dee3")
TREND_YEARS = 5


def annual_report(organisation: Organisation, year: int, filters: Filters = Filters()) -> bytes:
    """The report of `organisation`'s subtree in `year`: evaluates this year, last year and
    the trend, then renders them."""
    with force_locale("zh"):  # breakdown labels (ownership, industry…) in Chinese
        current, previous, points = evaluate_years(organisation, year, filters)
    return render_report(current, previous, points,
                         printed_at=to_user_timezone(utcnow()).replace(tzinfo=None))


def evaluate_years(organisation: Organisation, year: int, filters: Filters = Filters()
                   ) -> tuple[Evaluation, Evaluation, list[TrendPoint]]:
    """This year's and last year's evaluations, and the trend over TREND_YEARS ending this
    year (the two evaluated years are not computed twice)."""
    current = evaluate(organisation, year, filters)
    previous = evaluate(organisation, year - 1, filters)
    earlier = trend(organisation, list(range(year - TREND_YEARS + 1, year - 1)), filters)
    return current, previous, [*earlier, *(TrendPoint(e.year, e.participation, e.benefit,
                                                      e.coverage) for e in (previous, current))]


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=17, leading=24,
                                alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=12, leading=18,
                                   alignment=TA_CENTER),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=9, leading=12,
                               alignment=TA_CENTER, textColor=MUTED),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12.5, leading=18,
                                  spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=15),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11),
    }


def filters_text(filters: Filters) -> str:
    """范围：the filters applied, in Chinese (call inside force_locale("zh"))."""
    from competitions.organisations.industries import SECTIONS

    parts = []
    if filters.tier:
        parts.append(str(filters.tier.label))
    if filters.industry:
        parts.append(f"{filters.industry} {SECTIONS.get(filters.industry, '')}")
    if filters.ownership:
        parts.append(str(filters.ownership.label))
    if filters.size:
        parts.append(str(filters.size.label))
    return "、".join(parts) or "全部"


def render_report(current: Evaluation, previous: Evaluation | None,
                  points: list[TrendPoint], *, printed_at: datetime) -> bytes:
    """The PDF of an evaluation already computed (`printed_at`: local time)."""
    font = cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    organisation = current.organisation.name
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=18 * mm, title=f"{organisation} {current.year}{TITLE}",
        author=organisation, subject=TITLE)
    with force_locale("zh"):
        all_tables = exports.tables(current, previous)
        series = ["参赛率", "受益率"]
        figures = [
            ("参赛率、受益率年度趋势", charts.trend_chart(points, series)),
            ("各下级单位参赛率、受益率", charts.district_chart(current, series)),
            ("下级单位企业覆盖率（由高到低）", charts.coverage_chart(current, ["企业覆盖率"])),
        ]
        story = [
            Paragraph(markup(organisation), styles["title"]),
            Paragraph(markup(f"{current.year}{TITLE}"), styles["subtitle"]),
            Paragraph(markup(f"统计范围：{filters_text(current.filters)}"), styles["meta"]),
            Spacer(1, 5 * mm),
            Paragraph(markup(_summary(current)), styles["body"]),
        ]
        for table in all_tables:
            story += [Paragraph(markup(str(table.title)), styles["heading"]),
                      _table(table, font, styles)]
            if table.key == "measures":
                for caption, chart in figures:
                    story.append(KeepTogether([Paragraph(markup(caption), styles["heading"]),
                                               drawing(chart, font)]))
        story += [Spacer(1, 8 * mm),
                  Paragraph(markup(f"打印时间 {printed_at:%Y-%m-%d %H:%M}"), styles["meta"])]

    def footer(canvas, doc):
        draw_text(canvas, A4[0] / 2, 10 * mm,
                  f"{organisation} {current.year}{TITLE} · 第 {doc.page} 页", size=8.5,
                  align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _summary(current: Evaluation) -> str:
    def rate(r):
        return exports.shown(r.percent, exports.PERCENT)

    return (f"{current.year}年，本单位及下级单位职工人数合计 {current.workforce} 人，"
            f"参赛 {current.named_participants} 人（具名），另有未具名练兵参赛 "
            f"{current.unnamed_drill_participants} 人次，参赛率 {rate(current.participation)}；"
            f"受益 {current.beneficiaries} 人，受益率 {rate(current.benefit)}；"
            f"企业参赛覆盖率 {rate(current.coverage)}，非公企业覆盖率 "
            f"{rate(current.non_public_coverage)}。")


def _table(table: exports.Table, font: str, styles) -> Table:
    text = styles["cell"]
    header = [Paragraph(markup(str(h)), text) for h in table.headers]
    rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, value in enumerate(row):
            kind = table.kind(r, c)
            if kind == exports.TEXT:
                cells.append(Paragraph(markup(str(value)), text))
            else:
                cells.append(exports.shown(value, kind, signed=table.is_change(c)))
        rows.append(cells)
    if not rows:
        rows = [[Paragraph(markup("无"), text)] + [""] * (len(table.headers) - 1)]
    widths = _widths(table)
    result = Table([header, *rows], colWidths=widths, repeatRows=1)
    result.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]))
    return result


def _widths(table: exports.Table) -> list[float]:
    if table.key == "measures":
        return [36 * mm, 19 * mm, 19 * mm, 28 * mm, 78 * mm]  # 增减 holds "+0.18个百分点"
    texts = [k == exports.TEXT for k in table.kinds]
    numbers = len(texts) - sum(texts)
    number_width = 22 * mm
    text_width = (WIDTH - number_width * numbers) / max(sum(texts), 1)
    return [text_width if is_text else number_width for is_text in texts]


# --- the charts: charts.py's geometry (y down) drawn in a reportlab Drawing (y up) ----------

def _text(group: Group, x, y, text: str, size: float, anchor: str = "start",
          colour=colors.black) -> None:
    """`text` at (x, y) in the drawing's coordinates, each run in the font that has it."""
    parts = [(font, run, pdfmetrics.stringWidth(run, font, size)) for font, run in runs(text)]
    width = sum(part[2] for part in parts)
    left = float(x) - (width if anchor == "end" else width / 2 if anchor == "middle" else 0)
    for font, run, run_width in parts:
        group.add(String(left, float(y), run, fontName=font, fontSize=size, fillColor=colour))
        left += run_width


def drawing(chart, font: str, width: float = WIDTH) -> Drawing:
    """A chart scaled to `width` points."""
    scale = width / float(chart.width)
    height = float(chart.height)
    group = Group()
    if isinstance(chart, charts.TrendChart):
        _trend(group, chart, height)
    else:
        _bars(group, chart, height)
    group.scale(scale, scale)
    result = Drawing(width, height * scale)
    result.add(group)
    return result


def _y(height: float, y) -> float:
    return height - float(y)


def _legend(group: Group, chart, height: float) -> None:
    x = float(chart.plot_left)
    for number, name in enumerate(chart.series):
        group.add(Rect(x, _y(height, 14), 10, 10, strokeColor=None,
                       fillColor=colors.HexColor(charts.COLOURS[number])))
        _text(group, x + 14, _y(height, 13), name, 10)
        x += 90


def _bars(group: Group, chart: charts.BarChart, height: float) -> None:
    _legend(group, chart, height)
    for tick in chart.ticks:
        group.add(Line(float(tick.position), _y(height, chart.plot_top), float(tick.position),
                       _y(height, chart.plot_bottom),
                       strokeColor=MUTED if tick.value == 0 else GRID, strokeWidth=0.8))
        _text(group, tick.position, _y(height, chart.plot_bottom + 14), f"{tick.value}%", 9,
              "middle", MUTED)
    for row in chart.rows:
        _text(group, chart.label_x, _y(height, row.label_y + 4), _short(row.label), 10, "end")
        for bar in row.bars:
            if bar.width:
                group.add(Rect(float(bar.x), _y(height, bar.y + bar.height), float(bar.width),
                               float(bar.height), strokeColor=None,
                               fillColor=colors.HexColor(bar.colour)))
            _text(group, bar.value_x, _y(height, bar.value_y), bar.text, 9)
    if not chart.rows:
        _text(group, chart.plot_left, _y(height, chart.plot_top + 8), "无下级单位", 10,
              colour=MUTED)


def _trend(group: Group, chart: charts.TrendChart, height: float) -> None:
    _legend(group, chart, height)
    for tick in chart.ticks:
        group.add(Line(float(chart.plot_left), _y(height, tick.position), float(chart.plot_right),
                       _y(height, tick.position),
                       strokeColor=MUTED if tick.value == 0 else GRID, strokeWidth=0.8))
        _text(group, chart.plot_left - 6, _y(height, tick.position + 4), f"{tick.value}%", 9,
              "end", MUTED)
    for point in chart.lines[0].points if chart.lines else []:
        _text(group, point.x, _y(height, chart.year_y), str(point.year), 10, "middle", MUTED)
    for line in chart.lines:
        colour = colors.HexColor(line.colour)
        for a, b in line.segments:
            group.add(Line(float(a.x), _y(height, a.y), float(b.x), _y(height, b.y),
                           strokeColor=colour, strokeWidth=2))
        for point in line.points:
            if point.y is not None:
                group.add(Circle(float(point.x), _y(height, point.y), 3, fillColor=colour,
                                 strokeColor=colour))
                _text(group, point.x, _y(height, point.y - 7 if line.series == 0
                                         else point.y + 14), point.text, 8.5, "middle")


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
