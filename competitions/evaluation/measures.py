"""Effectiveness evaluation (效能评估, issue 17): participation and benefit rates, coverage and
outcomes of an organisation subtree's competitions in a year, computed by aggregate queries.

The definitions (each page shows them beside the figures):
- a competition or drill counts in the year of its first day (Competition.starts_on,
  Drill.held_on);
- participants: the distinct named workers employed in the subtree with an entry (any status
  but withdrawn or rejected) in a competition of the year, or a named place in a drill of the
  year; plus, as a separate term, the participant counts of drills recorded without names
  (those people may also be counted by name);
- participation rate (参赛率) = (named participants + unnamed drill participants) ÷ workforce;
- beneficiaries: distinct named workers who in the year won an award, a title (approved), a
  nomination to the next tier, or a confirmed competition-based promotion;
- benefit rate (受益率) = beneficiaries ÷ workforce (and ÷ named participants);
- workforce: the sum of the recorded workforce (职工人数) of the subtree's employing units;
  units with none recorded are listed, never guessed;
- coverage: the share of the subtree's enterprises (OrgKind.ENTERPRISE; schools apart), and of
  its non-public enterprises (民营, 外资/港澳台), that entered at least one worker in the year.

How the data are read (evaluate() below):
- a worker counts with their employer (Worker.employer_id), wherever the competition was held:
  a city's worker at the provincial contest counts for the city; the industry, ownership and
  size filters are those of the employer. A drill counts with the organisation that held it;
- an entry counts unless withdrawn or rejected (EntryStatus.is_active), and a team member only
  while their place is live (EntryMember.active); `entries` counts each team once;
- the tier filter selects competitions of that tier; drills are enterprise tier, so they count
  only without a tier or with the enterprise tier;
- a drill's named places count their workers by name; its participants beyond its named places
  (participants − places, never below 0) are its unnamed term, so a drill of 30 with 3 named
  winners adds 3 named workers and 27 unnamed participants, and one with no names adds all 30.
  A drill placing is participation, not a benefit;
- awards: the award lines of the current version of each result (Result.is_current()), once for
  each member of the entry (a team's gold is a gold for each of its members); titles: approved
  TitleAwards; promotions: confirmed PromotionEligibilities, by the level reached; nominations:
  those sent up from the year's competitions (Nomination.source_competition_id; unit
  nominations are not counted), and "awarded" when the nominee's entry in the target event has
  a current result with an award — all in the year of their competition's first day;
- workforce counts employing units (enterprises and schools) only; an enterprise is covered
  when one of its workers has a live entry in a competition of the year (a drill alone does
  not cover it); never_entered lists the first LIST_LIMIT by name, the count being exact;
- the breakdowns by industry, ownership and size group workers by their employer's value, and
  those employed by a unit with none recorded fall in the "unrecorded" row, so the rows add up
  to the total; by_child has a row for every direct child (the root's own staff, if any, are
  in the totals and in no child's row);
- competitions and events held: organised within the subtree (not drafts); under an industry,
  ownership or size filter, only those with an entrant from a matching unit of the subtree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from competitions.evaluation import queries
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.industries import SECTIONS
from competitions.organisations.models import EnterpriseSize, Organisation, Ownership, Tier
from competitions.promotion.levels import SkillLevel

LIST_LIMIT = queries.LIST_LIMIT  # names listed: never-entered enterprises, units without workforce
UNRECORDED = "unrecorded"  # the key of the breakdown row for units with no value recorded


@dataclass(frozen=True)
class Filters:
    """Which part of the subtree and the year's contests to count. None: all."""

    tier: Tier | None = None  # competitions of this tier only (drills are enterprise tier)
    industry: str | None = None  # employing units of this GB/T 4754 section
    ownership: Ownership | None = None
    size: EnterpriseSize | None = None


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int  # 0: no denominator recorded, so no rate

    @property
    def percent(self) -> Decimal | None:
        """Two decimal places, half up; None without a denominator."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / self.denominator).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str


@dataclass(frozen=True)
class Breakdown:
    """One row of a table by district (child organisation), industry, ownership or size."""

    key: str  # the child's id, the industry letter, the ownership or size value
    label: str
    workforce: int
    participants: int  # named participants (distinct workers)
    beneficiaries: int
    enterprises: int = 0
    entered: int = 0  # enterprises with at least one entrant in the year

    @property
    def participation(self) -> Rate:
        return Rate(self.participants, self.workforce)

    @property
    def benefit(self) -> Rate:
        return Rate(self.beneficiaries, self.workforce)

    @property
    def coverage(self) -> Rate:
        return Rate(self.entered, self.enterprises)


@dataclass(frozen=True)
class Outcomes:
    awards: int  # award lines won by the subtree's workers (a gold and a first prize: two)
    titles: int  # approved titles
    promotions: dict[SkillLevel, int]  # confirmed competition-based promotions, by level reached
    nominations_sent: int  # the subtree's workers nominated to the next tier
    nominees_awarded: int  # of those, how many won an award at the next tier


@dataclass(frozen=True)
class Evaluation:
    organisation: UnitRef
    year: int
    filters: Filters
    workforce: int
    units_without_workforce: list[UnitRef]
    competitions_by_tier: dict[Tier, int]
    events_by_tier: dict[Tier, int]
    drills: int
    entries: int
    entrants: int  # distinct workers with an entry
    named_participants: int  # entrants ∪ named drill places
    unnamed_drill_participants: int
    beneficiaries: int
    enterprises: int
    enterprises_entered: int
    non_public_enterprises: int
    non_public_entered: int
    never_entered: list[UnitRef]  # the subtree's enterprises with no entrant this year
    outcomes: Outcomes
    by_child: list[Breakdown] = field(default_factory=list)
    by_industry: list[Breakdown] = field(default_factory=list)
    by_ownership: list[Breakdown] = field(default_factory=list)
    by_size: list[Breakdown] = field(default_factory=list)
    # How many units have no workforce recorded (the list above stops at LIST_LIMIT names).
    units_without_workforce_count: int = 0

    @property
    def participation(self) -> Rate:
        return Rate(self.named_participants + self.unnamed_drill_participants, self.workforce)

    @property
    def benefit(self) -> Rate:
        return Rate(self.beneficiaries, self.workforce)

    @property
    def benefit_of_participants(self) -> Rate:
        return Rate(self.beneficiaries, self.named_participants)

    @property
    def coverage(self) -> Rate:
        return Rate(self.enterprises_entered, self.enterprises)

    @property
    def non_public_coverage(self) -> Rate:
        return Rate(self.non_public_entered, self.non_public_enterprises)


@dataclass(frozen=True)
class TrendPoint:
    year: int
    participation: Rate
    benefit: Rate
    coverage: Rate


def _total(cells: dict[tuple, queries.Cell], name: str) -> int:
    return sum(getattr(cell, name) for cell in cells.values())


def _breakdown(cells: dict[tuple, queries.Cell], position: int, labels: dict[str, str], *,
               every_label: bool = False) -> list[Breakdown]:
    """Rows by one column of the cells, in the order of `labels`, then the unrecorded row;
    with `every_label`, a row for each label (even empty) and none for anything else."""
    sums: dict[str, Counter] = {}
    for key, cell in cells.items():
        value = key[position]
        value = UNRECORDED if value is None else getattr(value, "value", value)
        sums.setdefault(value, Counter()).update(
            workforce=cell.workforce, participants=cell.participants,
            beneficiaries=cell.beneficiaries, enterprises=cell.enterprises,
            entered=cell.entered)
    if every_label:
        order = list(labels)
    else:
        order = [key for key in [*labels, *sorted(set(sums) - set(labels) - {UNRECORDED}),
                                 UNRECORDED] if key in sums]
    labels = {UNRECORDED: str(_l("Not recorded")), **labels}
    return [Breakdown(key, labels.get(key, key), *(sums.get(key, Counter())[name] for name in (
        "workforce", "participants", "beneficiaries", "enterprises", "entered")))
            for key in order]


def _units(rows) -> list[UnitRef]:
    return [UnitRef(row.id, row.name) for row in rows]


def evaluate(organisation: Organisation, year: int, filters: Filters = Filters()) -> Evaluation:
    """Every measure for the subtree of `organisation` in `year`, by aggregate queries (five
    statements whatever the subtree's size)."""
    scope = queries.Scope(organisation, [year], filters)
    cells, totals, never_entered = queries.cells(scope)
    competitions, events = queries.held(scope)
    return Evaluation(
        organisation=UnitRef(organisation.id, organisation.name), year=year, filters=filters,
        workforce=_total(cells, "workforce"),
        units_without_workforce=_units(queries.without_workforce(scope)),
        units_without_workforce_count=_total(cells, "without_workforce"),
        competitions_by_tier=competitions, events_by_tier=events,
        drills=totals.drills, entries=totals.entries, entrants=totals.entrants,
        named_participants=_total(cells, "participants"),
        unnamed_drill_participants=totals.unnamed,
        beneficiaries=_total(cells, "beneficiaries"),
        enterprises=_total(cells, "enterprises"), enterprises_entered=_total(cells, "entered"),
        non_public_enterprises=_total(cells, "non_public"),
        non_public_entered=_total(cells, "non_public_entered"),
        never_entered=_units(never_entered),
        outcomes=Outcomes(awards=totals.awards, titles=totals.titles,
                          promotions=queries.promotions(scope),
                          nominations_sent=totals.nominations,
                          nominees_awarded=totals.nominees_awarded),
        by_child=_breakdown(cells, 0, {str(child.id): child.name
                                       for child in queries.children(organisation)},
                            every_label=True),
        by_industry=_breakdown(cells, 1, {letter: f"{letter} {label}"
                                          for letter, label in SECTIONS.items()}),
        by_ownership=_breakdown(cells, 2, {o.value: str(o.label) for o in Ownership}),
        by_size=_breakdown(cells, 3, {s.value: str(s.label) for s in EnterpriseSize}),
    )


def trend(organisation: Organisation, years: list[int], filters: Filters = Filters()
          ) -> list[TrendPoint]:
    """The headline rates for each of `years` (year-on-year change and the trend chart), all
    years in one statement."""
    if not years:
        return []
    figures = queries.headlines(queries.Scope(organisation, years, filters))
    workforce, enterprises = figures.get(("workforce", 0), 0), figures.get(("enterprises", 0), 0)
    return [TrendPoint(
        year=year,
        participation=Rate(figures.get(("participants", year), 0)
                           + figures.get(("unnamed", year), 0), workforce),
        benefit=Rate(figures.get(("beneficiaries", year), 0), workforce),
        coverage=Rate(figures.get(("entered", year), 0), enterprises)) for year in years]
