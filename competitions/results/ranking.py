"""Ranking and the standardised score: pure functions over plain data (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from competitions.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Standing:
    """What ranking needs of one entry. `total` is already rounded half-up to 2 places."""

    key: Hashable
    total: Decimal
    time_used: int | None = None  # seconds; None ranks after any recorded time
    practical: Decimal | None = None
    theory: Decimal | None = None


# Each tie-break turns a standing into a sort key where smaller is better; missing data last.
def _shorter_time(s: Standing):
    return (s.time_used is None, s.time_used or 0)


def _higher_practical(s: Standing):
    return (s.practical is None, -(s.practical or 0))


def _higher_theory(s: Standing):
    return (s.theory is None, -(s.theory or 0))


TIE_BREAKS: dict[str, tuple[Callable[[Standing], tuple], object]] = {
    "time_used": (_shorter_time, _l("Shorter time used")),
    "practical": (_higher_practical, _l("Higher practical score")),
    "theory": (_higher_theory, _l("Higher theory score")),
}
DEFAULT_CHAIN = ("time_used", "practical", "theory")


@dataclass(frozen=True)
class Ranked:
    standing: Standing
    rank: int


def rank_entries(standings: Sequence[Standing],
                 chain: Sequence[str] = DEFAULT_CHAIN) -> list[Ranked]:
    """Rank by the tie-break chain of DESIGN.md §4.

    Higher total first; among equal totals, each tie-break of `chain` in order (by default a
    shorter time used, then a higher practical score, then a higher theory score); entries
    still equal on every step share a rank, and the next rank skips (1, 2, 2, 4). The chain is
    a competition setting; unknown names are refused.
    """
    unknown = [name for name in chain if name not in TIE_BREAKS]
    if unknown:
        raise ValueError(f"unknown tie-breaks: {unknown}")

    def sort_key(standing: Standing) -> tuple:
        return (-standing.total, *(TIE_BREAKS[name][0](standing) for name in chain))

    ordered = sorted(standings, key=lambda s: (sort_key(s), str(s.key)))
    ranked: list[Ranked] = []
    for position, standing in enumerate(ordered, start=1):
        if ranked and sort_key(ranked[-1].standing) == sort_key(standing):
            ranked.append(Ranked(standing, ranked[-1].rank))
        else:
            ranked.append(Ranked(standing, position))
    return ranked


def decided_by(previous: Standing, current: Standing, chain: Sequence[str]) -> str | None:
    """Which step of the chain put `previous` ahead of `current` (None: the total, or a tie)."""
    if previous.total != current.total:
        return None
    for name in chain:
        key = TIE_BREAKS[name][0]
        if key(previous) != key(current):
            return name
    return None


SCALE_CENTRE = Decimal(700)
SCALE_SPREAD = Decimal(100)


def standardised_scores(totals: dict[Hashable, Decimal]) -> dict[Hashable, int]:
    """WorldSkills-style scores on the 700 scale, so events of different difficulty compare.

    700 + 100 × (total − median) / σ, rounded half-up to a whole number, where the median and
    σ (the population standard deviation) are those of the event's totals: the event's median
    entrant scores 700, and one standard deviation is worth 100 points. With fewer than two
    distinct totals every entrant scores 700. (WorldSkills' own CIS places the median at 700;
    its exact spread is not published, so this is the platform's documented choice.) The
    score is shown beside the raw total and never replaces it in ranking.
    """
    if not totals:
        return {}
    values = sorted(totals.values())
    n = len(values)
    middle = n // 2
    median = values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2
    mean = sum(values, Decimal(0)) / n
    variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / n
    if variance == 0:
        return {key: int(SCALE_CENTRE) for key in totals}
    sigma = variance.sqrt()
    return {key: int((SCALE_CENTRE + SCALE_SPREAD * (total - median) / sigma)
                     .quantize(Decimal(1), rounding=ROUND_HALF_UP))
            for key, total in totals.items()}
