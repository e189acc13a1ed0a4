"""Score sheets: a judge's marks for one entry, known to them only by its blind code.

Saving is a compare-and-set on the sheet's version, so a form opened before somebody else's
change is refused as stale rather than overwriting it, and posting the same form twice changes
nothing the second time. Every change is written to the audit log with the old and new marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from competitions.accounts.models import User
from competitions.audit.services import chain_of, record
from competitions.contests.models import Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, NotFound, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging import panels
from competitions.judging.models import Criterion, Mark, ScoreSheet, SheetStatus
from competitions.judging.scoring import MarkError, check_mark, plain
from competitions.notifications.services import notify
from competitions.registration.models import Entry, EntryStatus


class MarkingClosed(DomainError):
    pass


class SheetInvalid(DomainError):
    """Some marks are out of range, off the step, or missing; `errors` maps criterion id to
    the message for that field."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(_l("Some marks need correcting; nothing was saved."))
        self.errors = errors


class StaleSheet(DomainError):
    pass


class SheetLocked(DomainError):
    pass


@dataclass
class JudgeSheet:
    """What a judge may see of one entry: its blind code, their criteria, and their sheet."""

    event: Event
    blind_code: str
    entry_id: int
    criteria: list[Criterion]
    sheet: ScoreSheet | None
    # The event's panel setting as open_sheet read it (for next_to_submit in the same request).
    setting: panels.PanelSetting | None = None

    @property
    def version(self) -> int:
        return self.sheet.version if self.sheet else 0

    @property
    def values(self) -> dict[int, Decimal]:
        return {m.criterion_id: m.value for m in self.sheet.marks} if self.sheet else {}

    @property
    def is_submitted(self) -> bool:
        return self.sheet is not None and self.sheet.is_submitted


def format_mark(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def require_marking_open(event: Event) -> None:
    if event.stage is EventStage.SIGNED_OFF:
        raise MarkingClosed(_l("The event is signed off; marks can only be corrected after the "
                               "chief judge reopens it."))
    if event.stage is not EventStage.SCORING:
        raise MarkingClosed(_l("Marking has not started for this event."))


def judge_work(judge: User, event: Event) -> list[JudgeSheet]:
    """Every entry the judge marks, by blind code, with their sheet if they started one."""
    if not panels.is_judge(judge, event):
        raise PermissionDenied(_l("You are not a judge of this event."))
    work = panels.criteria_for_judge(panels.panel_cells(event), judge.id)
    sheets = {s.entry_id: s for s in db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.event_id == event.id, ScoreSheet.judge_id == judge.id))}
    codes = {e.blind_code: e.id for e in panels.drawn_entries(event, work)}
    return [JudgeSheet(event, code, codes[code], criteria, sheets.get(codes[code]))
            for code, criteria in sorted(work.items())]


def next_to_submit(judge: User, event: Event, after: str = "", *, batch: int = 10,
                   setting: panels.PanelSetting | None = None) -> str | None:
    """The blind code of the judge's next sheet still to submit after `after`, in code order
    and wrapping round; None once every sheet is in.

    Only entries the judge has not submitted are candidates, and their panels are weighed a
    batch at a time (`batch`, then four times as many, ...) from `after` onwards: a judge who
    marks most entries finds the next in the first batch however large the event, and a
    reserve who marks few costs at most what the whole event's panels cost. `setting`: the
    event's panel setting, if this request read it already (open_sheet's)."""
    if not panels.is_judge(judge, event):
        raise PermissionDenied(_l("You are not a judge of this event."))
    setting = setting or panels.panel_setting(event)
    submitted = sa.select(ScoreSheet.entry_id).where(
        ScoreSheet.event_id == event.id, ScoreSheet.judge_id == judge.id,
        ScoreSheet.status == SheetStatus.SUBMITTED)
    candidates = list(db.session.scalars(
        sa.select(Entry.blind_code)
        .where(Entry.event_id == event.id, Entry.status == EntryStatus.APPROVED,
               Entry.blind_code.is_not(None), Entry.id.not_in(submitted))
        .order_by(Entry.blind_code <= after, Entry.blind_code)))
    start, size = 0, batch
    while start < len(candidates):
        batch = candidates[start:start + size]
        marked = panels.criteria_for_judge(
            panels.panel_cells(event, panels.drawn_entries(event, batch), setting), judge.id)
        found = next((code for code in batch if code in marked), None)
        if found is not None:
            return found
        start, size = start + size, size * 4
    return None


