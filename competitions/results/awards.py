"""Award schemes (奖项): named presets that turn an event's ranking into awards (RULES.md A).

Pure functions over plain data. A scheme computes *bands*: for the `n` ranked entrants of an
event, a list of ``(award, last place)`` pairs, best first, with the last places cumulative.
An entry gets the first band whose last place is at or after its rank. Because the band is
decided by rank, and tied entries share the better rank (1, 2, 2, 4), a tie at a band edge lifts
all tied into the better award (DESIGN.md §4): the bands are still counted in places, so the
places taken by a lifted tie are not given again further down.

RULES.md publishes no rounding for fractional cut-offs; every fraction here is rounded *up*
(ceil) so a small field still gets its first prize or its 优胜奖 half-way place.
"""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from competitions.database import LabelledEnum
from competitions.i18n import lazy_gettext as _l

Key = TypeVar("Key", bound=Hashable)
Bands = list[tuple["Award", int]]


class Award(LabelledEnum):
    GOLD = "gold", _l("Gold medal")
    SILVER = "silver", _l("Silver medal")
    BRONZE = "bronze", _l("Bronze medal")
    EXCELLENCE = "excellence", _l("Excellence award")
    FIRST_PRIZE = "first_prize", _l("First prize")
    SECOND_PRIZE = "second_prize", _l("Second prize")
    THIRD_PRIZE = "third_prize", _l("Third prize")


PRIZES = (Award.FIRST_PRIZE, Award.SECOND_PRIZE, Award.THIRD_PRIZE)
MEDALS = (Award.GOLD, Award.SILVER, Award.BRONZE)


def awards_text(awards) -> str:
    """Every award of one result, prize first, then medal: 一等奖 · 金牌."""
    return " · ".join(str(award.label) for award in awards)


