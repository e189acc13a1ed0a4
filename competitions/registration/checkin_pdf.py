"""The printable check-in list (检录单) for the check-in desk: codes, names, units, signatures.

It never carries blind codes: the desk sees the check-in code, and only the encryption officer
links it to a blind code. The text is Chinese whatever the interface language, like the paper
forms it replaces.
"""

import io
from datetime import datetime

from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competitions.certificates.fonts import cjk_font, draw_text, markup, unprintable
from competitions.contests.models import Event
from competitions.masking import mask_id_number
from competitions.registration.models import Entry

HEADERS = ["检录号", "参赛号", "姓名", "工作单位", "身份证号码", "签名"]
WIDTHS = [18 * mm, 20 * mm, 28 * mm, 52 * mm, 38 * mm, 24 * mm]  # 180 mm: A4 less margins


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22,
                                alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=13, leading=18,
                                   alignment=TA_CENTER),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=9, leading=12,
                               alignment=TA_CENTER, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=10, leading=13),
        "code": ParagraphStyle("code", fontName=font, fontSize=10, leading=13,
                               alignment=TA_CENTER),
    }


def _rows(entries: list[Entry], styles: dict) -> tuple[list[list], list[tuple]]:
    """Table rows (one per person; a team's codes and name span its members) and the spans."""
    rows, spans = [], []
    for entry in entries:
        first = len(rows) + 1  # row 0 is the header
        number = entry.entry_number
        if entry.team_name:
            number = Paragraph(f"{markup(number)}<br/>{markup(entry.team_name)}", styles["code"])
        for index, member in enumerate(entry.members):
            worker = member.worker
            rows.append([entry.checkin_code if index == 0 else "", number if index == 0 else "",
                         Paragraph(markup(worker.name), styles["cell"]),
                         Paragraph(markup(worker.employer.name), styles["cell"]),
                         mask_id_number(worker.id_number), ""])
        last = len(rows)
        if last > first:
            spans += [("SPAN", (0, first), (0, last)), ("SPAN", (1, first), (1, last))]
    return rows, spans


def unprintable_names(entries: list[Entry]) -> list[tuple[str, list[str]]]:
    """The names, team names and units the list prints with a 〓, and the characters that do."""
    return unprintable(text for entry in entries for text in (
        entry.team_name, *(m.worker.name for m in entry.members),
        *(m.worker.employer.name for m in entry.members)))


def render_checkin_list(event: Event, entries: list[Entry], printed_at: datetime) -> bytes:
    """An A4 PDF: title, then a table in check-in order with an empty signature column."""
    font = cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    with force_locale("zh"):
        event_name = event.name
    competition = event.competition
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=18 * mm, title=f"{competition.name} {event_name} 检录单",
        author=competition.organiser.name, subject="检录单")
    people = sum(len(entry.members) for entry in entries)
    story = [
        Paragraph(markup(competition.name), styles["title"]),
        Paragraph(markup(f"{event_name} 检录单"), styles["subtitle"]),
        Paragraph(markup(f"共 {len(entries)} 个参赛单元，{people} 人 · "
                         f"打印时间 {printed_at:%Y-%m-%d %H:%M}"), styles["meta"]),
        Spacer(1, 5 * mm),
    ]
    rows, spans = _rows(entries, styles)
    table = Table([HEADERS, *rows], colWidths=WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 10),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (1, -1), "CENTER"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("TOPPADDING", (0, 1), (-1, -1), 8),  # room to sign by hand
        ("BOTTOMPADDING", (0, 1), (-1, -1), 8),
        *spans,
    ]))
    story.append(table)

    def footer(canvas, doc):
        draw_text(canvas, A4[0] / 2, 10 * mm, f"{event_name} 检录单 · 第 {doc.page} 页", size=9,
                  align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
