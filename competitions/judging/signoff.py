"""The chief judge's stage: start marking, watch completeness and spread, time and penalties,
sign off, and corrections after sign-off (DESIGN.md §3 drawn → scoring → signed off)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from competitions.accounts.models import Role
from competitions.audit.models import AuditEntry
from competitions.audit.services import record
from competitions.contests.models import Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, NotFound, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging import panels, services
from competitions.judging.flags import Flag, event_resolutions, flags_of
from competitions.judging.marking import (
    checked_correction,
    format_mark,
    require_chief_judge,
    require_marking_open,
    require_reason,
)
from competitions.judging.models import (
    Component,
    Criterion,
    FlagResolution,
    ImportedMark,
    Mark,
    MarkingScheme,
    Penalty,
    ScoreSheet,
    SignOff,
    Timing,
)
from competitions.notifications import recipients
from competitions.notifications.services import event_params, notify_many
from competitions.registration.models import Entry

# What an entry's mark history shows: every action on its marks, none of its registration.
HISTORY_ACTIONS = ("mark.", "penalty.", "timing.", "conflict.", "flag.")


class SignOffRefused(DomainError):
    pass


@dataclass
class EntryRow:
    entry_id: int
    blind_code: str
    cells: list[panels.PanelCell] = field(default_factory=list)
    imported: dict[int, Decimal] = field(default_factory=dict)  # criterion id → score
    seconds: int | None = None
    penalties: list[Penalty] = field(default_factory=list)


@dataclass
class Overview:
    """Everything the chief judge needs before signing off, by blind code."""

    event: Event
    scheme: MarkingScheme | None
    rows: list[EntryRow]
    imported_criteria: list[Criterion]
    sign_off: SignOff | None
    entries: list[Entry] = field(default_factory=list)  # the drawn entries, by blind code
    resolutions: dict[tuple[int, int], FlagResolution] = field(default_factory=dict)

    @property
    def cells(self) -> list[panels.PanelCell]:
        return [cell for row in self.rows for cell in row.cells]

    @property
    def missing_marks(self) -> int:
        judged = sum(cell.criterion.panel_size - len(cell.marks) for cell in self.cells)
        imported = sum(1 for row in self.rows for c in self.imported_criteria
                       if c.id not in row.imported)
        return judged + imported

    @property
    def gaps(self) -> list[panels.PanelCell]:
        return panels.staffing_gaps(self.cells)

    @property
    def flagged(self) -> list[panels.PanelCell]:
        """Judgement panels whose marks differ by more than the scheme's threshold."""
        return [flag.cell for flag in self.flags]

    @property
    def flags(self) -> list[Flag]:
        """The flagged panels, each with the chief judge's acceptance of it if any."""
        if self.scheme is None:
            return []
        return flags_of(self.cells, self.scheme.spread_threshold, self.resolutions)

    @property
    def unresolved(self) -> list[Flag]:
        """Flagged panels still to discuss: never accepted, or accepted before a mark changed."""
        return [flag for flag in self.flags if not flag.is_resolved]

    @property
    def complete(self) -> bool:
        return bool(self.rows) and self.missing_marks == 0 and not self.gaps


def current_sign_off(event: Event) -> SignOff | None:
    return db.session.scalar(sa.select(SignOff).where(
        SignOff.event_id == event.id, SignOff.voided_at.is_(None))
        .order_by(SignOff.id.desc()).limit(1))


def overview(event: Event) -> Overview:
    scheme = db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    entries = panels.drawn_entries(event)
    rows = {e.id: EntryRow(e.id, e.blind_code) for e in entries}
    for cell in panels.panel_cells(event, entries):
        rows[cell.entry_id].cells.append(cell)
    for mark in db.session.scalars(sa.select(ImportedMark).where(
            ImportedMark.event_id == event.id)):
        if mark.entry_id in rows:
            rows[mark.entry_id].imported[mark.criterion_id] = mark.value
    for timing in db.session.scalars(sa.select(Timing).where(Timing.event_id == event.id)):
        if timing.entry_id in rows:
            rows[timing.entry_id].seconds = timing.seconds
    for penalty in db.session.scalars(sa.select(Penalty).where(
            Penalty.event_id == event.id, Penalty.withdrawn_at.is_(None)).order_by(Penalty.id)):
        if penalty.entry_id in rows:
            rows[penalty.entry_id].penalties.append(penalty)
    imported = [c for component in (scheme.components if scheme else [])
                for c in component.criteria if not c.is_marked_by_judges]
    return Overview(event, scheme, list(rows.values()), imported, current_sign_off(event),
                    entries, event_resolutions(event))


