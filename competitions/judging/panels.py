"""Panels: who marks which entry on which criterion, with conflicts of interest kept out.

The chief judge seats judges on each criterion in order. For every entry, the first
`panel_size` seated judges who are free of conflict mark it; reserves further down step in for
a judge who works in the entrant's unit or enterprise, whose unit is unknown, or who declared a
conflict. Everything here is computed from the seats, so nothing goes stale when a judge
declares a conflict or a reserve is added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from competitions.accounts.models import Role, RoleGrant, User
from competitions.accounts.services import grant_role, revoke_grant
from competitions.audit.services import record
from competitions.contests.models import Event, EventStage
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.judging import conflicts, scoring
from competitions.judging.models import (
    Component,
    Criterion,
    CriterionKind,
    DeclaredConflict,
    Mark,
    MarkingScheme,
    PanelSeat,
    ScoreSheet,
    SheetStatus,
)
from competitions.organisations.models import Organisation, OrgKind
from competitions.registration.models import Entry, EntryStatus, Worker

UNIT_UNKNOWN = "unknown"
DECLARED = "declared"

EXCLUSION_REASONS = {
    conflicts.SAME_UNIT: _l("works in the entrant's unit"),
    conflicts.SAME_ENTERPRISE: _l("works in the entrant's enterprise group"),
    UNIT_UNKNOWN: _l("the judge's unit is not recorded, so conflicts cannot be checked"),
    DECLARED: _l("declared a conflict"),
}


class PanelError(DomainError):
    pass


@dataclass
class PanelCell:
    """One entry × one judge-marked criterion: who should mark it and the submitted marks."""

    entry_id: int
    blind_code: str
    criterion: Criterion
    panel: list[int]
    marks: dict[int, Decimal] = field(default_factory=dict)
    excluded: dict[int, str] = field(default_factory=dict)  # judge id → reason key

    @property
    def is_staffed(self) -> bool:
        return len(self.panel) == self.criterion.panel_size

    @property
    def complete(self) -> bool:
        return self.is_staffed and all(judge in self.marks for judge in self.panel)

    @property
    def aggregate(self) -> Decimal | None:
        if not self.complete:
            return None
        return scoring.panel_mark([self.marks[j] for j in self.panel],
                                  self.criterion.aggregation.value)

    @property
    def spread(self) -> Decimal | None:
        """Highest minus lowest submitted mark, as a percentage of the criterion's maximum."""
        if len(self.marks) < 2:
            return None
        values = self.marks.values()
        return (max(values) - min(values)) * 100 / self.criterion.max_mark


def is_judge(user, event: Event) -> bool:
    return user.is_authenticated and any(
        g.role is Role.JUDGE and g.event_id == event.id for g in user.grants)


def is_chief_judge(user, event: Event) -> bool:
    return user.is_authenticated and any(
        g.role is Role.CHIEF_JUDGE and g.event_id == event.id for g in user.grants)


def can_manage_panels(user, event: Event) -> bool:
    """The chief judge seats the panels; organisers and admins may too."""
    return is_chief_judge(user, event) or event.competition.can_manage(user)


def event_judges(event: Event) -> list[User]:
    """The judges appointed to the event, by name."""
    return list(db.session.scalars(
        sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.event_id == event.id, RoleGrant.role == Role.JUDGE)
        .order_by(User.display_name, User.id)))


def judged_criteria(event: Event) -> list[Criterion]:
    """The event's criteria marked by judges, in the scheme's order, each with its component
    (one query: every sheet and panel page asks)."""
    return list(db.session.scalars(
        sa.select(Criterion).join(Criterion.component).join(Component.scheme)
        .where(MarkingScheme.event_id == event.id,
               Criterion.kind != CriterionKind.IMPORTED)
        .options(contains_eager(Criterion.component))
        .order_by(Component.position, Component.id, Criterion.position, Criterion.id)))


def seats_by_criterion(criteria: Iterable[Criterion]) -> dict[int, list[PanelSeat]]:
    ids = [c.id for c in criteria]
    seats: dict[int, list[PanelSeat]] = defaultdict(list)
    for seat in db.session.scalars(sa.select(PanelSeat).where(PanelSeat.criterion_id.in_(ids))
                                   .order_by(PanelSeat.criterion_id, PanelSeat.position)):
        seats[seat.criterion_id].append(seat)
    return seats


