"""The admission slip (准考证) a worker prints after the draw and brings on the day.

It carries what the check-in desk asks for: the entry number (参赛号), the check-in code (检录号),
the masked ID number to compare with the ID card, where and when to report, the schedule and the
rules of the day. Never the blind code: only the encryption officer links a check-in code to one.
The text is Chinese whatever the interface language, like the check-in list it is checked
against (checkin_pdf.py); each character comes from the first embedded font that has it.
"""

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competitions.certificates.fonts import KAI, draw_text, font_name, markup
from competitions.contests.models import EventStage
from competitions.masking import mask_id_number
from competitions.registration.models import Entry, EntryStatus, Worker

UNSET = "另行通知"  # "to be announced": venue or time not yet set by the organisers
RULES = (
    "凭本人居民身份证和本准考证参赛，二者缺一不得入场。",
    "请于检录时间前30分钟到达检录地点，按检录号检录；迟到者按竞赛规程处理。",
    "检录后由加密人员另行编排密号，密号不在本准考证上打印，请勿在作品或试卷上填写姓名、单位等信息。",
    "遵守赛场纪律，服从裁判和工作人员的安排；本准考证请妥善保管。",
)


def has_slip(entry: Entry) -> bool:
    """A slip exists for an approved entry of a drawn event whose results are not yet final."""
    return (entry.status is EntryStatus.APPROVED and bool(entry.entry_number)
            and bool(entry.checkin_code)
            and entry.event.stage not in (EventStage.OPEN, EventStage.FINAL))


def local_time(moment: datetime | None) -> str:
    """2027年3月15日 08:00 (北京时间), or 另行通知 when the organisers have not set it."""
    if moment is None:
        return UNSET
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _styles() -> dict[str, ParagraphStyle]:
    sans, kai = font_name(), font_name(KAI)
    return {
        "competition": ParagraphStyle("competition", fontName=kai, fontSize=16, leading=22,
                                      alignment=TA_CENTER),
        "title": ParagraphStyle("title", fontName=kai, fontSize=26, leading=34,
                                alignment=TA_CENTER),
        "label": ParagraphStyle("label", fontName=sans, fontSize=11, leading=15),
        "value": ParagraphStyle("value", fontName=sans, fontSize=11, leading=15),
        "code": ParagraphStyle("code", fontName=sans, fontSize=18, leading=22),
        "heading": ParagraphStyle("heading", fontName=sans, fontSize=12, leading=18,
                                  spaceBefore=6),
        "body": ParagraphStyle("body", fontName=sans, fontSize=10.5, leading=16),
    }


def _lines(text: str) -> str:
    return "<br/>".join(markup(line) for line in text.strip().splitlines())


def render_admission_slip(entry: Entry, worker: Worker, printed_at: datetime) -> bytes:
    """An A4 portrait PDF for one member of a drawn entry."""
    styles = _styles()
    event, competition = entry.event, entry.event.competition
    with force_locale("zh"):
        event_name = event.name
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"{competition.name} {event_name} 准考证",
        author=competition.organiser.name, subject="准考证")

    def row(label: str, value: str, style: str = "value") -> list:
        return [Paragraph(markup(label), styles["label"]), Paragraph(_lines(value or "—"),
                                                                      styles[style])]

    rows = [
        row("赛项", event_name),
        row("姓名", worker.name),
        row("身份证号码", mask_id_number(worker.id_number)),
        row("工作单位", worker.employer.name),
        row("报名单位", entry.unit.name),
    ]
    if entry.team_name:
        rows.append(row("队名", entry.team_name))
    rows += [
        row("参赛号", entry.entry_number, "code"),
        row("检录号", entry.checkin_code, "code"),
        row("检录地点", event.venue or UNSET),
        row("检录时间", local_time(event.checkin_at)),
    ]
    table = Table(rows, colWidths=[32 * mm, 138 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    story = [
        Paragraph(markup(competition.name, KAI), styles["competition"]),
        Spacer(1, 2 * mm),
        Paragraph(markup("准考证", KAI), styles["title"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(markup("日程安排"), styles["heading"]),
        Paragraph(_lines(event.schedule) if (event.schedule or "").strip() else UNSET,
                  styles["body"]),
        Paragraph(markup("考场须知"), styles["heading"]),
        *(Paragraph(markup(f"{n}. {rule}"), styles["body"]) for n, rule in enumerate(RULES, 1)),
    ]

    def footer(canvas, doc):
        draw_text(canvas, A4[0] / 2, 10 * mm,
                  f"{competition.organiser.name} · 打印时间 {printed_at:%Y-%m-%d %H:%M}",
                  size=9, align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
