"""Promotion eligibilities as rows for every output: the review page, the .xlsx, the printable
list for the human-resources bureau and `flask promotion export` all read `eligibility_rows`,
so a filter gives the same rows everywhere.

Full ID numbers go only to those who manage the worker's unit (and the command line); the
printed list always masks them. Exports are Chinese documents whatever the interface language.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competitions.audit.services import record
from competitions.certificates.fonts import cjk_font, draw_text, markup
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.extensions import db
from competitions.masking import mask_id_number
from competitions.organisations.models import Organisation
from competitions.promotion import eligibility as service
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.promotion.rules import LEVEL_NAMES
from competitions.registration.models import Entry, Worker
from competitions.results.awards import Award
from competitions.results.exports import award_label
from competitions.spreadsheets.writer import TEXT_FORMAT, Column, Sheet, workbook_bytes

# The list's filters: status keys beyond the stored statuses (eligibility.eligibilities).
ELIGIBLE, INELIGIBLE, EVERYONE = "", "ineligible", "all"
STATUS_FILTERS = (ELIGIBLE, EligibilityStatus.PENDING.value, "expired", "review",
                  EligibilityStatus.CONFIRMED.value, EligibilityStatus.DECLINED.value,
                  INELIGIBLE, EVERYONE)
# How exports name a row's status (fixed Chinese, like the headers).
STATUS_ZH = {"pending": "待核准", "confirmed": "已核准", "declined": "不予核准",
             "expired": "已过期（未处理）", "ineligible": "不符合条件"}
CHUNK = 500


@dataclass(frozen=True)
class Filters:
    """What the list shows: one competition, a unit's subtree, a target level, a status."""

    competition_id: int | None = None
    unit: Organisation | None = None
    level: SkillLevel | None = None
    status: str = ELIGIBLE

    @property
    def args(self) -> dict:
        """The filters as query arguments, for links and redirects."""
        return {name: value for name, value in (
            ("competition", self.competition_id), ("unit", self.unit.id if self.unit else None),
            ("level", self.level.value if self.level else None), ("status", self.status))
            if value}


@dataclass
class EligibilityRow:
    eligibility: PromotionEligibility
    name: str
    id_number: str  # full or masked, as the reader may see it
    unit: str
    occupation: str
    competition: str
    event: str
    rank: int
    awards: str
    from_level: str
    to_level: str
    reason: str
    status: str  # pending, confirmed, declined, expired, ineligible
    needs_review: bool
    document_no: str
    certificate_no: str
    decline_reason: str
    can_review: bool = False

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status] + ("（需复核）" if self.needs_review else "")

    @property
    def levels(self) -> str:
        return f"{self.from_level or '未登记'} → {self.to_level}" if self.to_level else \
            (self.from_level or "未登记")


def statement(user, filters: Filters, now: datetime):
    """The select behind the page and every export, in the list's order."""
    status = filters.status if filters.status not in (ELIGIBLE, INELIGIBLE, EVERYONE) else None
    stmt = service.eligibilities(user, competition_id=filters.competition_id,
                                 unit_path=filters.unit.path if filters.unit else None,
                                 level=filters.level, status=status, now=now)
    if filters.status == ELIGIBLE:
        stmt = stmt.where(PromotionEligibility.eligible.is_(True))
    elif filters.status == INELIGIBLE:
        stmt = stmt.where(PromotionEligibility.eligible.is_(False))
    return stmt


def status_of(eligibility: PromotionEligibility, now: datetime) -> str:
    if not eligibility.eligible:
        return "ineligible"
    if eligibility.is_expired(now):
        return "expired"
    return eligibility.status.value


def rows_for(user, items: list[PromotionEligibility], now: datetime, *,
             full_ids: bool | None = None) -> list[EligibilityRow]:
    """The rows of `items` for `user`, in three queries whatever their number. `full_ids`:
    True (the command line), False (the printed list), None: as `user` may see them."""
    if not items:
        return []
    workers = {w.id: w for w in db.session.scalars(
        sa.select(Worker).where(Worker.id.in_({e.worker_id for e in items})))}
    units = dict(db.session.execute(
        sa.select(Entry.id, Organisation.name).join(Organisation, Organisation.id == Entry.unit_id)
        .where(Entry.id.in_({e.entry_id for e in items}))).all())
    events = {e.id: e for e in db.session.scalars(
        sa.select(Event).where(Event.id.in_({e.event_id for e in items})))}
    competitions = {c.id: c for c in db.session.scalars(
        sa.select(Competition).where(Competition.id.in_({e.competition_id for e in items})))}
    reviewer = {cid: user is not None and service.can_review(user, competition)
                for cid, competition in competitions.items()}
    rows = []
    with force_locale("zh"):
        for item in items:
            worker = workers[item.worker_id]
            full = full_ids if full_ids is not None else worker.can_see_personal_data(user)
            rows.append(EligibilityRow(
                eligibility=item, name=worker.name,
                id_number=worker.id_number if full else mask_id_number(worker.id_number),
                unit=units.get(item.entry_id, ""), occupation=item.occupation.name,
                competition=competitions[item.competition_id].name,
                event=events[item.event_id].name, rank=item.rank,
                awards=award_label(tuple(Award(a) for a in item.awards or ())),
                from_level=LEVEL_NAMES[item.from_level] if item.from_level else "",
                to_level=LEVEL_NAMES[item.to_level] if item.to_level else "",
                reason=item.reason, status=status_of(item, now),
                needs_review=item.needs_review, document_no=item.document_no or "",
                certificate_no=item.certificate_no or "",
                decline_reason=item.decline_reason or "",
                can_review=reviewer[item.competition_id]))
    return rows