def set_panel(actor, criterion: Criterion, judges: list[User]) -> None:
    """Seat `judges` on the criterion in this order (markers first, then reserves)."""
    event = criterion.component.scheme.event
    if not can_manage_panels(actor, event):
        raise PermissionDenied(_l("Only the chief judge or the organisers seat the panels."))
    if event.stage is EventStage.SIGNED_OFF:
        raise PanelError(_l("The event is signed off."))
    appointed = {j.id for j in event_judges(event)}
    for judge in judges:
        if judge.id not in appointed:
            raise PanelError(_l("%(name)s is not a judge of this event.",
                                name=judge.display_name), field="judges")
    if len({j.id for j in judges}) != len(judges):
        raise PanelError(_l("A judge can hold only one seat on a panel."), field="judges")
    current = seats_by_criterion([criterion])[criterion.id]
    before = [seat.judge.username for seat in current]
    removed = {seat.judge_id for seat in current} - {j.id for j in judges}
    if removed and _has_marks(criterion, removed):
        raise PanelError(_l("A judge who has already marked this criterion cannot be removed."),
                         field="judges")
    for seat in current:
        db.session.delete(seat)
    db.session.flush()
    for position, judge in enumerate(judges):
        db.session.add(PanelSeat(criterion_id=criterion.id, judge_id=judge.id,
                                 position=position))
    db.session.flush()
    record(actor, "panel.set", criterion, before={"judges": before},
           after={"judges": [j.username for j in judges]})


def _has_marks(criterion: Criterion, judge_ids: set[int]) -> bool:
    return db.session.scalar(sa.select(sa.func.count(Mark.id)).join(ScoreSheet).where(
        Mark.criterion_id == criterion.id, ScoreSheet.judge_id.in_(judge_ids))) > 0


def organisation_chains(org_ids: Iterable[int]) -> dict[int, conflicts.Chain]:
    """Each organisation's chain from the root, as (id, is enterprise), in two queries."""
    org_ids = set(org_ids)
    if not org_ids:
        return {}
    paths = dict(db.session.execute(
        sa.select(Organisation.id, Organisation.path).where(Organisation.id.in_(org_ids))).all())
    ancestry = {org_id: [int(p) for p in path.strip("/").split("/")]
                for org_id, path in paths.items()}
    every = {a for chain in ancestry.values() for a in chain}
    kinds = dict(db.session.execute(
        sa.select(Organisation.id, Organisation.kind).where(Organisation.id.in_(every))).all())
    return {org_id: [(a, kinds[a] is OrgKind.ENTERPRISE) for a in chain]
            for org_id, chain in ancestry.items()}


def drawn_entries(event: Event, blind_codes: Iterable[str] | None = None) -> list[Entry]:
    """The event's drawn entries (or those of `blind_codes`) by blind code, with their members
    joined in the same statement (not a second one naming every entry)."""
    stmt = (sa.select(Entry).where(Entry.event_id == event.id,
                                   Entry.status == EntryStatus.APPROVED,
                                   Entry.blind_code.is_not(None))
            .options(joinedload(Entry.members)).order_by(Entry.blind_code))
    if blind_codes is not None:
        stmt = stmt.where(Entry.blind_code.in_(list(blind_codes)))
    return list(db.session.scalars(stmt).unique())


@dataclass
class PanelSetting:
    """What an event's panels follow besides its entries: the judged criteria, the judges
    seated on each, the judges' units and the declared conflicts. Read once (panel_setting),
    it serves every panel_cells call of a request: a judge's submit weighs the sheet's entry,
    then the entries where their next sheet may be."""

    event_id: int
    criteria: list[Criterion]
    seats: dict[int, list[int]]
    judge_units: dict[int, int | None]
    declared: set[tuple[int, int]]


def panel_setting(event: Event) -> PanelSetting:
    criteria = judged_criteria(event)
    seats, judge_units = _seats_and_units(criteria)
    return PanelSetting(event.id, criteria, seats, judge_units, _declared([event.id]))


