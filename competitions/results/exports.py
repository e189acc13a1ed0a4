"""Published results as rows for every output (public page, notice PDF, spreadsheet, CLI), and
the organisers' .xlsx: all of them read services.published_results, the one snapshot.

Rows carry full names: the public page, the notice and `--masked` CLI output show
`masked_name` only. Neither rows nor exports ever carry ID numbers, phone numbers, blind codes
or check-in codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale, to_user_timezone

from competitions.audit.services import record
from competitions.contests.models import Event, EventStage
from competitions.extensions import db
from competitions.masking import mask_name
from competitions.organisations.models import Organisation
from competitions.registration.models import Entry, EntryMember, Worker
from competitions.results import ranking
from competitions.results.awards import Award, awards_text
from competitions.results.models import Result
from competitions.spreadsheets.writer import Column, Sheet, workbook_bytes

PUBLIC_STAGES = (EventStage.PUBLISHED, EventStage.FINAL)
CENTS = Decimal("0.01")
SCORE_FORMAT = "0.00"


def is_public(event: Event) -> bool:
    """Results are public from publication (the notice, 公示) on, and stay so once final."""
    return event.stage in PUBLIC_STAGES


def is_under_review(event: Event) -> bool:
    """Published once, now back in marking after an upheld appeal or a formal reopening
    (复核中): the last published results stay public, marked as under review."""
    return event.notice_ends_at is not None and event.stage not in PUBLIC_STAGES


def has_public_results(event: Event) -> bool:
    return is_public(event) or is_under_review(event)


@dataclass(frozen=True)
class ResultRow:
    rank: int
    entry_number: str | None
    team_name: str | None
    names: list[str]  # full names, the leader first
    unit: str  # the unit that entered them, within its quota
    components: list[tuple[str, Decimal]]
    total: Decimal
    standardised: int
    awards: tuple[Award, ...]  # prize first, then medal
    employers: tuple[str, ...] = ()  # where the members shown work, the leader's first
    decided_by: str | None = None  # the tie-break step that put it behind the row above

    @property
    def employer(self) -> str:
        return "、".join(self.employers) or self.unit

    @property
    def full_name(self) -> str:
        if self.team_name:
            return f"{self.team_name}（{'、'.join(self.names)}）"
        return self.names[0] if self.names else ""

    @property
    def masked_names(self) -> list[str]:
        return [mask_name(name) for name in self.names]

    @property
    def masked_name(self) -> str:
        """张*明; a team: its name and its members' masked names."""
        if self.team_name:
            return f"{self.team_name}（{'、'.join(self.masked_names)}）"
        return self.masked_names[0] if self.names else ""


def result_rows(event: Event, version: int | None = None) -> list[ResultRow]:
    """The event's published results, best first (the current version unless asked), in two
    column-only queries whatever their number (loading whole entries and workers costs more
    than the page itself)."""
    which = Result.is_current() if version is None else Result.version == version
    results = db.session.execute(
        sa.select(Result.entry_id, Result.rank, Result.components, Result.total,
                  Result.standardised, Result.awards, Entry.entry_number, Entry.team_name,
                  Organisation.name, Result.time_used, Result.practical, Result.theory)
        .join(Entry, Entry.id == Result.entry_id)
        .join(Organisation, Organisation.id == Entry.unit_id)
        .where(Result.event_id == event.id, which).order_by(Result.rank, Result.id)).all()
    employer = sa.orm.aliased(Organisation)
    members: dict[int, list[tuple[str, str, bool]]] = {}
    for entry_id, name, employer_name, active in db.session.execute(
            sa.select(EntryMember.entry_id, Worker.name, employer.name, EntryMember.active)
            .join(Worker, Worker.id == EntryMember.worker_id)
            .join(employer, employer.id == Worker.employer_id)
            .join(Entry, Entry.id == EntryMember.entry_id)
            .where(Entry.event_id == event.id).order_by(EntryMember.id)):
        members.setdefault(entry_id, []).append((name, employer_name, active))
    chain = event.competition.tie_breaks or list(ranking.DEFAULT_CHAIN)
    rows, previous = [], None
    for (entry_id, rank, components, total, standardised, awards, entry_number, team_name,
         unit, time_used, practical, theory) in results:
        shown = [m for m in members.get(entry_id, []) if m[2]] or members.get(entry_id, [])
        standing = ranking.Standing(entry_id, total, time_used, practical, theory)
        decided = (ranking.decided_by(previous[0], standing, chain)
                   if previous is not None and previous[1] != rank else None)
        previous = (standing, rank)
        rows.append(ResultRow(
            rank=rank, entry_number=entry_number, team_name=team_name,
            names=[name for name, _employer, _active in shown], unit=unit,
            components=[(name, Decimal(score)) for name, score in components],
            total=total, standardised=standardised,
            awards=tuple(Award(award) for award in awards or ()),
            employers=tuple(dict.fromkeys(employer for _name, employer, _active in shown)),
            decided_by=decided))
    return rows


def component_names(rows: list[ResultRow]) -> list[str]:
    return [name for name, _score in rows[0].components] if rows else []


def notice_period(event: Event, version: int | None = None
                  ) -> tuple[datetime | None, datetime | None]:
    """When a notice began (its results were stored) and ends, in local time: the current
    notice, or a superseded version's, which ended when the next version was published."""
    which = Result.is_current() if version is None else Result.version == version
    started = db.session.scalar(sa.select(sa.func.min(Result.computed_at))
                                .where(Result.event_id == event.id, which))
    ends_at = event.notice_ends_at
    if version is not None:
        ends_at = db.session.scalar(sa.select(sa.func.min(Result.computed_at)).where(
            Result.event_id == event.id, Result.version > version)) or ends_at
    return (to_user_timezone(started) if started else None,
            to_user_timezone(ends_at) if ends_at else None)


def award_label(awards) -> str:
    """A result's awards in Chinese (一等奖 · 金牌): exports and notices are Chinese
    documents."""
    with force_locale("zh"):
        return awards_text(awards)


# --- the .xlsx ------------------------------------------------------------------------------

def results_workbook(event: Event, rows: list[ResultRow] | None = None) -> bytes:
    """Sheet 成绩 (every entrant, full names) and sheet 获奖名单 (the award winners)."""
    rows = result_rows(event) if rows is None else rows
    components = component_names(rows)
    results = Sheet("成绩", [
        Column("名次", 6), Column("参赛号", 8), Column("姓名", 24), Column("参赛单位", 28),
        *[Column(name, 10, SCORE_FORMAT) for name in components],
        Column("总分", 10, SCORE_FORMAT), Column("标准分", 8), Column("奖项", 12)],
        [_result_line(row, components) for row in rows])
    winners = Sheet("获奖名单", [
        Column("奖项", 12), Column("名次", 6), Column("姓名", 24), Column("参赛单位", 28),
        Column("总分", 10, SCORE_FORMAT)],
        [[award_label(row.awards), row.rank, row.full_name, row.unit, row.total]
         for row in rows if row.awards])
    return workbook_bytes(results, winners)


def _result_line(row: ResultRow, components: list[str]) -> list:
    scores = dict(row.components)
    return [row.rank, row.entry_number or "", row.full_name, row.unit,
            *[scores.get(name) for name in components], row.total, row.standardised,
            award_label(row.awards)]


def export_results(actor, event: Event) -> bytes:
    """The organisers' .xlsx of `event`, audited (who, when, which event, how many people):
    it carries everyone's full name."""
    rows = result_rows(event)
    content = results_workbook(event, rows)
    record(actor, "results.export", event,
           after={"people": sum(len(row.names) for row in rows)})
    return content
