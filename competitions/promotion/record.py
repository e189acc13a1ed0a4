"""The worker's record (职工技能电子档案): every competition a worker entered, across tiers and
years, with what came of it, and the levels they hold. One service feeds the page, the .xlsx
and the PDF; the two files are Chinese documents whatever the interface language, and print
the same cells (`file_cells`).

Ranks, totals and awards appear only once the event's results are public (results.exports):
a record never shows what the public notice has not. It never carries ID or phone numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from competitions.audit.services import record as record_audit
from competitions.certificates.fonts import cjk_font, draw_text, markup
from competitions.certificates.models import Certificate, CertificateStatus
from competitions.certificates.wording import what_for
from competitions.contests.drills import DrillPlacing, placings_of
from competitions.contests.models import Competition, Event, EventGroup
from competitions.database import utcnow
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, LevelChange, Occupation
from competitions.promotion.models import PromotionEligibility as Eligibility
from competitions.promotion.worker_levels import history, levels_of
from competitions.registration.models import Entry, EntryMember, EntryStatus, Nomination, Worker
from competitions.results.awards import Award
from competitions.results.exports import SCORE_FORMAT, is_public
from competitions.results.honours import HonourTitle
from competitions.results.models import Result, TitleAward, TitleState
from competitions.spreadsheets.writer import DATE_FORMAT, TEXT_FORMAT, Column, Sheet, workbook_bytes

SOURCES = {"recorded": _l("Recorded level"), "promotion": _l("Promotion")}


def can_view_record(user, worker: Worker) -> bool:
    """The worker, the organisers over their employer, HR officers covering it, admins."""
    if not user.is_authenticated:
        return False
    if worker.can_view(user):  # the worker themself, organisers of the subtree, admins
        return True
    return any(worker.employer.path.startswith(path) for path in user.hr_paths)


@dataclass(frozen=True)
class EventRef:
    competition: str
    tier: Tier
    year: int
    occupation: str
    group: EventGroup

    @property
    def event_name(self) -> str:
        """In the reader's language, read when shown (the group label is translated)."""
        return f"{self.occupation} · {self.group.label}"


@dataclass(frozen=True)
class TitleLine:
    title: HonourTitle
    state: TitleState


@dataclass(frozen=True)
class CertificateLine:
    certificate: Certificate

    @property
    def what(self) -> str:
        return what_for(self.certificate)


@dataclass(frozen=True)
class PromotionLine:
    occupation: str
    eligible: bool
    status: EligibilityStatus
    expired: bool
    needs_review: bool
    from_level: SkillLevel | None
    to_level: SkillLevel | None
    reason: str
    document_no: str | None
    certificate_no: str | None
    decided_at: datetime | None

    @property
    def status_label(self) -> str:
        if not self.eligible:
            return str(_l("Not eligible"))
        if self.expired:
            return str(_l("Expired without a decision"))
        return str(self.status.label)


@dataclass
class RecordRow:
    """One entry: the competition and event, and what came of it."""

    entry_id: int
    event_id: int
    competition_id: int
    event: EventRef
    team_name: str | None
    status: EntryStatus
    public: bool
    rank: int | None = None
    total: Decimal | None = None
    awards: tuple[Award, ...] = ()
    nominations: list[EventRef] = field(default_factory=list)
    titles: list[TitleLine] = field(default_factory=list)
    certificates: list[CertificateLine] = field(default_factory=list)
    promotion: PromotionLine | None = None


@dataclass
class WorkerRecord:
    worker: Worker
    rows: list[RecordRow]
    levels: list[tuple[Occupation, SkillLevel, str | None]]
    history: list[LevelChange]  # oldest first, as worker_levels.history gives it
    drills: list[DrillPlacing] = field(default_factory=list)  # 岗位练兵、技术比武, newest first


def _ref(competition: Competition, event: Event) -> EventRef:
    return EventRef(competition.name, competition.tier, competition.year,
                    event.occupation.name, event.group)