def panel_cells(event: Event, entries: list[Entry] | None = None,
                setting: PanelSetting | None = None) -> list[PanelCell]:
    """Every drawn entry × judge-marked criterion (or just `entries`), with the panel that
    marks it, the judges kept off it and why, and the submitted marks; `setting`, if the
    caller read the event's already (it must be this event's)."""
    entries = drawn_entries(event) if entries is None else entries
    if setting is None:
        return _cells({event.id: judged_criteria(event)}, entries)
    assert setting.event_id == event.id
    return _cells({event.id: setting.criteria}, entries, setting)


def panel_cells_by_event(events: list[Event]) -> dict[int, list[PanelCell]]:
    """panel_cells for several events at once (a dashboard's), in the same number of queries
    as for one."""
    ids = [event.id for event in events]
    schemes = db.session.scalars(sa.select(MarkingScheme).where(MarkingScheme.event_id.in_(ids)))
    criteria = {scheme.event_id: [c for component in scheme.components
                                  for c in component.criteria if c.is_marked_by_judges]
                for scheme in schemes}
    entries = list(db.session.scalars(
        sa.select(Entry).where(Entry.event_id.in_(ids), Entry.status == EntryStatus.APPROVED,
                               Entry.blind_code.is_not(None))
        .options(selectinload(Entry.members)).order_by(Entry.blind_code)))
    event_of = {entry.id: entry.event_id for entry in entries}
    found: dict[int, list[PanelCell]] = {event_id: [] for event_id in ids}
    for cell in _cells(criteria, entries):
        found[event_of[cell.entry_id]].append(cell)
    return found


def _cells(criteria_by_event: dict[int, list[Criterion]], entries: list[Entry],
           setting: PanelSetting | None = None) -> list[PanelCell]:
    entries = [entry for entry in entries if criteria_by_event.get(entry.event_id)]
    if not entries:
        return []
    criteria = [c for cs in criteria_by_event.values() for c in cs]
    event_ids = list(criteria_by_event)
    if setting is None:
        seats, judge_units = _seats_and_units(criteria)
        declared = _declared(event_ids)
    else:
        seats, judge_units, declared = setting.seats, setting.judge_units, setting.declared
    exclusions = _exclusions(entries, judge_units, declared)
    submitted = _submitted_marks(event_ids, [c.id for c in criteria], [e.id for e in entries])

    cells = []
    for entry in entries:
        excluded = exclusions[entry.id]
        for criterion in criteria_by_event[entry.event_id]:
            seated = seats[criterion.id]
            panel = conflicts.allocate_panel(seated, criterion.panel_size, excluded)
            marks = {judge: value for (judge, value) in
                     submitted.get((entry.id, criterion.id), {}).items() if judge in panel}
            cells.append(PanelCell(
                entry_id=entry.id, blind_code=entry.blind_code, criterion=criterion,
                panel=panel, marks=marks,
                excluded={j: r for j, r in excluded.items() if j in seated}))
    return cells


def panel_marks(event: Event, criteria: list[Criterion], entries: list[Entry]
                ) -> dict[tuple[int, int], Decimal]:
    """The panel mark of each of `entries` (the event's drawn entries, members loaded) on each
    of `criteria` (its judge-marked ones), by (entry id, criterion id), where the panel is
    complete: PanelCell.aggregate of panel_cells, without building the event's cells (results
    need nothing else of them)."""
    if not entries or not criteria:
        return {}
    seats, judge_units = _seats_and_units(criteria)
    exclusions = _exclusions(entries, judge_units, _declared([event.id]))
    submitted = _submitted_marks([event.id], [c.id for c in criteria])
    # Per criterion, read once: its seats, panel size, aggregation, and the panel of an entry
    # nobody is kept off (most entries), allocated once rather than once an entry.
    plan = [(c.id, seats[c.id], c.panel_size, scoring.AGGREGATIONS[c.aggregation.value],
             conflicts.allocate_panel(seats[c.id], c.panel_size, ())) for c in criteria]
    found = {}
    for entry in entries:
        entry_id, excluded = entry.id, exclusions[entry.id]
        for criterion_id, seated, size, aggregate, usual_panel in plan:
            panel = conflicts.allocate_panel(seated, size, excluded) if excluded else usual_panel
            marks = submitted.get((entry_id, criterion_id))
            if marks is None or len(panel) < size:
                continue
            values = [marks.get(judge) for judge in panel]
            if None not in values:
                found[(entry_id, criterion_id)] = aggregate(values)
    return found