def open_sheet(judge: User, event: Event, blind_code: str) -> JudgeSheet:
    """The judge's sheet for one blind code; NotFound unless they mark that entry."""
    if not panels.is_judge(judge, event):
        raise PermissionDenied(_l("You are not a judge of this event."))
    entries = panels.drawn_entries(event, [blind_code])
    setting = panels.panel_setting(event) if entries else None
    cells = panels.panel_cells(event, entries, setting) if entries else []
    criteria = [cell.criterion for cell in cells if judge.id in cell.panel]
    if not criteria:
        raise NotFound(_l("You do not mark an entry with this code."))
    sheet = db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.entry_id == entries[0].id, ScoreSheet.judge_id == judge.id))
    return JudgeSheet(event, blind_code, entries[0].id, criteria, sheet, setting)


def mark_error(error: MarkError, criterion: Criterion) -> str:
    if error.reason == "range":
        return str(_l("Enter a mark from 0 to %(max)s.", max=plain(criterion.max_mark)))
    return str(_l("Marks go in steps of %(step)s.", step=plain(criterion.step)))


def _validate(criteria: list[Criterion], values: dict[int, Decimal | None],
              submit: bool) -> dict[int, str]:
    errors = {}
    for criterion in criteria:
        value = values.get(criterion.id)
        if value is None:
            if submit:
                errors[criterion.id] = str(_l("Every mark is needed to submit."))
            continue
        try:
            check_mark(value, criterion.max_mark, criterion.step)
        except MarkError as error:
            errors[criterion.id] = mark_error(error, criterion)
    return errors


def _sheet_for_update(event: Event, entry_id: int, judge: User,
                      known: ScoreSheet | None = None, *, looked: bool = False) -> ScoreSheet:
    """The judge's sheet for the entry (`known`, if open_sheet found it in this transaction;
    `looked`: open_sheet found none), created at version 0 if this is their first save."""
    if known is not None:
        return known  # its version is checked by _claim's conditional UPDATE
    stmt = sa.select(ScoreSheet).where(ScoreSheet.entry_id == entry_id,
                                       ScoreSheet.judge_id == judge.id)
    sheet = None if looked else db.session.scalar(stmt)
    if sheet is not None:
        return sheet
    try:  # two first saves at once (a double click): one insert wins, the other reads it
        with db.session.begin_nested():
            sheet = ScoreSheet(event_id=event.id, entry_id=entry_id, judge_id=judge.id)
            db.session.add(sheet)
    except sa.exc.IntegrityError:
        return db.session.scalar(stmt)
    set_committed_value(sheet, "marks", [])  # new: nothing to load
    return sheet


def _claim(sheet: ScoreSheet, version: int, *, submit: bool = False) -> None:
    """Move the sheet to the next version if it is still a draft at `version`, else refuse;
    with `submit`, the same UPDATE submits it."""
    now = utcnow()
    values = {"version": ScoreSheet.version + 1, "updated_at": now}
    if submit:
        values.update(status=SheetStatus.SUBMITTED, submitted_at=now)
    claimed = db.session.execute(
        sa.update(ScoreSheet)
        .where(ScoreSheet.id == sheet.id, ScoreSheet.version == version,
               ScoreSheet.status == SheetStatus.DRAFT)
        .values(**values)
        .returning(ScoreSheet.version)
        .execution_options(synchronize_session=False)).scalar()
    if claimed is not None:
        # What the UPDATE wrote, without reading the row (and its marks) back.
        set_committed_value(sheet, "version", claimed)
        for name, value in values.items():
            if name != "version":
                set_committed_value(sheet, name, value)
        return
    db.session.refresh(sheet)
    if sheet.is_submitted:
        raise SheetLocked(_l("This sheet has been submitted and is locked. Ask the chief judge "
                             "to return it if a mark must change."))
    raise StaleSheet(_l("These marks were changed since you opened the sheet (in another "
                        "window, or by the chief judge). Reload it and enter your changes "
                        "again."))


def _apply(sheet: ScoreSheet, criteria: list[Criterion],
           values: dict[int, Decimal | None]) -> tuple[dict, dict]:
    """Write the marks; return the changed ones as {code: old} and {code: new}."""
    existing = {m.criterion_id: m for m in sheet.marks}
    before, after = {}, {}
    for criterion in criteria:
        mark, value = existing.get(criterion.id), values.get(criterion.id)
        old = mark.value if mark else None
        if old == value:
            continue
        before[criterion.code], after[criterion.code] = format_mark(old), format_mark(value)
        if value is None:
            sheet.marks.remove(mark)
        elif mark is None:
            sheet.marks.append(Mark(criterion_id=criterion.id, value=value))
        else:
            mark.value = value
    return before, after


