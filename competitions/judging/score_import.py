"""Theory scores from the exam system's spreadsheet: the template, and the validation and
confirm step of the shared upload pipeline (competitions/spreadsheets/pipeline.py).

A file is keyed either by blind code (加密号) or by entry number (参赛号), never both, and neither
the template nor the preview shows the other code: nothing here reveals the mapping between them.
The template offers only the blind code, the one code judges see (DESIGN.md glossary).
Validation loads the event's entries and imported marks with two statements, whatever the size.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.contests.models import Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging.marking import format_mark
from competitions.judging.models import CriterionKind, ImportedMark, MarkingScheme, ScoreImport
from competitions.judging.scoring import MarkError, check_mark, plain
from competitions.judging.services import can_edit_scheme
from competitions.registration.models import Entry, EntryStatus
from competitions.spreadsheets import pipeline
from competitions.spreadsheets.pipeline import (  # noqa: F401  (re-exported)
    MAX_FILE_BYTES,
    MAX_ROWS,
    AlreadyImported,
    ImportRejected,
    Preview,
    RowError,
    Table,
    cell_text,
    column_letter,
    data_rows,
    header_texts,
    read_table,
    refused_cells,
)
from competitions.spreadsheets.writer import TEXT_FORMAT, Column, Sheet, workbook_bytes
from competitions.text_rules import find_text_problem, problem_message

CENTS = Decimal("0.01")
# key: (Chinese header, other accepted headers…). The template uses the blind code; 赛位号 is
# how templates downloaded before it was renamed head the same column.
KEYS = {"blind_code": ("加密号", "赛位号", "Blind code"),
        "entry_number": ("参赛号", "Entry number")}


class MarkingNotOpen(DomainError):
    pass


@dataclass
class ScoreChange:
    code: str
    criterion_id: int
    old: Decimal | None
    new: Decimal

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class ScoreLine:
    """One valid row: the key as the file spells it, and each criterion's old and new score."""

    row: int
    key: str
    entry_id: int
    scores: list[ScoreChange]

    @property
    def changed(self) -> list[ScoreChange]:
        return [s for s in self.scores if s.changed]


@dataclass
class ScorePlan(Preview):
    """The outcome of validating a file: the scores it holds, and every error found."""

    key: str | None = None  # "blind_code" or "entry_number"
    key_header: str = ""
    codes: list[str] = field(default_factory=list)
    lines: list[ScoreLine] = field(default_factory=list)

    def count(self, which: str) -> int:
        """How many scores are "new", "replaced" or "unchanged"."""
        scores = [s for line in self.lines for s in line.scores]
        if which == "new":
            return sum(1 for s in scores if s.old is None)
        if which == "replaced":
            return sum(1 for s in scores if s.old is not None and s.changed)
        return sum(1 for s in scores if not s.changed)


# Who and when


def imported_criteria(event: Event) -> list:
    """The event's criteria that take their score from the exam system, in scheme order."""
    scheme = db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    if scheme is None:
        return []
    return [c for component in scheme.components for c in component.criteria
            if c.kind is CriterionKind.IMPORTED]


def check_open(event: Event) -> None:
    """Refuse unless the event is being marked and its scheme imports some scores."""
    if event.stage is EventStage.SIGNED_OFF:
        raise MarkingNotOpen(_l("The event is signed off; the chief judge must reopen it for "
                                "correction first."))
    if event.stage is not EventStage.SCORING:
        raise MarkingNotOpen(_l("Marking has not started for this event: scores are imported "
                                "once the scheme is locked and marking begins."))
    if not imported_criteria(event):
        raise MarkingNotOpen(_l("This event's marking scheme has no imported criteria."))


def can_use_import(user, score_import: ScoreImport) -> bool:
    """A staged file is previewed and confirmed by the person who uploaded it (or an admin)."""
    return can_edit_scheme(user, score_import.event) and pipeline.can_use(user, score_import)


# The spreadsheet


def template_workbook(event: Event) -> bytes:
    """The headers only: the key column and one column per imported criterion. No entries."""
    criteria = imported_criteria(event)
    # Key column as text, so that codes such as 001 keep their zeros.
    scores = Sheet("理论成绩", [Column(KEYS["blind_code"][0], 16, TEXT_FORMAT),
                              *(Column(c.code) for c in criteria)], blank_rows=1000)
    notes = Sheet("填写说明", rows=[[line] for line in (
        "第一列填写加密号，即加密裁判所发加密号清单上的编码；不要填写检录号或参赛号。",
        "其余各列以评分项代码为标题，填写该项得分：0 至满分之间，且为评分步长的整数倍。",
        *(f"{c.code}：{c.description}（满分 {plain(c.max_mark)}，步长 {plain(c.step)}）"
          for c in criteria),
        "每个参赛者一行；文件中没有的参赛者不受影响。",
        "上传更正后的文件会用新分数替换已导入的分数，每次替换都有记录。")])
    return workbook_bytes(scores, notes)