def _seats_and_units(criteria: Iterable[Criterion]
                     ) -> tuple[dict[int, list[int]], dict[int, int | None]]:
    """Each criterion's seated judges in seat order, and each seated judge's unit (User.unit:
    the account's own, else the worker profile's employer; None when neither is recorded)."""
    seats: dict[int, list[int]] = defaultdict(list)
    units: dict[int, int | None] = {}
    for criterion_id, judge_id, own_unit, profile_unit in db.session.execute(
            sa.select(PanelSeat.criterion_id, PanelSeat.judge_id, User.employer_id,
                      Worker.employer_id)
            .join(User, User.id == PanelSeat.judge_id)
            .outerjoin(Worker, Worker.user_id == User.id)
            .where(PanelSeat.criterion_id.in_([c.id for c in criteria]))
            .order_by(PanelSeat.criterion_id, PanelSeat.position)):
        seats[criterion_id].append(judge_id)
        units.setdefault(judge_id, own_unit if own_unit is not None else profile_unit)
    return seats, units


def _declared(event_ids: list[int]) -> set[tuple[int, int]]:
    """The events' declared conflicts, as (entry id, judge id)."""
    return {(entry_id, judge_id) for entry_id, judge_id in db.session.execute(
        sa.select(DeclaredConflict.entry_id, DeclaredConflict.judge_id)
        .where(DeclaredConflict.event_id.in_(event_ids)))}


def _exclusions(entries: list[Entry], judge_units: dict[int, int | None],
                declared: set[tuple[int, int]]) -> dict[int, dict[int, str]]:
    """For each entry, the judges kept off it and why: a declared conflict, an unknown unit,
    or the unit or enterprise of one of its active members."""
    member_units = {entry.id: [m.worker.employer_id for m in entry.members if m.active]
                    for entry in entries}
    chains = organisation_chains(
        {u for u in judge_units.values() if u} | {u for us in member_units.values() for u in us})
    exclusions = {}
    for entry in entries:
        entry_id, units = entry.id, member_units[entry.id]
        excluded: dict[int, str] = {}
        for judge_id, unit in judge_units.items():
            if (entry_id, judge_id) in declared:
                excluded[judge_id] = DECLARED
            elif unit is None:
                excluded[judge_id] = UNIT_UNKNOWN
            else:
                for member in units:  # the first member in conflict gives the reason
                    reason = conflicts.conflict_reason(chains[unit], chains[member])
                    if reason:
                        excluded[judge_id] = reason
                        break
        exclusions[entry_id] = excluded
    return exclusions


def _submitted_marks(event_ids: list[int], criterion_ids: list[int],
                     entry_ids: list[int] | None = None) -> dict[tuple[int, int], dict]:
    """Submitted marks on the criteria by (entry id, criterion id), then judge id: of
    `entry_ids` only, or of every entry of the events. Naming the criteria lets PostgreSQL
    read the marks by their criterion index rather than scan every mark of the competition."""
    stmt = (sa.select(ScoreSheet.entry_id, Mark.criterion_id, ScoreSheet.judge_id, Mark.value)
            .join(Mark, Mark.sheet_id == ScoreSheet.id)
            .where(ScoreSheet.event_id.in_(event_ids), Mark.criterion_id.in_(criterion_ids),
                   ScoreSheet.status == SheetStatus.SUBMITTED))
    if entry_ids is not None:
        stmt = stmt.where(ScoreSheet.entry_id.in_(entry_ids))
    found: dict[tuple[int, int], dict] = defaultdict(dict)
    for entry_id, criterion_id, judge_id, value in db.session.execute(stmt):
        found[(entry_id, criterion_id)][judge_id] = value
    return found