def start_marking(actor, event: Event) -> None:
    """Lock the scheme and open marking; refused while a panel cannot be staffed."""
    if not panels.can_manage_panels(actor, event):
        raise PermissionDenied(_l("Only the chief judge or the organisers start marking."))
    if event.stage is not EventStage.DRAWN:
        raise SignOffRefused(_l("Marking starts once the event is drawn, and only once."))
    scheme = services.scheme_for(actor, event)
    services.lock(actor, scheme)
    gaps = panels.staffing_gaps(panels.panel_cells(event))
    if gaps:
        codes = sorted({cell.criterion.code for cell in gaps})
        raise SignOffRefused(_l(
            "%(n)d panels cannot be staffed without a judge in conflict (criteria %(codes)s). "
            "Seat more judges as reserves.", n=len(gaps), codes=", ".join(codes)))
    event.stage = EventStage.SCORING
    db.session.flush()
    record(actor, "event.start_marking", event, after={"stage": event.stage})
    judges = [g.user_id for g in panels.event_officials(event) if g.role is Role.JUDGE]
    notify_many(judges, "event_ready", task="mark", **event_params(event))


def sign_off(actor, event: Event) -> SignOff:
    """The chief judge freezes the event's marks; refused while any mark is missing or any
    flagged panel is unresolved (judging.flags)."""
    require_chief_judge(actor, event)
    if event.stage is not EventStage.SCORING:
        raise SignOffRefused(_l("Only an event being marked can be signed off."))
    state = overview(event)
    if state.gaps:
        raise SignOffRefused(_l("%(n)d panels are not fully staffed.", n=len(state.gaps)))
    if not state.complete:
        raise SignOffRefused(_l("%(n)d marks are still missing.", n=state.missing_marks))
    if unresolved := state.unresolved:
        raise SignOffRefused(_l(
            "%(n)d flagged panels are not resolved: %(flags)s. Accept each with a note of what "
            "the panel discussed, or correct a mark.",
            n=len(unresolved), flags="; ".join(flag.name for flag in unresolved)))
    signed = SignOff(event_id=event.id, signed_by_id=actor.id)
    db.session.add(signed)
    event.stage = EventStage.SIGNED_OFF
    db.session.flush()
    record(actor, "event.sign_off", event,
           after={"entries": len(state.rows), "flagged": len(state.flagged),
                  "stage": event.stage})
    if event.decrypted_at is None:
        notify_many(recipients.competition_role(event.competition, Role.ENCRYPTION_OFFICER),
                    "event_ready", task="decrypt", **event_params(event))
    else:  # corrected after an upheld appeal: already decrypted, to publish again
        notify_many(recipients.competition_organisers(event.competition), "event_ready",
                    task="republish", **event_params(event))
    return signed


def reopen(actor, event: Event, reason: str) -> None:
    """Void the sign-off so a mark can be corrected; the event must then be signed off again.
    Flag acceptances are kept: each still holds while its panel's marks are unchanged."""
    require_chief_judge(actor, event)
    if event.stage is not EventStage.SIGNED_OFF:
        raise SignOffRefused(_l("The event is not signed off."))
    reason = require_reason(reason)
    signed = current_sign_off(event)
    if signed is not None:
        signed.voided_at, signed.void_reason = utcnow(), reason
    event.stage = EventStage.SCORING
    db.session.flush()
    record(actor, "event.reopen", event, after={"stage": event.stage}, reason=reason)


def entry_by_code(event: Event, blind_code: str) -> Entry:
    entries = panels.drawn_entries(event, [blind_code])
    if not entries:
        raise NotFound(_l("No entry has this code."))
    return entries[0]


def record_time(actor, event: Event, entry: Entry, seconds: int) -> None:
    require_chief_judge(actor, event)
    require_marking_open(event)
    if seconds < 0:
        raise DomainError(_l("Time used cannot be negative."), field="seconds")
    timing = db.session.scalar(sa.select(Timing).where(Timing.entry_id == entry.id))
    before = timing.seconds if timing else None
    if before == seconds:
        return
    if timing is None:
        timing = Timing(event_id=event.id, entry_id=entry.id, seconds=seconds)
        db.session.add(timing)
    timing.seconds, timing.recorded_by_id, timing.updated_at = seconds, actor.id, utcnow()
    db.session.flush()
    record(actor, "timing.record", ("Entry", entry.id), before={"seconds": before},
           after={"seconds": seconds})


