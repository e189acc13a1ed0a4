"""How far marking has got in several events at once, for the dashboards: each judge's sheets
left, the marks still missing and the flagged panels still to resolve — in the same number of
queries whatever the number of events, entries or judges."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from competitions.contests.models import Event
from competitions.extensions import db
from competitions.judging import panels
from competitions.judging.flags import flags_of
from competitions.judging.models import FlagResolution, ImportedMark, MarkingScheme
from competitions.registration.models import Entry, EntryStatus


@dataclass
class Progress:
    cells: list[panels.PanelCell]
    imported_missing: int  # exam-system scores not yet imported
    unresolved_flags: int

    def sheets_left(self, judge_id: int) -> int:
        """Entries the judge marks whose sheet they have not yet submitted."""
        return len({cell.entry_id for cell in self.cells
                    if judge_id in cell.panel and judge_id not in cell.marks})

    @property
    def missing_marks(self) -> int:
        """As the sign-off counts them (signoff.Overview.missing_marks)."""
        return (sum(cell.criterion.panel_size - len(cell.marks) for cell in self.cells)
                + self.imported_missing)

    @property
    def is_ready_to_sign_off(self) -> bool:
        return (bool(self.cells) and not self.missing_marks and not self.unresolved_flags
                and not panels.staffing_gaps(self.cells))


def marking_progress(events: list[Event]) -> dict[int, Progress]:
    """Each event's Progress, by event id."""
    if not events:
        return {}
    ids = [event.id for event in events]
    cells = panels.panel_cells_by_event(events)
    schemes = {s.event_id: s for s in db.session.scalars(
        sa.select(MarkingScheme).where(MarkingScheme.event_id.in_(ids)))}
    found = {(r.event_id, r.entry_id, r.criterion_id): r for r in db.session.scalars(
        sa.select(FlagResolution).where(FlagResolution.event_id.in_(ids)))}
    drawn = dict(db.session.execute(
        sa.select(Entry.event_id, sa.func.count(Entry.id)).where(
            Entry.event_id.in_(ids), Entry.status == EntryStatus.APPROVED,
            Entry.blind_code.is_not(None)).group_by(Entry.event_id)).all())
    imported = dict(db.session.execute(
        sa.select(ImportedMark.event_id, sa.func.count(ImportedMark.id))
        .join(Entry, Entry.id == ImportedMark.entry_id)
        .where(ImportedMark.event_id.in_(ids), Entry.status == EntryStatus.APPROVED,
               Entry.blind_code.is_not(None)).group_by(ImportedMark.event_id)).all())
    progress = {}
    for event_id in ids:
        scheme = schemes.get(event_id)
        imported_criteria = [c.id for component in (scheme.components if scheme else [])
                             for c in component.criteria if not c.is_marked_by_judges]
        resolutions = {(entry, criterion): r for (event, entry, criterion), r in found.items()
                       if event == event_id}
        flags = flags_of(cells[event_id], scheme.spread_threshold, resolutions) if scheme else []
        progress[event_id] = Progress(
            cells[event_id],
            imported_missing=drawn.get(event_id, 0) * len(imported_criteria)
            - imported.get(event_id, 0),
            unresolved_flags=sum(1 for flag in flags if not flag.is_resolved))
    return progress
