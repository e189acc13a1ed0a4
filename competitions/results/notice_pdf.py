"""The printable results notice (成绩公示) of one event: masked names, units, totals, awards,
the notice period and how to appeal.

A public document: names are masked (张*明), and it never carries ID numbers, phone numbers,
blind codes or check-in codes. The text is Chinese whatever the interface language, like the
notices posted at the venue; the CJK font is embedded as a subset (certificates/fonts.py).
"""

from __future__ import annotations

import io
from datetime import datetime

from flask_babel import force_locale, to_user_timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competitions.audit.checkpoints import latest_checkpoint
from competitions.certificates.fonts import cjk_font, draw_text, markup, unprintable
from competitions.contests.models import Event, EventStage
from competitions.judging.scoring import two_places
from competitions.results.exports import ResultRow, award_label

HEADERS = ["名次", "姓名", "参赛单位", "总分", "奖项"]
WIDTHS = [16 * mm, 44 * mm, 72 * mm, 22 * mm, 26 * mm]  # 180 mm: A4 less margins


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22,
                                alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=13, leading=18,
                                   alignment=TA_CENTER),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=9, leading=12,
                               alignment=TA_CENTER, textColor=colors.HexColor("#555555")),
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16,
                               firstLineIndent=21),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=10, leading=13),
    }


def _when(moment: datetime | None) -> str:
    # As local_time writes it in Chinese (2026年12月6日 14:00), whatever the reader's language.
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}" if moment else "—"


def _zone(moment: datetime | None) -> str:
    zone = str(moment.tzinfo) if moment is not None and moment.tzinfo is not None else ""
    return "北京时间" if zone in ("", "Asia/Shanghai") else zone


def appeal_text(closes_at: datetime | None) -> str:
    """How to appeal (RULES.md D): in writing, by the entrant or their unit's organiser, by
    the deadline."""
    return (f"对成绩有异议的，可由参赛选手本人或其所在单位的组织者于 {_when(closes_at)}"
            f"（{_zone(closes_at)}）前以书面形式向竞赛监督仲裁组提出申诉，写明申诉事项和理由。"
            "逾期不予受理；仲裁组的决定为最终决定。")


def unprintable_names(rows: list[ResultRow]) -> list[tuple[str, list[str]]]:
    """The masked names and units the notice prints with a 〓, and the characters that do."""
    return unprintable(text for row in rows for text in (row.masked_name, row.unit))


def render_notice(event: Event, rows: list[ResultRow], *, starts_at: datetime | None,
                  ends_at: datetime | None, printed_at: datetime,
                  superseded_version: int | None = None, under_review: bool = False) -> bytes:
    """An A4 PDF: title, notice period, the masked ranking table, then how to appeal by the
    event's appeal deadline; or, instead, that this version was superseded or that the results
    are under review (复核中).

    `starts_at`, `ends_at` and `printed_at` are local times (exports.notice_period).
    """
    font = cjk_font()
    styles = _styles(font)
    competition = event.competition
    with force_locale("zh"):
        event_name = event.name
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=18 * mm, title=f"{competition.name} {event_name} 成绩公示",
        author=competition.organiser.name, subject="成绩公示")
    final = event.stage is EventStage.FINAL and superseded_version is None
    story = [
        Paragraph(markup(competition.name), styles["title"]),
        Paragraph(markup(f"{event_name} 成绩公示"), styles["subtitle"]),
        Paragraph(markup(f"公示期：{_when(starts_at)} 至 {_when(ends_at)}（{_zone(ends_at)}）"),
                  styles["meta"]),
        Spacer(1, 4 * mm),
        Paragraph(markup(f"经裁判组评分、裁判长签字确认并解密，现将{event_name}比赛成绩"
                         f"{'（最终成绩）' if final else ''}公布如下，共 {len(rows)} 名（队）。"),
                  styles["body"]),
        Spacer(1, 3 * mm),
    ]
    table_rows = [[str(row.rank), Paragraph(markup(row.masked_name), styles["cell"]),
                   Paragraph(markup(row.unit), styles["cell"]), two_places(row.total),
                   award_label(row.awards)] for row in rows]
    table = Table([HEADERS, *table_rows], colWidths=WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 10),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (3, 1), (3, -1), "RIGHT"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
    ]))
    story += [table, Spacer(1, 5 * mm)]
    if superseded_version is not None:
        story.append(Paragraph(f"本版成绩（第 {superseded_version} 版）已被更正后重新公示的成绩"
                               "取代，仅供查阅。", styles["body"]))
    elif under_review:
        story.append(Paragraph("以上成绩正在复核中，复核后的成绩将重新公示。", styles["body"]))
    elif final:
        story.append(Paragraph("公示期已结束，以上成绩为最终成绩。", styles["body"]))
    else:
        closes_at = event.appeals_close_at and to_user_timezone(event.appeals_close_at)
        story.append(Paragraph(markup(appeal_text(closes_at or ends_at)), styles["body"]))
    story += [Spacer(1, 8 * mm),
              Paragraph(markup(competition.organiser.name), styles["meta"]),
              Paragraph(markup(f"打印时间 {printed_at:%Y-%m-%d %H:%M}"), styles["meta"])]
    checkpoint = latest_checkpoint(event)
    if checkpoint is not None:  # anchors the audit log: docs/audit.md
        story.append(Paragraph(markup(f"审计检查点 {checkpoint.fingerprint}"), styles["meta"]))

    def footer(canvas, doc):
        draw_text(canvas, A4[0] / 2, 10 * mm, f"{event_name} 成绩公示 · 第 {doc.page} 页", size=9,
                  align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