def add_penalty(actor, event: Event, entry: Entry, component: Component, points: Decimal,
                reason: str) -> Penalty:
    require_chief_judge(actor, event)
    require_marking_open(event)
    if component.scheme.event_id != event.id:
        raise NotFound(_l("No such component in this event."))
    if not Decimal(0) < points <= 100:
        raise DomainError(_l("A penalty is more than 0 and at most 100 points."), field="points")
    penalty = Penalty(event_id=event.id, entry_id=entry.id, component_id=component.id,
                      points=points, reason=require_reason(reason), recorded_by_id=actor.id)
    db.session.add(penalty)
    db.session.flush()
    record(actor, "penalty.add", ("Entry", entry.id),
           after={"penalty": penalty.id, "component": component.name, "points": points},
           reason=penalty.reason)
    return penalty


def withdraw_penalty(actor, penalty: Penalty, reason: str) -> None:
    event = db.session.get(Event, penalty.event_id)
    require_chief_judge(actor, event)
    require_marking_open(event)
    reason = require_reason(reason)
    if penalty.withdrawn_at is not None:
        return
    penalty.withdrawn_at = utcnow()
    db.session.flush()
    record(actor, "penalty.withdraw", ("Entry", penalty.entry_id),
           before={"penalty": penalty.id, "points": penalty.points}, reason=reason)


def correct_imported_mark(actor, event: Event, entry: Entry, criterion: Criterion,
                          value: Decimal, reason: str) -> None:
    require_chief_judge(actor, event)
    require_marking_open(event)
    reason = require_reason(reason)
    mark = db.session.scalar(sa.select(ImportedMark).where(
        ImportedMark.entry_id == entry.id, ImportedMark.criterion_id == criterion.id))
    if mark is None:
        raise NotFound(_l("There is no imported score to correct."))
    checked_correction(value, criterion)
    if mark.value == value:
        return
    old, mark.value, mark.updated_at = mark.value, value, utcnow()
    db.session.flush()
    record(actor, "mark.correct", ("Entry", entry.id),
           before={"source": "import", "marks": {criterion.code: format_mark(old)}},
           after={"source": "import", "marks": {criterion.code: format_mark(value)}},
           reason=reason)


def can_read_history(user, event: Event) -> bool:
    return user.is_authenticated and (user.is_admin or panels.is_chief_judge(user, event))


def mark_history(entry: Entry) -> list[AuditEntry]:
    """Every recorded action on the entry's marks, oldest first."""
    clauses = [AuditEntry.action.startswith(prefix) for prefix in HISTORY_ACTIONS]
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject_type == "Entry", AuditEntry.subject_id == str(entry.id),
        sa.or_(*clauses)).order_by(AuditEntry.seq)))


def reconcile_marks() -> list[str]:
    """Compare every stored mark with the last value the audit log recorded for it, so a mark
    changed behind the application's back (directly in the database) is found."""
    recorded: dict[tuple, str | None] = {}
    stmt = (sa.select(AuditEntry.subject_id, AuditEntry.after)
            .where(AuditEntry.action.startswith("mark."), AuditEntry.after.is_not(None))
            .order_by(AuditEntry.seq).execution_options(yield_per=2000))
    for entry_id, after in db.session.execute(stmt):
        data = json.loads(after)
        if "sheet" in data:
            key = ("sheet", data["sheet"])
        elif data.get("source") == "import":
            key = ("import", int(entry_id))
        else:
            continue
        for code, value in data.get("marks", {}).items():
            recorded[(*key, code)] = value
    stored: dict[tuple, str] = {}
    for sheet_id, code, value in db.session.execute(
            sa.select(Mark.sheet_id, Criterion.code, Mark.value).join(Criterion)):
        stored[("sheet", sheet_id, code)] = format_mark(value)
    for entry_id, code, value in db.session.execute(
            sa.select(ImportedMark.entry_id, Criterion.code, ImportedMark.value)
            .join(Criterion, Criterion.id == ImportedMark.criterion_id)):
        stored[("import", entry_id, code)] = format_mark(value)
    problems = []
    for key in sorted(set(recorded) | set(stored), key=str):
        if recorded.get(key) != stored.get(key):
            kind, owner, code = key
            problems.append(f"{kind} {owner} criterion {code}: stored {stored.get(key)}, "
                            f"recorded {recorded.get(key)}")
    return problems


def sheets_of_entry(event: Event, entry: Entry) -> list[ScoreSheet]:
    return list(db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.event_id == event.id, ScoreSheet.entry_id == entry.id)
        .order_by(ScoreSheet.id)))
