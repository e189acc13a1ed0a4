"""The signed-off marks an event's results are computed from, as plain values: for each drawn
entry its panel marks (judging.panels decides whose marks count), imported scores, time used
and standing penalties. What the chief judge's overview shows of them, without the panel
cells, flags and sign-off that only the overview needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from competitions.contests.models import Event
from competitions.extensions import db
from competitions.judging import panels
from competitions.judging.models import ImportedMark, MarkingScheme, Penalty, Timing
from competitions.registration.models import Entry


@dataclass
class EntryMarks:
    entry: Entry
    scores: dict[int, Decimal] = field(default_factory=dict)  # criterion id → mark
    seconds: int | None = None
    penalties: list[tuple[int, Decimal]] = field(default_factory=list)  # component id, points


@dataclass
class EventMarks:
    scheme: MarkingScheme | None
    entries: list[EntryMarks]  # by blind code


def event_marks(event: Event) -> EventMarks:
    """Each drawn entry's marks: a panel's mark only once the panel is complete, an imported
    score as imported, penalties oldest first; in a fixed number of statements."""
    scheme = db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    if scheme is None:
        return EventMarks(None, [])
    entries = panels.drawn_entries(event)
    rows = {entry.id: EntryMarks(entry) for entry in entries}
    judged = [c for component in scheme.components for c in component.criteria
              if c.is_marked_by_judges]
    for (entry_id, criterion_id), mark in panels.panel_marks(event, judged, entries).items():
        rows[entry_id].scores[criterion_id] = mark
    for entry_id, criterion_id, value in db.session.execute(
            sa.select(ImportedMark.entry_id, ImportedMark.criterion_id, ImportedMark.value)
            .where(ImportedMark.event_id == event.id)):
        if entry_id in rows:
            rows[entry_id].scores[criterion_id] = value
    for entry_id, seconds in db.session.execute(
            sa.select(Timing.entry_id, Timing.seconds).where(Timing.event_id == event.id)):
        if entry_id in rows:
            rows[entry_id].seconds = seconds
    for entry_id, component_id, points in db.session.execute(
            sa.select(Penalty.entry_id, Penalty.component_id, Penalty.points)
            .where(Penalty.event_id == event.id, Penalty.withdrawn_at.is_(None))
            .order_by(Penalty.id)):
        if entry_id in rows:
            rows[entry_id].penalties.append((component_id, points))
    return EventMarks(scheme, list(rows.values()))