def eligibility_rows(user, filters: Filters, now: datetime | None = None, *,
                     full_ids: bool | None = None) -> Iterator[EligibilityRow]:
    """Every row the filters select, read in chunks (an export may hold thousands)."""
    now = now or utcnow()
    ids = list(db.session.scalars(statement(user, filters, now).with_only_columns(
        PromotionEligibility.id)))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found = {e.id: e for e in db.session.scalars(
            sa.select(PromotionEligibility).where(PromotionEligibility.id.in_(chunk)))}
        yield from rows_for(user, [found[i] for i in chunk], now, full_ids=full_ids)


# --- the .xlsx ------------------------------------------------------------------------------

COLUMNS = [Column("姓名", 10), Column("身份证号码", 21, TEXT_FORMAT), Column("工作单位", 28),
           Column("职业（工种）", 14), Column("竞赛", 28), Column("赛项", 20), Column("名次", 6),
           Column("奖项", 12), Column("原等级", 10), Column("晋升等级", 10),
           Column("依据", 60), Column("状态", 14), Column("核准文号", 20),
           Column("证书编号", 24)]
HEADERS = [column.header for column in COLUMNS]


def xlsx_line(row: EligibilityRow) -> list:
    return [row.name, row.id_number, row.unit, row.occupation, row.competition, row.event,
            row.rank, row.awards, row.from_level or "未登记", row.to_level, row.reason,
            row.status_zh, row.document_no, row.certificate_no]


def workbook(rows: Iterable[EligibilityRow]) -> tuple[bytes, int]:
    """The rows as an .xlsx file, and how many went out."""
    sheet = Sheet("晋升资格", COLUMNS, (xlsx_line(row) for row in rows))
    return workbook_bytes(sheet), sheet.rows_written


def _subject(filters: Filters):
    competition = db.session.get(Competition, filters.competition_id) \
        if filters.competition_id else None
    return competition or ("PromotionEligibility", "list")


def export_xlsx(actor, filters: Filters, rows: Iterable[EligibilityRow]) -> bytes:
    """The .xlsx for `actor`, audited (who, when, which filters, how many people): it may carry
    full ID numbers."""
    rows = list(rows)
    content, count = workbook(rows)
    record(actor, "promotion.export", _subject(filters), after={
        "filters": filters.args, "people": count,
        "full_id_numbers": sum(1 for row in rows if "*" not in row.id_number)})
    return content


# --- the printed list for the human-resources bureau ----------------------------------------

PDF_HEADERS = ["序号", "姓名", "身份证号码", "工作单位", "职业（工种）", "赛项", "名次", "奖项",
               "原等级 → 晋升等级", "依据", "状态"]
PDF_WIDTHS = [10 * mm, 16 * mm, 35 * mm, 34 * mm, 18 * mm, 24 * mm, 10 * mm, 16 * mm,
              26 * mm, 55 * mm, 23 * mm]  # 267 mm: A4 landscape less margins


def render_pdf(title: str, rows: list[EligibilityRow], *, printed_at: datetime,
               issuer: str = "") -> bytes:
    """An A4 landscape list of the rows, ID numbers always masked, for the HR bureau's file."""
    font = cjk_font()
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20,
                                 alignment=TA_CENTER)
    meta = ParagraphStyle("meta", fontName=font, fontSize=9, leading=12, alignment=TA_CENTER,
                          textColor=colors.HexColor("#555555"))
    page = landscape(A4)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm,
                                 topMargin=12 * mm, bottomMargin=15 * mm, title=title,
                                 author=issuer, subject="晋升职业技能等级人员名单")

    def para(text) -> Paragraph:
        return Paragraph(markup(str(text)), cell)

    lines = [[str(number), para(row.name), para(_masked(row.id_number)), para(row.unit),
              para(row.occupation),
              para(row.event), str(row.rank), para(row.awards), para(row.levels),
              para(row.reason), para(row.status_zh)] for number, row in enumerate(rows, 1)]
    table = Table([PDF_HEADERS, *lines], colWidths=PDF_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (6, 1), (6, -1), "CENTER"),
    ]))
    story = [Paragraph(markup(title), title_style),
             Paragraph(markup(f"共 {len(rows)} 人 · 打印时间 {printed_at:%Y-%m-%d %H:%M}"), meta),
             Spacer(1, 4 * mm), table]
    if issuer:
        story += [Spacer(1, 6 * mm), Paragraph(markup(issuer), meta)]

    def footer(canvas, doc):
        draw_text(canvas, page[0] / 2, 8 * mm, f"{title} · 第 {doc.page} 页", size=8,
                  align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _masked(number: str) -> str:
    """Masked whatever the reader may see: a masked number stays as it is."""
    return number if "*" in number else mask_id_number(number)