def save_sheet(judge: User, event: Event, blind_code: str, values: dict[int, Decimal | None],
               *, version: int, submit: bool = False, work: JudgeSheet | None = None
               ) -> ScoreSheet:
    """Save the judge's marks (blank fields stay blank in a draft); with `submit`, every mark
    is needed and the sheet locks. `version` is the one the form was opened at; `work` is the
    caller's open_sheet() for this judge and code, if it has one (saves recomputing panels)."""
    require_marking_open(event)
    if work is None or work.blind_code != blind_code or work.event is not event:
        work = open_sheet(judge, event, blind_code)
    allowed = {c.id for c in work.criteria}
    if set(values) - allowed:
        raise PermissionDenied(_l("You do not mark these criteria for this entry."))
    errors = _validate(work.criteria, values, submit)
    if errors:
        raise SheetInvalid(errors)
    sheet = _sheet_for_update(event, work.entry_id, judge, work.sheet,
                              looked=work.sheet is None)
    current = {m.criterion_id: m.value for m in sheet.marks}
    wanted = {k: v for k, v in values.items() if v is not None}
    if current == wanted and (sheet.is_submitted or not submit):
        return sheet  # the same form posted again: nothing to do
    _claim(sheet, version, submit=submit)
    before, after = _apply(sheet, work.criteria, values)
    db.session.flush()
    record(judge, "mark.submit" if submit else "mark.save", ("Entry", work.entry_id),
           before={"sheet": sheet.id, "judge": judge.username, "marks": before},
           after={"sheet": sheet.id, "judge": judge.username, "marks": after},
           chain=chain_of(event))
    return sheet


def require_chief_judge(actor, event: Event) -> None:
    if not panels.is_chief_judge(actor, event):
        raise PermissionDenied(_l("Only the event's chief judge may do this."))


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise DomainError(_l("Give a reason; it is kept in the record."), field="reason")
    return reason.strip()


def return_sheet(actor, sheet: ScoreSheet, reason: str) -> None:
    """The chief judge unlocks a submitted sheet so its judge can correct it."""
    event = db.session.get(Event, sheet.event_id)
    require_chief_judge(actor, event)
    require_marking_open(event)
    reason = require_reason(reason)
    if not sheet.is_submitted:
        raise DomainError(_l("This sheet has not been submitted."))
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_at = None
    sheet.version += 1
    db.session.flush()
    blind_code = _blind_code(sheet.entry_id)
    record(actor, "mark.return", ("Entry", sheet.entry_id),
           after={"sheet": sheet.id, "judge": sheet.judge.username}, reason=reason)
    notify(sheet.judge_id, "sheet_returned", event_id=event.id, blind_code=blind_code,
           reason=reason)


def correct_mark(actor, sheet: ScoreSheet, criterion: Criterion, value: Decimal,
                 reason: str) -> None:
    """The chief judge changes one submitted mark, with a reason."""
    event = db.session.get(Event, sheet.event_id)
    require_chief_judge(actor, event)
    require_marking_open(event)
    reason = require_reason(reason)
    if not sheet.is_submitted:
        raise DomainError(_l("The judge is still working on this sheet; return it or wait."))
    mark = next((m for m in sheet.marks if m.criterion_id == criterion.id), None)
    if mark is None:
        raise NotFound(_l("There is no such mark on this sheet."))
    checked_correction(value, criterion)
    if mark.value == value:
        return
    old, mark.value = mark.value, value
    sheet.version += 1
    db.session.flush()
    record(actor, "mark.correct", ("Entry", sheet.entry_id),
           before={"sheet": sheet.id, "judge": sheet.judge.username,
                   "marks": {criterion.code: format_mark(old)}},
           after={"sheet": sheet.id, "judge": sheet.judge.username,
                  "marks": {criterion.code: format_mark(value)}}, reason=reason)


def checked_correction(value: Decimal, criterion: Criterion) -> None:
    """A corrected mark obeys the criterion's range and step like any other."""
    try:
        check_mark(value, criterion.max_mark, criterion.step)
    except MarkError as error:
        raise DomainError(mark_error(error, criterion), field="value") from None


def _blind_code(entry_id: int) -> str:
    return db.session.scalar(sa.select(Entry.blind_code).where(Entry.id == entry_id))