def parse_score(value) -> Decimal:
    """A cell as an exact Decimal (floats via their shortest repr); ValueError if not a number."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(value)
        number = Decimal(str(value))
        if float(number) != value:  # the text does not stand for this float: refuse to guess
            raise ValueError(value)
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number.copy_abs() if number.is_zero() else number  # -0 is 0; no arithmetic rounds


def read_sheet(content: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    """The header texts and (row number, cell values) of every non-empty row after it, as an
    upload keeps them (for tools and tests)."""
    table = read_table(content)
    header = header_texts(table.header)
    return header, data_rows(Table(header, table.rows))


def _key_of(header: str) -> str | None:
    folded = header.casefold()
    return next((key for key, names in KEYS.items()
                 if folded in (n.casefold() for n in names)), None)


def _columns(header: list[str], criteria: list, plan: ScorePlan) -> tuple[int | None, dict]:
    """Check the header row; set the plan's key; return the key's index and the criteria's."""
    by_code = {}
    for criterion in criteria:
        by_code.setdefault(criterion.code.casefold(), []).append(criterion)
    codes = "、".join(c.code for c in criteria)
    key_column, score_columns, seen = None, {}, {}

    def error(index, message):
        plan.errors.append(RowError(1, header[index] or column_letter(index), message))

    for index, text in enumerate(header):
        if not text:
            error(index, _l("This column has no header."))
            continue
        if (problem := find_text_problem(text)) is not None:
            error(index, problem_message(problem, column_letter(index)))
            continue
        if text.casefold() in seen:
            error(index, _l("The column %(name)s appears twice.", name=text))
            continue
        seen[text.casefold()] = index
        key = _key_of(text)
        if key is not None:
            if key_column is not None:
                error(index, _l("Use one key column, 加密号 or 参赛号, not both."))
            else:
                key_column, plan.key, plan.key_header = index, key, text
            continue
        matches = by_code.get(text.casefold(), [])
        if len(matches) == 1:
            score_columns[index] = matches[0]
        elif matches:
            error(index, _l("Several imported criteria have the code %(code)s; give them "
                            "different codes in the scheme.", code=text))
        else:
            error(index, _l("%(name)s is not an imported criterion of this event; the score "
                            "columns are headed %(codes)s.", name=text, codes=codes))
    if key_column is None:
        plan.errors.append(RowError(1, KEYS["blind_code"][0], _l(
            "The file needs a first column headed 加密号, holding the blind codes.")))
    if not score_columns and not plan.errors:
        plan.errors.append(RowError(1, "", _l("The file has no score column; head one with a "
                                              "criterion code: %(codes)s.", codes=codes)))
    plan.codes = [c.code for c in score_columns.values()]
    return key_column, score_columns


def _canonical(key: str, text: str) -> str:
    """Blind codes ignore case; entry numbers typed as numbers lose their leading zeros."""
    text = text.upper()
    if key == "entry_number" and text.isdigit():
        return text.lstrip("0") or "0"
    return text


def _score(criterion, value) -> tuple[Decimal | None, object]:
    """The cell's score, or None and the message saying why it is not one."""
    text = cell_text(value)
    if text == "":
        return None, _l("The score for %(code)s is missing.", code=criterion.code)
    try:
        score = check_mark(parse_score(value), criterion.max_mark, criterion.step)
    except MarkError as problem:
        if problem.reason == "range":
            return None, _l("%(value)s is outside 0 to %(max)s.", value=text,
                            max=plain(criterion.max_mark))
        return None, _l("%(value)s is not a multiple of the step %(step)s.", value=text,
                        step=plain(criterion.step))
    except InvalidOperation:  # more digits than Decimal keeps: on no step
        return None, _l("%(value)s is not a multiple of the step %(step)s.", value=text,
                        step=plain(criterion.step))
    except ValueError:
        return None, _l("%(value)s is not a number.", value=text)
    return score.quantize(CENTS), None  # exact: a multiple of a two-place step


