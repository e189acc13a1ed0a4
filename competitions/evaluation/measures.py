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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from competitions.organisations.models import EnterpriseSize, Organisation, Ownership, Tier
from competitions.promotion.levels import SkillLevel


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

    @property
    def participation(self) -> Rate:
        return Rate(self.participants, self.workforce)

    @property
    def benefit(self) -> Rate:
        return Rate(self.beneficiaries, self.workforce)


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


def evaluate(organisation: Organisation, year: int, filters: Filters = Filters()) -> Evaluation:
    """Every measure for the subtree of `organisation` in `year`, by aggregate queries (a
    fixed number of statements whatever the subtree's size)."""
    raise NotImplementedError  # issue 17: built in measures (this module)


def trend(organisation: Organisation, years: list[int], filters: Filters = Filters()
          ) -> list[TrendPoint]:
    """The headline rates for each of `years` (year-on-year change and the trend chart)."""
    raise NotImplementedError  # issue 17: built in measures (this module)
