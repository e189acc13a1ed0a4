"""Judged events in bulk, for the national seed and bench/results_bench.py: for an event whose
row is written, its locked marking scheme, the judges seated on its panels, drawn entries of one
worker each, every marking judge's submitted score sheet, the exam system's scores, times, a
few penalties and the chief judge's sign-off. These are the rows the services leave once a
chief judge has signed off, written in batches (bulk.Writer) and not through the services, so
none of them is audited (docs/scale.md)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from competitions.bulk import Ids, Writer
from competitions.judging.conflicts import allocate_panel
from competitions.judging.models import (
    Aggregation,
    Component,
    ComponentKind,
    Criterion,
    CriterionKind,
    ImportedMark,
    Mark,
    MarkingScheme,
    PanelSeat,
    Penalty,
    ScoreSheet,
    SheetStatus,
    SignOff,
    Timing,
)
from competitions.registration.draw import BLIND_ALPHABET, BLIND_LENGTH
from competitions.registration.models import Entry, EntryMember, EntryStatus

STEP = Decimal("0.5")
PENALTY_SHARE = 0.01  # of entries: 2 points off the first practical component (安全违规)


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    description: str
    max_mark: Decimal
    kind: CriterionKind
    panel_size: int = 1
    seats: tuple[int, ...] = ()  # indexes into the event's judges: markers, then reserves
    aggregation: Aggregation = Aggregation.MEAN


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    kind: ComponentKind
    weight: Decimal
    criteria: tuple[CriterionSpec, ...]


def national_scheme() -> tuple[ComponentSpec, ...]:
    """Theory 30 % (T1, the exam system's score out of 100); practical 70 %: ten judgement
    criteria of 10 marks, each marked by a panel of three, P1–P5 by judges 0–2 and P6–P10 by
    judges 3–5 (the two panels of a practical contest's two modules)."""
    theory = ComponentSpec("理论", ComponentKind.THEORY, Decimal(30), (
        CriterionSpec("T1", "理论考试", Decimal(100), CriterionKind.IMPORTED),))
    practical = ComponentSpec("实操", ComponentKind.PRACTICAL, Decimal(70), tuple(
        CriterionSpec(f"P{n + 1}", f"实操评价{n + 1}", Decimal(10), CriterionKind.JUDGEMENT,
                      panel_size=3, seats=(0, 1, 2) if n < 5 else (3, 4, 5))
        for n in range(10)))
    return theory, practical


@dataclass(frozen=True)
class Entrant:
    worker_id: int
    unit_id: int  # the organisation whose entry it is (Entry.unit_id)
    employer_id: int  # the worker's employer: judges of the same unit are kept off the entry


@dataclass(frozen=True)
class Officials:
    judges: tuple[int, ...]  # user ids; CriterionSpec.seats index them
    judge_units: tuple[int | None, ...]  # each judge's unit (None: unknown, never marks)
    chief: int
    registrar: int | None = None  # the organiser who registered and approved the entries


class JudgedEvents:
    """Writes judged events; the writers' counts say how many rows of each went in. `parents`
    are the caller's writers of rows these name (events, workers, users): flushed first."""

    def __init__(self, ids: Ids, rng: random.Random, *, parents: tuple[Writer, ...] = (),
                 step=None):
        self.ids, self.rng = ids, rng
        self.schemes = Writer(MarkingScheme, parents=parents)
        self.components = Writer(Component, parents=(self.schemes,))
        self.criteria = Writer(Criterion, parents=(self.components,))
        self.seats = Writer(PanelSeat, parents=(self.criteria,))
        self.sign_offs = Writer(SignOff, parents=parents)
        self.entries = Writer(Entry, step, parents=parents)
        self.members = Writer(EntryMember, parents=(self.entries,))
        self.timings = Writer(Timing, parents=(self.entries,))
        self.sheets = Writer(ScoreSheet, parents=(self.entries,))
        self.marks = Writer(Mark, parents=(self.sheets, self.criteria))
        self.imported = Writer(ImportedMark, parents=(self.entries, self.criteria))
        self.penalties = Writer(Penalty, parents=(self.entries, self.components))
        self.values: dict[int, list[Decimal]] = {}  # steps → every mark value, shared

    def flush(self) -> None:
        for writer in (self.schemes, self.components, self.criteria, self.seats, self.sign_offs,
                       self.entries, self.members, self.timings, self.sheets, self.marks,
                       self.imported, self.penalties):
            writer.flush()

    def write_event(self, event_id: int, scheme: Sequence[ComponentSpec], officials: Officials,
                    entrants: Sequence[Entrant], *, at: datetime, registered_at: datetime,
                    signed_off: bool = True) -> None:
        """The event's scheme (locked at `at`), panels, drawn entries and submitted sheets
        (at `at`), and its sign-off; the event row itself is the caller's."""
        criteria, practical = self._scheme(event_id, scheme, officials, at)
        judged = [(c, spec) for c, spec in criteria if spec.kind is not CriterionKind.IMPORTED]
        imported = [(c, spec) for c, spec in criteria if spec.kind is CriterionKind.IMPORTED]
        width = max(3, len(str(len(entrants))))
        lots = list(range(1, len(entrants) + 1))
        self.rng.shuffle(lots)
        codes: set[str] = set()
        entry_ids = self.ids.take(Entry.__table__, len(entrants))
        for number, (entrant, entry_id, lot) in enumerate(zip(entrants, entry_ids, lots,
                                                              strict=True), 1):
            self.entries.add({
                "id": entry_id, "event_id": event_id, "team_name": None,
                "unit_id": entrant.unit_id, "status": EntryStatus.APPROVED,
                "registered_by_id": officials.registrar, "endorsed_by_id": None,
                "decided_by_id": officials.registrar, "decision_reason": None,
                "entry_number": f"{number:0{width}d}", "checkin_code": f"J{lot:0{width}d}",
                "blind_code": self._blind_code(codes), "created_at": registered_at,
                "updated_at": registered_at})
            self.members.add({"entry_id": entry_id, "event_id": event_id,
                              "worker_id": entrant.worker_id, "is_leader": True, "active": True})
            self._mark(event_id, entry_id, entrant, judged, imported, practical, officials, at)
        if signed_off:
            self.sign_offs.add({"event_id": event_id, "signed_by_id": officials.chief,
                                "signed_at": at, "voided_at": None, "void_reason": None})

    # --- rows --------------------------------------------------------------------------------

    def _scheme(self, event_id: int, scheme: Sequence[ComponentSpec], officials: Officials,
                at: datetime) -> tuple[list[tuple[int, CriterionSpec]], int | None]:
        scheme_id = self.ids.one(MarkingScheme.__table__)
        self.schemes.add({"id": scheme_id, "event_id": event_id, "locked_at": at,
                          "spread_threshold": Decimal(20), "created_at": at})
        criteria, practical = [], None
        for position, component in enumerate(scheme):
            component_id = self.ids.one(Component.__table__)
            if component.kind is ComponentKind.PRACTICAL and practical is None:
                practical = component_id
            self.components.add({"id": component_id, "scheme_id": scheme_id,
                                 "name": component.name, "kind": component.kind,
                                 "weight": component.weight, "position": position})
            for index, spec in enumerate(component.criteria):
                criterion_id = self.ids.one(Criterion.__table__)
                self.criteria.add({"id": criterion_id, "component_id": component_id,
                                   "code": spec.code, "description": spec.description,
                                   "max_mark": spec.max_mark, "step": STEP, "kind": spec.kind,
                                   "panel_size": spec.panel_size,
                                   "aggregation": spec.aggregation, "position": index})
                for seat, judge in enumerate(spec.seats):
                    self.seats.add({"criterion_id": criterion_id,
                                    "judge_id": officials.judges[judge], "position": seat})
                criteria.append((criterion_id, spec))
        return criteria, practical

    def _blind_code(self, taken: set[str]) -> str:
        while (code := "".join(self.rng.choices(BLIND_ALPHABET, k=BLIND_LENGTH))) in taken:
            pass
        taken.add(code)
        return code

    def _value(self, spec: CriterionSpec, percent: int, spread: int) -> Decimal:
        """A mark near `percent` of the maximum, give or take `spread` steps, on the step."""
        steps = int(spec.max_mark / STEP)
        values = self.values.get(steps)
        if values is None:
            values = self.values[steps] = [Decimal(n) * STEP for n in range(steps + 1)]
        centre = percent * steps // 100 + self.rng.randint(-spread, spread)
        return values[min(steps, max(0, centre))]

    def _mark(self, event_id: int, entry_id: int, entrant: Entrant,
              judged: list[tuple[int, CriterionSpec]], imported: list[tuple[int, CriterionSpec]],
              practical: int | None, officials: Officials, at: datetime) -> None:
        rng = self.rng
        self.timings.add({"event_id": event_id, "entry_id": entry_id,
                          "seconds": rng.randrange(2400, 3601, 30),
                          "recorded_by_id": officials.chief, "updated_at": at})
        ability = rng.randint(50, 95)  # percent of the maximum, give or take
        for criterion_id, spec in imported:
            self.imported.add({"event_id": event_id, "entry_id": entry_id,
                               "criterion_id": criterion_id,
                               "value": self._value(spec, ability, 10), "batch_id": None,
                               "updated_at": at})
        if practical is not None and rng.random() < PENALTY_SHARE:
            self.penalties.add({"event_id": event_id, "entry_id": entry_id,
                                "component_id": practical, "points": Decimal(2),
                                "reason": "安全违规", "recorded_by_id": officials.chief,
                                "created_at": at, "withdrawn_at": None})
        # Who marks: the first seated judges free of conflict (the app's own rule). The
        # generated trees have no enterprise groups, so a conflict is a judge of the same unit.
        excluded = {judge for judge, unit in zip(officials.judges, officials.judge_units,
                                                 strict=True)
                    if unit is None or unit == entrant.employer_id}
        sheets: dict[int, int] = {}
        for criterion_id, spec in judged:
            # One level per entry and criterion; the panel's marks lie within one step of it,
            # so no panel spreads past the scheme's threshold (no flag to resolve).
            level = min(100, max(0, ability + rng.randint(-10, 10)))
            seated = [officials.judges[seat] for seat in spec.seats]
            for judge in allocate_panel(seated, spec.panel_size, excluded):
                if judge not in sheets:
                    sheets[judge] = self.ids.one(ScoreSheet.__table__)
                    self.sheets.add({"id": sheets[judge], "event_id": event_id,
                                     "entry_id": entry_id, "judge_id": judge,
                                     "status": SheetStatus.SUBMITTED, "version": 1,
                                     "submitted_at": at, "updated_at": at})
                self.marks.add({"sheet_id": sheets[judge], "criterion_id": criterion_id,
                                "value": self._value(spec, level, 1)})