def validate(event: Event, header: list[str], rows: list[tuple[int, list]]) -> ScorePlan:
    """Check every row; collect every error by row and column; plan the scores to store."""
    plan = ScorePlan(rows=len(rows))
    key_index, columns = _columns(header, imported_criteria(event), plan)
    plan.refuse_empty()
    if plan.errors:
        return plan
    key_column = getattr(Entry, plan.key)
    entries, checkin_codes = {}, set()
    for entry_id, code, status, checkin_code in db.session.execute(sa.select(
            Entry.id, key_column, Entry.status, Entry.checkin_code).where(
            Entry.event_id == event.id, key_column.is_not(None))):
        entries[_canonical(plan.key, code)] = (entry_id, status)
        checkin_codes.add((checkin_code or "").upper())
    existing = {(entry_id, criterion_id): value for entry_id, criterion_id, value in
                db.session.execute(sa.select(
                    ImportedMark.entry_id, ImportedMark.criterion_id, ImportedMark.value).where(
                    ImportedMark.event_id == event.id,
                    ImportedMark.criterion_id.in_([c.id for c in columns.values()])))}
    seen: dict[str, int] = {}
    for number, values in rows:
        key_text = cell_text(values[key_index])
        refused = refused_cells(number, {header[index]: value for index, value
                                         in enumerate(values) if isinstance(value, str)})
        if refused:  # checked no further: a refused cell's text is never looked up or shown
            plan.errors += refused
            continue
        problems = []
        entry = None
        if not key_text:
            problems.append((key_index, _l("%(column)s is required.", column=plan.key_header)))
        elif (canonical := _canonical(plan.key, key_text)) in seen:
            problems.append((key_index, _l("The same %(column)s is already on row %(row)d.",
                                           column=plan.key_header, row=seen[canonical])))
        else:
            seen[canonical] = number
            entry = entries.get(canonical)
            if entry is None and plan.key == "blind_code" and canonical in checkin_codes:
                problems.append((key_index, _l(
                    "%(key)s is a check-in code (检录号), not a blind code: fill in the 加密号 "
                    "from the encryption officer's list.", key=key_text)))
            elif entry is None:
                problems.append((key_index, _l("No entry of this event has the %(column)s "
                                               "%(key)s.", column=plan.key_header,
                                               key=key_text)))
            elif entry[1] is not EntryStatus.APPROVED:
                problems.append((key_index, _l("The entry %(key)s is not approved (%(status)s); "
                                               "it takes no score.", key=key_text,
                                               status=entry[1].label)))
        scores = []
        for index, criterion in columns.items():
            value, problem = _score(criterion, values[index])
            if problem is not None:
                problems.append((index, problem))
            elif entry is not None:
                scores.append(ScoreChange(criterion.code, criterion.id,
                                          existing.get((entry[0], criterion.id)), value))
        for index, message in problems:
            plan.errors.append(RowError(number, header[index], message))
        if not problems:
            plan.lines.append(ScoreLine(number, key_text, entry[0], scores))
    return plan


# Staging, preview and confirmation


def stage_upload(actor, event: Event, filename: str, content: bytes) -> ScoreImport:
    """Read the file once and keep it with its rows until it is confirmed; a file that is no
    workbook or breaks a bound is refused here, a wrong header at the preview."""
    if not can_edit_scheme(actor, event):
        raise PermissionDenied(_l("Only the chief judge or the organisers import scores."))
    check_open(event)
    return pipeline.stage(ScoreImport, actor, event, filename, content)


def preview(score_import: ScoreImport) -> ScorePlan:
    """Validate the rows kept at upload against the event as it is now."""
    header, rows = pipeline.kept_rows(score_import)
    return validate(score_import.event, header, rows)


def confirm(actor, score_import: ScoreImport, now=None) -> ScorePlan:
    """Validate again and store every score in one go, or nothing at all.

    On a refusal the caller must roll back: the staged file is already claimed.
    """
    if not can_use_import(actor, score_import):
        raise PermissionDenied(_l("Only the chief judge or the organisers import scores."))
    now = now or utcnow()
    pipeline.claim(ScoreImport, score_import, now)
    # Lock the event row and read its stage afresh: imports queue here, and a sign-off
    # committed meanwhile is seen.
    event = db.session.execute(
        sa.select(Event).where(Event.id == score_import.event_id).with_for_update(of=Event)
        .execution_options(populate_existing=True)).scalar_one()
    check_open(event)
    plan = preview(score_import)
    if not plan.ok:
        raise ImportRejected(_l("The file has errors; nothing was imported."))
    _store(actor, event, score_import, plan, now)
    record(actor, "score_import.confirm", score_import, after={"rows": plan.rows})
    pipeline.release(score_import)
    return plan


def _store(actor, event: Event, score_import: ScoreImport, plan: ScorePlan, now) -> None:
    """Insert new marks, update replaced ones (two statements), and audit each entry changed."""
    changed = [(line, line.changed) for line in plan.lines if line.changed]
    new = [{"event_id": event.id, "entry_id": line.entry_id, "criterion_id": s.criterion_id,
            "value": s.new, "batch_id": score_import.id, "updated_at": now}
           for line, scores in changed for s in scores if s.old is None]
    replaced = {(line.entry_id, s.criterion_id): s.new for line, scores in changed
                for s in scores if s.old is not None}
    if new:
        db.session.execute(sa.insert(ImportedMark), new)
    if replaced:
        for mark in db.session.scalars(sa.select(ImportedMark).where(
                ImportedMark.event_id == event.id,
                ImportedMark.entry_id.in_({entry_id for entry_id, _c in replaced}))):
            if (mark.entry_id, mark.criterion_id) in replaced:
                mark.value = replaced[(mark.entry_id, mark.criterion_id)]
                mark.batch_id, mark.updated_at = score_import.id, now
        db.session.flush()
    for line, scores in changed:
        old = {s.code: format_mark(s.old) for s in scores if s.old is not None}
        record(actor, "mark.import", ("Entry", line.entry_id),
               before={"source": "import", "marks": old} if old else None,
               after={"source": "import", "marks": {s.code: format_mark(s.new) for s in scores},
                      "batch": score_import.id})