def staffing_gaps(cells: list[PanelCell]) -> list[PanelCell]:
    """Cells whose panel cannot be filled without a judge in conflict."""
    return [cell for cell in cells if not cell.is_staffed]


def criteria_for_judge(cells: list[PanelCell], judge_id: int) -> dict[str, list[Criterion]]:
    """The criteria the judge marks, by blind code (only entries they mark appear)."""
    work: dict[str, list[Criterion]] = defaultdict(list)
    for cell in cells:
        if judge_id in cell.panel:
            work[cell.blind_code].append(cell.criterion)
    return dict(work)


def declare_conflict(judge: User, event: Event, entry: Entry, reason: str) -> DeclaredConflict:
    """A judge takes themself off an entry; a reserve steps in and their marks stop counting."""
    if not is_judge(judge, event):
        raise PermissionDenied(_l("Only the event's judges declare conflicts."))
    if event.stage is EventStage.SIGNED_OFF:
        raise PanelError(_l("The event is signed off."))
    if not reason.strip():
        raise PanelError(_l("Say why you cannot mark this entrant."), field="reason")
    existing = db.session.scalar(sa.select(DeclaredConflict).where(
        DeclaredConflict.entry_id == entry.id, DeclaredConflict.judge_id == judge.id))
    if existing is not None:  # declared twice (a double submit): one declaration
        return existing
    declaration = DeclaredConflict(event_id=event.id, entry_id=entry.id, judge_id=judge.id,
                                   reason=reason.strip())
    db.session.add(declaration)
    db.session.flush()
    record(judge, "conflict.declare", ("Entry", entry.id),
           after={"judge": judge.username, "reason": declaration.reason})
    return declaration


OFFICIAL_ROLES = (Role.CHIEF_JUDGE, Role.JUDGE)


def event_officials(event: Event) -> list[RoleGrant]:
    """The event's chief judge and judges, chief first."""
    grants = db.session.scalars(sa.select(RoleGrant).join(User, User.id == RoleGrant.user_id)
                                .where(RoleGrant.event_id == event.id,
                                       RoleGrant.role.in_(OFFICIAL_ROLES))
                                .order_by(User.display_name, User.id)).all()
    return sorted(grants, key=lambda g: g.role is not Role.CHIEF_JUDGE)


def appoint_official(actor, event: Event, user: User, role: Role,
                     unit: Organisation | None = None) -> RoleGrant:
    """Appoint a judge or the (one) chief judge. The judge's unit must be known, since it is
    what keeps them off entrants of their own unit; `unit` records it on their account."""
    if role not in OFFICIAL_ROLES:
        raise PanelError(_l("Appoint judges or the chief judge here."), field="role")
    if event.stage is EventStage.SIGNED_OFF:
        raise PanelError(_l("The event is signed off."))
    if role is Role.CHIEF_JUDGE and any(g.role is Role.CHIEF_JUDGE
                                        for g in event_officials(event)):
        raise PanelError(_l("The event already has a chief judge; revoke them first."),
                         field="role")
    if unit is not None and unit.id != getattr(user.unit, "id", None):
        record(actor, "user.unit", user, before={"unit_id": getattr(user.unit, "id", None)},
               after={"unit_id": unit.id})
        user.employer = unit
    if role is Role.JUDGE and user.unit is None:
        raise PanelError(_l("Record the judge's unit: it keeps them off entrants from their "
                            "own unit."), field="unit")
    return grant_role(actor, user, role, event_id=event.id)


def remove_official(actor, grant: RoleGrant) -> None:
    """Revoke an event appointment; refused while the judge still holds panel seats."""
    event = db.session.get(Event, grant.event_id)
    seated = db.session.scalar(sa.select(sa.func.count(PanelSeat.id)).where(
        PanelSeat.judge_id == grant.user_id,
        PanelSeat.criterion_id.in_([c.id for c in judged_criteria(event)])))
    if seated:
        raise PanelError(_l("%(name)s still sits on panels; take them off the panels first.",
                            name=grant.user.display_name))
    revoke_grant(actor, grant)