def ceil_share(n: int, numerator: int, denominator: int) -> int:
    """ceil(n · numerator / denominator) in integers (no float rounding at the edges)."""
    return -(-n * numerator // denominator)


def _medals(excellence_to: int) -> Bands:
    return [(Award.GOLD, 1), (Award.SILVER, 2), (Award.BRONZE, 3),
            (Award.EXCELLENCE, excellence_to)]


def medals_half(n: int) -> Bands:
    """Gold, silver, bronze for ranks 1–3; 优胜奖 for ranks 4 to ceil(n/2).

    "Within the top half, the half-way place included": n = 7 → places 1–4, n = 8 → 1–4.
    The medals go to ranks 1–3 whatever n is (the half bounds only the 优胜奖), so n ≤ 6 gives
    no 优胜奖. A shared rank 2 gives two silvers and the next rank is 4: no bronze.
    """
    return _medals(ceil_share(n, 1, 2))


def medals_two_thirds(n: int) -> Bands:
    """As medals_half, with 优胜奖 down to ceil(2n/3): n = 7 → places 1–5, n = 9 → 1–6."""
    return _medals(ceil_share(n, 2, 3))


def prizes_10_20_30(n: int) -> Bands:
    """First prize to the top ceil(10 % · n), second to ceil(20 % · n), third to ceil(30 % · n).

    Cumulative: the second prize goes to the places after the first-prize places down to 20 %,
    the third to the places after those down to 30 %. Rounding up gives n = 1…10 one first
    prize; in a small field a band may hold no place of its own (n = 5: cut-offs 1, 1, 2, so
    rank 1 gets first prize, rank 2 third prize, and nobody second).
    """
    return [(Award.FIRST_PRIZE, ceil_share(n, 1, 10)), (Award.SECOND_PRIZE, ceil_share(n, 2, 10)),
            (Award.THIRD_PRIZE, ceil_share(n, 3, 10))]


def fixed_counts(n: int, *, first: int, second: int, third: int) -> Bands:
    """`first` first prizes, then `second` second prizes, then `third` third prizes (places).

    A tie across an edge lifts all tied: with first=3 and ranks 1, 2, 3, 3 there are four first
    prizes, and the second prizes go to places 4–8 (so to rank 5 onwards).
    """
    return [(Award.FIRST_PRIZE, first), (Award.SECOND_PRIZE, first + second),
            (Award.THIRD_PRIZE, first + second + third)]


@dataclass(frozen=True)
class AwardScheme:
    """A preset an organiser picks by name: what it is called, where it was published, its
    bands, and the keyword options it takes with their defaults."""

    label: Any  # a lazy string
    source: str
    bands: Callable[..., Bands]
    defaults: Mapping[str, int] = field(default_factory=dict)
    citation: str = ""  # how pages cite it, in Chinese (RULES.md E)


# How pages cite each preset (RULES.md E): in Chinese, by the body and the event it comes from.
CITATIONS = {
    "medals_half": ("参照第一届全国技能大赛（2020年）及黑龙江省职业技能竞赛通知："
                    "前三名金、银、铜牌，其后至参赛人数二分之一（含）为优胜奖"),
    "medals_two_thirds": "参照山西省职业技能竞赛规定：优胜奖至决赛人数三分之二",
    "prizes_10_20_30": "参照人力资源社会保障部2012年竞赛通知：一、二、三等奖分别为前10%、20%、30%",
    "fixed_counts": "参照地方竞赛规程：一、二、三等奖按规定名额",
    "guizhou_2023": ("参照贵州省第一届职工职业技能大赛（2023年）："
                     "一等奖1名、二等奖2名、三等奖5名、优胜奖若干名，前三名颁发金、银、铜牌"),
}

AWARD_SCHEMES: dict[str, AwardScheme] = {
    "medals_half": AwardScheme(
        _l("Medals, excellence awards down to half of the entrants"),
        "黑龙江 notice (dgtatami.com/news/363543.html); 全国技能大赛 2020",
        medals_half, citation=CITATIONS["medals_half"]),
    "medals_two_thirds": AwardScheme(
        _l("Medals, excellence awards down to two thirds of the entrants"),
        "山西 (news.sxrb.com/BIG5/314060/9996401.html)",
        medals_two_thirds, citation=CITATIONS["medals_two_thirds"]),
    "prizes_10_20_30": AwardScheme(
        _l("First, second and third prizes to the top 10, 20 and 30 percent"),
        "人社部 2012 notice (fsou.com/html/text/chl/1764/176474_2.html)",
        prizes_10_20_30, citation=CITATIONS["prizes_10_20_30"]),
    "fixed_counts": AwardScheme(
        _l("First, second and third prizes in fixed numbers"),
        "山西; fabao365 law_565742",
        fixed_counts, {"first": 3, "second": 5, "third": 10}, CITATIONS["fixed_counts"]),
}


def award_bands(scheme: str, n: int, **options: int) -> Bands:
    """The bands of `scheme` for `n` ranked entrants: [(award, last place), …], best first."""
    preset = AWARD_SCHEMES[scheme]
    unknown = set(options) - set(preset.defaults)
    if unknown:
        raise ValueError(f"{scheme} takes no option {', '.join(sorted(unknown))}")
    merged = {**preset.defaults, **options}
    for name, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{scheme} option {name} must be a whole number ≥ 0")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError("the number of entrants must be a whole number ≥ 0")
    return preset.bands(n, **merged)


def check_ranking(ranked: Sequence[tuple[Hashable, int]]) -> None:
    """Keys unique; ranks are competition ranks (1, 2, 2, 4): each is 1 + the number better."""
    if len({key for key, _rank in ranked}) != len(ranked):
        raise ValueError("an entry appears twice in the ranking")
    for _key, rank in ranked:
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise ValueError(f"rank {rank!r} is not a whole number")
    ranks = sorted(rank for _key, rank in ranked)
    for place, rank in enumerate(ranks, start=1):
        if rank != place and (place == 1 or rank != ranks[place - 2]):
            raise ValueError(f"ranks {ranks} are not competition ranks (1, 2, 2, 4)")


def assign_awards(ranked: Sequence[tuple[Key, int]], scheme: str, *,
                  totals: Mapping[Key, Decimal] | None = None,
                  min_total: Decimal | None = None,
                  **options: int) -> dict[Key, Award | None]:
    """Each ranked entry's award under `scheme` (None: no award).

    `ranked` holds (entry key, rank) for every ranked entrant of one event, ranks shared on a
    tie (1, 2, 2, 4); n, the base of every fraction, is len(ranked). With `min_total`, an entry
    whose total (from `totals`) is below it gets no award; the bands are still computed over
    all n entrants, so the minimum only removes awards, never moves anyone to another one.
    `options` are the scheme's own (fixed_counts: first, second, third).
    """
    ranked = list(ranked)
    check_ranking(ranked)
    if isinstance(min_total, float):
        raise TypeError("min_total must be a Decimal, never a float")
    if min_total is not None and totals is None:
        raise ValueError("a minimum total needs the entries' totals")
    bands = award_bands(scheme, len(ranked), **options)
    awards: dict[Key, Award | None] = {}
    for key, rank in ranked:
        award = next((band for band, last in bands if rank <= last), None)
        if award is not None and min_total is not None:
            if key not in totals:
                raise ValueError(f"no total for entry {key!r}")
            if totals[key] < min_total:
                award = None
        awards[key] = award
    return awards
