"""Judges' marks to scores: pure functions over Decimals (DESIGN.md §4).

Panel marks and component scores keep full precision; only the weighted total is rounded,
half-up to two places, and ranking uses that rounded total.
"""

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

TOTAL_PLACES = Decimal("0.01")


class MarkError(ValueError):
    """A mark outside 0…maximum or off the mark step; `reason` is "range" or "step"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_mark(mark: Decimal, maximum: Decimal, step: Decimal) -> Decimal:
    """Return `mark` if it lies in [0, maximum] on a multiple of `step`, else raise MarkError."""
    if not Decimal(0) <= mark <= maximum:
        raise MarkError("range")
    if mark % step != 0:
        raise MarkError("step")
    return mark


def two_places(value: Decimal | None) -> str:
    """A score as displayed: half-up to 2 places (the stored value keeps its precision)."""
    return "—" if value is None else str(Decimal(value).quantize(TOTAL_PLACES, ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """A mark as people write it: 40, 0.5, 12.25 (never 4E+1 or 40.00)."""
    return format(value.normalize(), "f")


def mean(marks: Sequence[Decimal]) -> Decimal:
    return sum(marks, Decimal(0)) / len(marks)


def trimmed_mean(marks: Sequence[Decimal]) -> Decimal:
    """With 5 or more marks, drop one highest and one lowest, then take the mean."""
    if len(marks) >= 5:
        ordered = sorted(marks)
        return mean(ordered[1:-1])
    return mean(marks)


def median(marks: Sequence[Decimal]) -> Decimal:
    ordered = sorted(marks)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# The aggregation an organiser picks per criterion, by name.
AGGREGATIONS: dict[str, Callable[[Sequence[Decimal]], Decimal]] = {
    "mean": mean,
    "trimmed_mean": trimmed_mean,
    "median": median,
}


def panel_mark(marks: Sequence[Decimal], aggregation: str) -> Decimal:
    """One criterion's mark from its panel's marks."""
    if not marks:
        raise ValueError("a panel mark needs at least one mark")
    return AGGREGATIONS[aggregation](list(marks))


def component_score(criterion_marks: Sequence[Decimal], criterion_maxima: Sequence[Decimal],
                    out_of: Decimal = Decimal(100)) -> Decimal:
    """A component's score out of `out_of`: the criteria's marks over their maxima, unrounded."""
    possible = sum(criterion_maxima, Decimal(0))
    return sum(criterion_marks, Decimal(0)) * out_of / possible


def weighted_total(scores_and_weights: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ score × weight% / 100, rounded half-up to 2 places (weights must total 100)."""
    weights = sum((w for _s, w in scores_and_weights), Decimal(0))
    if weights != 100:
        raise ValueError(f"weights total {weights}, not 100")
    raw = sum((s * w for s, w in scores_and_weights), Decimal(0)) / 100
    return raw.quantize(TOTAL_PLACES, rounding=ROUND_HALF_UP)
