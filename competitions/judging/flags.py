"""Flagged panels (DESIGN.md §4): a judgement panel whose marks differ by more than the scheme's
spread threshold must be discussed before sign-off, and the chief judge resolves each flag.

A flag is resolved in one of two ways. The chief judge accepts it with a note (the marks stand;
the note says what the panel discussed), or corrects a mark (marking.correct_mark, or a returned
sheet): if the spread is then within the threshold the flag is gone, else it still needs
accepting.

An acceptance holds while the panel's marks are exactly the ones it accepted (judge by judge).
Any later change voids it — a corrected mark, a returned and resubmitted sheet with a new mark,
a reserve stepping in — even one that leaves the spread as it was, since the note vouched for
those marks and the panel mark they make. A voided acceptance is kept (and shown) until the
flag is accepted again, which replaces it; the audit log keeps every acceptance. Reopening a
signed-off event therefore keeps the acceptances of panels whose marks did not change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from competitions.audit.models import AuditEntry
from competitions.audit.services import record
from competitions.contests.models import Event
from competitions.database import utcnow
from competitions.errors import DomainError, NotFound
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging import panels
from competitions.judging.marking import format_mark, require_chief_judge, require_marking_open
from competitions.judging.models import Criterion, CriterionKind, FlagResolution, MarkingScheme
from competitions.registration.models import Entry

SPREAD_PLACES = Decimal("0.0001")  # as stored: the column keeps 4 places


def is_flagged(cell: panels.PanelCell, threshold: Decimal) -> bool:
    """A judgement panel whose marks differ by more than `threshold` percent of the maximum."""
    return (cell.criterion.kind is CriterionKind.JUDGEMENT and cell.spread is not None
            and cell.spread > threshold)


def panel_marks(cell: panels.PanelCell) -> dict[str, str]:
    """The panel's marks as an acceptance keeps them: judge id (as text) → "50.00"."""
    return {str(judge): format_mark(value) for judge, value in sorted(cell.marks.items())}


def stored_spread(spread: Decimal) -> Decimal:
    return spread.quantize(SPREAD_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Flag:
    """One flagged panel and the chief judge's acceptance of it, if any (standing or void)."""

    cell: panels.PanelCell
    resolution: FlagResolution | None

    @property
    def is_resolved(self) -> bool:
        return self.resolution is not None and self.resolution.marks == panel_marks(self.cell)

    @property
    def is_void(self) -> bool:
        """Accepted once, but the panel's marks have changed since."""
        return self.resolution is not None and not self.is_resolved

    @property
    def name(self) -> str:
        return f"{self.cell.blind_code} {self.cell.criterion.code}"


def event_resolutions(event: Event) -> dict[tuple[int, int], FlagResolution]:
    """The event's acceptances by (entry id, criterion id)."""
    return {(r.entry_id, r.criterion_id): r for r in db.session.scalars(
        sa.select(FlagResolution).where(FlagResolution.event_id == event.id))}


def flags_of(cells: list[panels.PanelCell], threshold: Decimal,
             found: dict[tuple[int, int], FlagResolution]) -> list[Flag]:
    return [Flag(cell, found.get((cell.entry_id, cell.criterion.id)))
            for cell in cells if is_flagged(cell, threshold)]


def _flag(event: Event, entry: Entry, criterion: Criterion) -> Flag:
    scheme = db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    cell = next((c for c in panels.panel_cells(event, [entry])
                 if c.criterion.id == criterion.id), None)
    if scheme is None or cell is None or entry.event_id != event.id:
        raise NotFound(_l("No such panel in this event."))
    if not is_flagged(cell, scheme.spread_threshold):
        raise DomainError(_l("This panel's marks are within the spread threshold; there is "
                             "nothing to resolve."))
    resolution = db.session.scalar(sa.select(FlagResolution).where(
        FlagResolution.entry_id == entry.id, FlagResolution.criterion_id == criterion.id))
    return Flag(cell, resolution)


def require_note(note: str | None) -> str:
    if not note or not note.strip():
        raise DomainError(_l("Say what the panel discussed; the note is kept in the record."),
                          field="note")
    return note.strip()


def accept_flag(actor, event: Event, entry: Entry, criterion: Criterion,
                note: str) -> FlagResolution:
    """The chief judge lets a flagged panel's marks stand, with a note of the discussion."""
    require_chief_judge(actor, event)
    require_marking_open(event)
    note = require_note(note)
    flag = _flag(event, entry, criterion)
    resolution = flag.resolution
    if flag.is_resolved and resolution.note == note:
        return resolution  # the same form posted twice
    before = _audited(resolution) if resolution else None
    if resolution is None:
        resolution = FlagResolution(event_id=event.id, entry_id=entry.id,
                                    criterion_id=criterion.id)
        db.session.add(resolution)
    resolution.spread = stored_spread(flag.cell.spread)
    resolution.marks = panel_marks(flag.cell)
    resolution.note, resolution.resolved_by_id = note, actor.id
    resolution.resolved_at = utcnow()
    db.session.flush()
    record(actor, "flag.accept", ("Entry", entry.id), before=before,
           after=_audited(resolution) | {"code": criterion.code}, reason=note)
    return resolution


def _audited(resolution: FlagResolution) -> dict:
    return {"criterion": resolution.criterion_id, "spread": format(resolution.spread, "f"),
            "panel": dict(resolution.marks)}


def reconcile_flag_resolutions() -> list[str]:
    """Compare every stored acceptance with the last one the audit log recorded for it, so an
    acceptance written or changed behind the application's back is found."""
    recorded: dict[tuple[int, int], tuple] = {}
    stmt = (sa.select(AuditEntry.subject_id, AuditEntry.after, AuditEntry.reason)
            .where(AuditEntry.action == "flag.accept", AuditEntry.after.is_not(None))
            .order_by(AuditEntry.seq).execution_options(yield_per=2000))
    for entry_id, after, reason in db.session.execute(stmt):
        data = json.loads(after)
        recorded[(int(entry_id), data["criterion"])] = (data["spread"], data["panel"], reason)
    stored = {(r.entry_id, r.criterion_id): (format(r.spread, "f"), dict(r.marks), r.note)
              for r in db.session.scalars(sa.select(FlagResolution))}
    problems = []
    for key in sorted(set(recorded) | set(stored)):
        if recorded.get(key) != stored.get(key):
            entry_id, criterion_id = key
            problems.append(f"entry {entry_id} criterion {criterion_id}: "
                            f"stored {stored.get(key)}, recorded {recorded.get(key)}")
    return problems