def worker_record(worker: Worker, now: datetime | None = None) -> WorkerRecord:
    """The worker's record, newest competition first, in a fixed number of queries."""
    now = now or utcnow()
    entries = db.session.execute(
        sa.select(Entry.id, Entry.team_name, Entry.status, Event, Competition)
        .join(EntryMember, EntryMember.entry_id == Entry.id)
        .join(Event, Event.id == Entry.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .where(EntryMember.worker_id == worker.id)
        .order_by(Competition.year.desc(), Competition.starts_on.desc().nulls_last(),
                  Competition.id.desc(), Event.id, Entry.id.desc())).all()
    rows = [RecordRow(entry_id, event.id, competition.id, _ref(competition, event), team_name,
                      status, is_public(event))
            for entry_id, team_name, status, event, competition in entries]
    if rows:
        events = {event.id: event for *_, event, _competition in entries}
        _add_results(rows)
        _add_consequences(worker, rows, events, now)
    return WorkerRecord(worker, rows, levels_of(worker), history(worker), placings_of(worker))


def _add_results(rows: list[RecordRow]) -> None:
    results = {entry_id: (rank, total, awards) for entry_id, rank, total, awards in
               db.session.execute(sa.select(Result.entry_id, Result.rank, Result.total,
                                            Result.awards)
                                  .where(Result.entry_id.in_([r.entry_id for r in rows]),
                                         Result.is_current()))}
    for row in rows:
        if row.public and row.entry_id in results:
            rank, total, awards = results[row.entry_id]
            row.rank, row.total = rank, total
            row.awards = tuple(Award(value) for value in awards or ())


def _add_consequences(worker: Worker, rows: list[RecordRow], events: dict[int, Event],
                      now: datetime) -> None:
    """Nominations to the next tier, titles, certificates and promotion, each on its entry
    (on the event's live entry where only the event is known: a withdrawn entry has none)."""
    by_entry = {row.entry_id: row for row in rows}
    by_event: dict[int, RecordRow] = {}
    for row in rows:  # newest entry first within an event
        if row.event_id not in by_event or (row.status.is_active
                                            and not by_event[row.event_id].status.is_active):
            by_event[row.event_id] = row
    for source_id, event, competition in db.session.execute(
            sa.select(Nomination.source_competition_id, Event, Competition)
            .join(Event, Event.id == Nomination.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .where(Nomination.worker_id == worker.id,
                   Nomination.source_competition_id.in_({r.competition_id for r in rows}))
            .order_by(Nomination.id)):
        for event_id, row in by_event.items():
            source = events[event_id]
            if (source.competition_id == source_id and source.group is event.group
                    and source.occupation_id == event.occupation_id):
                row.nominations.append(_ref(competition, event))
    for title in db.session.scalars(sa.select(TitleAward).where(
            TitleAward.worker_id == worker.id, TitleAward.event_id.in_(events),
            TitleAward.state != TitleState.DECLINED).order_by(TitleAward.id)):
        by_event[title.event_id].titles.append(TitleLine(title.title, title.state))
    for cert in db.session.scalars(sa.select(Certificate).where(
            Certificate.worker_id == worker.id, Certificate.event_id.in_(events),
            Certificate.status != CertificateStatus.REVOKED).order_by(Certificate.id)):
        row = by_entry.get(cert.entry_id) or by_event[cert.event_id]
        row.certificates.append(CertificateLine(cert))
    for item in db.session.scalars(sa.select(Eligibility).where(
            Eligibility.worker_id == worker.id, Eligibility.event_id.in_(events))):
        row = by_entry.get(item.entry_id) or by_event[item.event_id]
        row.promotion = PromotionLine(
            occupation=item.occupation.name, eligible=item.eligible, status=item.status,
            expired=item.is_expired(now), needs_review=item.needs_review,
            from_level=item.from_level, to_level=item.to_level, reason=item.reason,
            document_no=item.document_no, certificate_no=item.certificate_no,
            decided_at=item.decided_at)


# --- the files: the same cells in the .xlsx and the PDF -------------------------------------

HEADERS = ["年度", "级别", "竞赛", "赛项", "队名", "报名状态", "名次", "总分", "奖项",
           "荣誉称号", "晋级推荐", "证书", "晋升资格", "等级变化", "理由", "文号",
           "等级证书编号"]


def _label(value) -> str:
    return str(value.label) if value is not None else ""


def _titles(row: RecordRow) -> str:
    return "；".join(f"{line.title.label}（{line.state.label}）" for line in row.titles)


def _nominations(row: RecordRow) -> str:
    return "；".join(f"{ref.competition} · {ref.event_name}" for ref in row.nominations)


def _certificates(row: RecordRow) -> str:
    return "；".join(f"{line.certificate.serial} {line.what}"
                     + ("" if line.certificate.status is CertificateStatus.VALID
                        else f"（{line.certificate.status.label}）")
                     for line in row.certificates)


def _levels(promotion: PromotionLine | None) -> str:
    if promotion is None or promotion.to_level is None:
        return ""
    return f"{_label(promotion.from_level) or '—'} → {promotion.to_level.label}"


def file_cells(row: RecordRow) -> list:
    """One row of the .xlsx (and of the PDF's table, which merges some), in the current
    locale: the callers force zh."""
    promotion = row.promotion
    return [row.event.year, str(row.event.tier.label), row.event.competition,
            row.event.event_name, row.team_name or "", str(row.status.label), row.rank,
            row.total, " · ".join(str(award.label) for award in row.awards), _titles(row),
            _nominations(row), _certificates(row),
            promotion.status_label if promotion else "", _levels(promotion),
            promotion.reason if promotion else "",
            (promotion.document_no or "") if promotion else "",
            (promotion.certificate_no or "") if promotion else ""]


def _level_cells(record: WorkerRecord) -> tuple[list[list], list[list]]:
    held = [[occupation.name, str(level.label), number or ""]
            for occupation, level, number in record.levels]
    changes = [[change.changed_on, change.occupation.name, _label(change.from_level),
                str(change.to_level.label), str(SOURCES.get(change.source, change.source)),
                change.document_no or ""] for change in reversed(record.history)]
    return held, changes


def record_workbook(record: WorkerRecord) -> bytes:
    """Sheets 参赛记录 (newest first), 技能等级 and 等级变动 (newest first)."""
    with force_locale("zh"):
        widths = [6, 10, 30, 20, 12, 12, 6, 8, 14, 24, 30, 30, 12, 24, 40, 20, 24]
        columns = [Column(header, width, SCORE_FORMAT if header == "总分" else None)
                   for header, width in zip(HEADERS, widths, strict=True)]
        held, changes = _level_cells(record)
        return workbook_bytes(
            Sheet("参赛记录", columns, [file_cells(row) for row in record.rows]),
            Sheet("技能等级", [Column("职业（工种）", 20), Column("等级", 24),
                               Column("证书编号", 26, TEXT_FORMAT)], held),
            Sheet("等级变动", [Column("日期", 12, DATE_FORMAT), Column("职业（工种）", 20),
                               Column("原等级", 24), Column("新等级", 24), Column("来源", 10),
                               Column("文号", 24)], changes),
            Sheet("岗位练兵、技术比武", [Column("日期", 12, DATE_FORMAT), Column("练兵比武", 30),
                                        Column("单位", 24), Column("职业（工种）", 20),
                                        Column("名次", 6)], _drill_cells(record)))


def _drill_cells(record: WorkerRecord) -> list[list]:
    return [[d.held_on, d.name, d.organisation, d.occupation, d.place] for d in record.drills]


def export_record(actor, record: WorkerRecord, kind: str) -> None:
    """Audit a download of someone else's record (who, whose, which file, how many rows)."""
    if actor.id != record.worker.user_id:
        record_audit(actor, "promotion.record_export", record.worker,
                     after={"file": kind, "rows": len(record.rows)})


# --- the PDF --------------------------------------------------------------------------------

PDF_HEADERS = ["年度", "级别", "竞赛 · 赛项", "报名状态", "名次", "总分", "奖项",
               "称号 · 推荐 · 证书", "晋升"]
PDF_WIDTHS = [12 * mm, 16 * mm, 62 * mm, 22 * mm, 12 * mm, 16 * mm, 24 * mm, 55 * mm,
              48 * mm]  # 267 mm: A4 landscape less margins


def _pdf_row(cells: list, style: ParagraphStyle) -> list:
    (year, tier, competition, event, team, status, rank, total, awards, titles, nominations,
     certificates, promotion, levels, reason, document_no, certificate_no) = cells
    where = f"{markup(competition)}<br/>{markup(event)}" + (f" · {markup(team)}" if team else "")
    what = [*(f"称号：{titles}",) * bool(titles), *(f"推荐：{nominations}",) * bool(nominations),
            *(f"证书：{certificates}",) * bool(certificates)]
    promoted = [text for text in (promotion, levels, reason,
                                  f"文号 {document_no}" if document_no else "",
                                  f"证书 {certificate_no}" if certificate_no else "") if text]
    return [str(year), Paragraph(markup(tier), style),
            Paragraph(where, style),
            Paragraph(markup(status), style), "" if rank is None else str(rank),
            "" if total is None else f"{total:.2f}", Paragraph(markup(awards), style),
            Paragraph("<br/>".join(markup(text) for text in what), style),
            Paragraph("<br/>".join(markup(text) for text in promoted), style)]


def _table(rows: list[list], widths, font: str) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def record_pdf(record: WorkerRecord, printed_at: datetime) -> bytes:
    """An A4 landscape PDF: the worker, their levels, their competitions and level changes."""
    font = cjk_font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22,
                                 alignment=TA_CENTER)
    meta = ParagraphStyle("meta", fontName=font, fontSize=9, leading=12, alignment=TA_CENTER,
                          textColor=colors.HexColor("#555555"))
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18,
                             spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    worker = record.worker
    buffer = io.BytesIO()
    with force_locale("zh"):
        held, changes = _level_cells(record)
        rows = [_pdf_row(file_cells(row), cell) for row in record.rows]
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
        topMargin=15 * mm, bottomMargin=18 * mm, title=f"{worker.name} 职工技能电子档案",
        author=worker.employer.name, subject="职工技能电子档案")
    levels = "；".join(f"{name} {level}" + (f"（证书 {number}）" if number else "")
                      for name, level, number in held) or "未登记"
    story = [Paragraph(markup(f"{worker.name} 职工技能电子档案"), title_style),
             Paragraph(markup(f"工作单位 {worker.employer.name} · 打印时间 "
                              f"{printed_at:%Y-%m-%d %H:%M}"), meta),
             Paragraph(markup(f"职业技能等级：{levels}"), heading),
             Paragraph(markup(f"参赛记录（共 {len(rows)} 项）"), heading)]
    if rows:
        story.append(_table([PDF_HEADERS, *rows], PDF_WIDTHS, font))
    else:
        story.append(Paragraph("暂无参赛记录", cell))
    if record.drills:
        story += [Paragraph("岗位练兵、技术比武", heading), _table(
            [["日期", "练兵比武", "单位", "职业（工种）", "名次"],
             *[[f"{on:%Y-%m-%d}", *(Paragraph(markup(text), cell) for text in (name, org, job)),
                str(place)] for on, name, org, job, place in _drill_cells(record)]],
            [24 * mm, 90 * mm, 70 * mm, 55 * mm, 28 * mm], font)]
    if changes:
        story += [Paragraph("等级变动", heading), _table(
            [["日期", "职业（工种）", "原等级", "新等级", "来源", "文号"],
             *[[f"{on:%Y-%m-%d}", *(Paragraph(markup(text), cell) for text in rest)]
               for on, *rest in changes]],
            [24 * mm, 50 * mm, 50 * mm, 50 * mm, 25 * mm, 68 * mm], font)]

    def footer(canvas, doc):
        draw_text(canvas, landscape(A4)[0] / 2, 10 * mm,
                  f"{worker.name} 职工技能电子档案 · 第 {doc.page} 页", size=9, align="centre")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
