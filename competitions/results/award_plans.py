"""Award plans (issue 12): an event's prize scheme and/or medal scheme, 优胜奖 and minimum totals
as contests publish them (RULES.md A), and the plan that turns a ranking into every award each
entry earned, with the rule step behind each award and the cut-off places the organiser sees.

Pure functions over plain data; the legacy presets of awards.py map onto configs here
(AwardConfig.from_legacy) and give exactly the awards they always gave.

An event applies one prize scheme (一/二/三等奖) and/or one medal scheme (gold, silver, bronze
for places 1–3), each optionally followed by 优胜奖. Both schemes keep the band rule of awards.py: a
scheme's bands are counted in places, and an entry gets the first band of each scheme whose
last place is at or after its rank, so each entry gets at most one award per scheme, listed
prize first, then medal (e.g. [FIRST_PRIZE, GOLD]).

优胜奖 is given at most once: by the prize scheme when it defines one, else by the medal scheme
(a medal scheme's 优胜奖 is ignored next to a prize scheme's). Its places follow the bands of
the scheme that defines it.

A minimum total may be set for any award. An entry whose rank falls in a band but whose total
is below the band's minimum gets nothing from that scheme: it is not moved down to a lesser
band, and nobody below moves up into its place (the band's places are still counted). So a
minimum can leave a band short, and the same minimum on every band is the old `min_total`.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic

from competitions.i18n import lazy_gettext as _l
from competitions.results.awards import (
    AWARD_SCHEMES,
    CITATIONS,
    MEDALS,
    PRIZES,
    Award,
    Key,
    award_bands,
    ceil_share,
    check_ranking,
)

TEN_TWENTY_THIRTY = (Fraction(1, 10), Fraction(2, 10), Fraction(3, 10))


def _whole_number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number ≥ 0")
    return value


def _fraction(value: Any, name: str) -> Fraction:
    """A share of entrants, exact: a Fraction, a Decimal, an int or text ("2/3", "0.1")."""
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int | str):
        raise ValueError(f"{name} must be a share such as \"1/2\" or \"0.1\", never a float")
    try:
        share = Fraction(value)
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise ValueError(f"{name} must be a share such as \"1/2\" or \"0.1\"") from None
    if not 0 <= share <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1")
    return share


def _amount(value: Any, name: str) -> Decimal:
    """A minimum total: a Decimal, an int or decimal text, finite and ≥ 0; never a float."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"{name} must be a Decimal or decimal text, never a float")
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValueError(f"{name} must be a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a decimal number ≥ 0")
    return amount


def _fields(data: Any, name: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{name} must be an object")
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"{name}.{sorted(unknown)[0]} is not a setting")
    return data


def _within(path: str, build: Callable[[], Any]) -> Any:
    """Build a nested part, naming the field by its full path when it is refused."""
    try:
        return build()
    except ValueError as error:
        raise ValueError(f"{path}.{error}") from None


@dataclass(frozen=True)
class ExcellenceRule:
    """How many 优胜奖 follow a scheme's bands; exactly one of:

    `places`, a fixed number of places after the scheme's last band; `share`, down to place
    ceil(n · share) counted from the first place (medals_half: 1/2), so none when that place
    is already inside the bands; `min_total`, every other entrant whose total reaches it.
    """

    places: int | None = None
    share: Fraction | None = None
    min_total: Decimal | None = None

    def __post_init__(self):
        given = [name for name in ("places", "share", "min_total")
                 if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("excellence needs exactly one of places, share, min_total")
        if self.places is not None:
            _whole_number(self.places, "excellence.places")
        if self.share is not None:
            object.__setattr__(self, "share", _fraction(self.share, "excellence.share"))
        if self.min_total is not None:
            object.__setattr__(self, "min_total", _amount(self.min_total, "excellence.min_total"))

    def to_json(self) -> dict[str, Any]:
        if self.places is not None:
            return {"places": self.places}
        if self.share is not None:
            return {"share": str(self.share)}
        return {"min_total": str(self.min_total)}

    @classmethod
    def from_json(cls, data: Any) -> "ExcellenceRule":
        data = _fields(data, "excellence", {"places", "share", "min_total"})
        return cls(**data)


def _excellence_from_json(data: Mapping[str, Any]) -> ExcellenceRule | None:
    rule = data.get("excellence")
    return None if rule is None else ExcellenceRule.from_json(rule)


@dataclass(frozen=True)
class PrizeScheme:
    """一/二/三等奖, either by `counts` (first, second, third: places each) or by `shares`
    (cumulative shares of entrants, each cut-off place rounded up), then `excellence`."""

    counts: tuple[int, int, int] | None = None
    shares: tuple[Fraction, Fraction, Fraction] | None = None
    excellence: ExcellenceRule | None = None

    def __post_init__(self):
        if (self.counts is None) == (self.shares is None):
            raise ValueError("prize needs exactly one of counts, shares")
        if self.counts is not None:
            counts = self.counts
            if not isinstance(counts, Sequence) or isinstance(counts, str) or len(counts) != 3:
                raise ValueError("prize.counts must list three numbers: first, second, third")
            object.__setattr__(self, "counts", tuple(
                _whole_number(count, f"prize.counts[{i}]") for i, count in enumerate(counts)))
        else:
            shares = self.shares
            if not isinstance(shares, Sequence) or isinstance(shares, str) or len(shares) != 3:
                raise ValueError("prize.shares must list three shares: first, second, third")
            shares = tuple(_fraction(share, f"prize.shares[{i}]")
                           for i, share in enumerate(shares))
            if not shares[0] <= shares[1] <= shares[2]:
                raise ValueError("prize.shares must not decrease: they are cumulative")
            object.__setattr__(self, "shares", shares)
        if self.excellence is not None and not isinstance(self.excellence, ExcellenceRule):
            raise ValueError("prize.excellence must be an ExcellenceRule")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = (
            {"counts": list(self.counts)} if self.counts is not None
            else {"shares": [str(share) for share in self.shares]})
        data["excellence"] = self.excellence.to_json() if self.excellence else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> "PrizeScheme":
        data = _fields(data, "prize", {"counts", "shares", "excellence"})
        excellence = _within("prize", lambda: _excellence_from_json(data))
        return cls(counts=data.get("counts"), shares=data.get("shares"), excellence=excellence)


@dataclass(frozen=True)
class MedalScheme:
    """Gold, silver and bronze for places 1–3, then `excellence`."""

    excellence: ExcellenceRule | None = None

    def __post_init__(self):
        if self.excellence is not None and not isinstance(self.excellence, ExcellenceRule):
            raise ValueError("medal.excellence must be an ExcellenceRule")

    def to_json(self) -> dict[str, Any]:
        return {"excellence": self.excellence.to_json() if self.excellence else None}

    @classmethod
    def from_json(cls, data: Any) -> "MedalScheme":
        data = _fields(data, "medal", {"excellence"})
        return cls(excellence=_within("medal", lambda: _excellence_from_json(data)))


@dataclass(frozen=True)
class AwardConfig:
    """An event's award rules: a prize scheme and/or a medal scheme, and a minimum total per
    award (see the comment above for how they combine). Stored as JSON via to_json/from_json."""

    prize: PrizeScheme | None = None
    medal: MedalScheme | None = None
    min_totals: Mapping[Award, Decimal] = field(default_factory=dict)

    def __post_init__(self):
        if self.prize is None and self.medal is None:
            raise ValueError("prize: an award config needs a prize scheme, a medal scheme or both")
        if self.prize is not None and not isinstance(self.prize, PrizeScheme):
            raise ValueError("prize must be a PrizeScheme")
        if self.medal is not None and not isinstance(self.medal, MedalScheme):
            raise ValueError("medal must be a MedalScheme")
        if not isinstance(self.min_totals, Mapping):
            raise ValueError("min_totals must map awards to totals")
        given = self.awards_given()
        minimums = {}
        for award, minimum in self.min_totals.items():
            name = f"min_totals.{getattr(award, 'value', award)}"
            if award not in given:
                raise ValueError(f"{name}: this config gives no such award")
            minimums[award] = _amount(minimum, name)
        object.__setattr__(self, "min_totals", {a: minimums[a] for a in Award if a in minimums})

    @property
    def excellence(self) -> ExcellenceRule | None:
        """The one 优胜奖 rule that applies: the prize scheme's if it has one."""
        if self.prize is not None and self.prize.excellence is not None:
            return self.prize.excellence
        return self.medal.excellence if self.medal is not None else None

    def awards_given(self) -> list[Award]:
        """The awards this config can give, in Award order."""
        given = set(PRIZES if self.prize else ()) | set(MEDALS if self.medal else ())
        if self.excellence is not None:
            given.add(Award.EXCELLENCE)
        return [award for award in Award if award in given]

    def to_json(self) -> dict[str, Any]:
        return {"prize": self.prize.to_json() if self.prize else None,
                "medal": self.medal.to_json() if self.medal else None,
                "min_totals": {a.value: str(m) for a, m in self.min_totals.items()}}

    @classmethod
    def from_json(cls, data: Any) -> "AwardConfig":
        """The config stored by to_json; ValueError names the first bad field."""
        data = _fields(data, "config", {"prize", "medal", "min_totals"})
        prize = None if data.get("prize") is None else PrizeScheme.from_json(data["prize"])
        medal = None if data.get("medal") is None else MedalScheme.from_json(data["medal"])
        raw = data.get("min_totals") or {}
        if not isinstance(raw, Mapping):
            raise ValueError("min_totals must map award names to totals")
        min_totals = {}
        for value, minimum in raw.items():
            try:
                award = Award(value)
            except ValueError:
                raise ValueError(f"min_totals.{value} is not an award") from None
            min_totals[award] = minimum
        return cls(prize=prize, medal=medal, min_totals=min_totals)

    @classmethod
    def from_legacy(cls, scheme: str, options: Mapping[str, int] | None = None,
                    min_total: Decimal | None = None) -> "AwardConfig":
        """The config that gives exactly what `assign_awards(…, scheme, min_total=…,
        **options)` gives: the one minimum applies to every award."""
        if scheme not in AWARD_SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not an award scheme")
        options = dict(options or {})
        preset = AWARD_SCHEMES[scheme]
        award_bands(scheme, 0, **options)  # refuses unknown or bad options
        merged = {**preset.defaults, **options}
        if scheme == "fixed_counts":
            config = cls(prize=PrizeScheme(
                counts=(merged["first"], merged["second"], merged["third"])))
        elif scheme == "prizes_10_20_30":
            config = cls(prize=PrizeScheme(shares=TEN_TWENTY_THIRTY))
        else:
            share = Fraction(1, 2) if scheme == "medals_half" else Fraction(2, 3)
            config = cls(medal=MedalScheme(excellence=ExcellenceRule(share=share)))
        if min_total is None:
            return config
        return cls(prize=config.prize, medal=config.medal,
                   min_totals=dict.fromkeys(config.awards_given(), min_total))


# What decided an award: the rule step, and how the organiser preview names it.
STEPS = {
    "prize_count": _l("A fixed number of places"),
    "prize_share": _l("A share of the entrants, the cut-off place rounded up"),
    "medal_place": _l("Gold, silver and bronze for places 1 to 3"),
    "excellence_places": _l("A fixed number of places after the other awards"),
    "excellence_share": _l("Down to a share of the entrants, the cut-off place rounded up"),
    "excellence_min_total": _l("Every other entrant reaching the minimum total"),
}


@dataclass(frozen=True)
class Band:
    """One award's places, after rounding: first_place to last_place (none when first is past
    last), and the minimum total it requires, if any."""

    award: Award
    first_place: int
    last_place: int
    step: str
    min_total: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return self.first_place > self.last_place

    @property
    def rule(self) -> Any:
        return STEPS[self.step]


@dataclass(frozen=True)
class Decision:
    """Why an entry has (granted) or was refused (below the band's minimum total) an award."""

    award: Award
    step: str
    granted: bool
    rank: int
    first_place: int
    last_place: int
    min_total: Decimal | None = None
    total: Decimal | None = None

    @property
    def rule(self) -> Any:
        return STEPS[self.step]


@dataclass(frozen=True)
class AwardPlan(Generic[Key]):
    """What `plan_awards` decided: the bands per scheme (prize scheme first) and, per entry,
    its awards (prize first, then medal) and the decision behind each band it fell in."""

    entrants: int
    bands: tuple[Band, ...]
    awards: Mapping[Key, tuple[Award, ...]]
    decisions: Mapping[Key, tuple[Decision, ...]]

    @property
    def cut_offs(self) -> dict[Award, tuple[int, int] | None]:
        """Each award's places (first, last) after rounding; None when it has no place."""
        return {band.award: None if band.is_empty else (band.first_place, band.last_place)
                for band in self.bands}


def _scheme_bands(scheme: PrizeScheme | MedalScheme, excellence: ExcellenceRule | None,
                  n: int) -> list[Band]:
    """One scheme's bands for n entrants; each starts after the furthest place before it."""
    if isinstance(scheme, MedalScheme):
        lasts = [(medal, place, "medal_place") for place, medal in enumerate(MEDALS, start=1)]
    elif scheme.counts is not None:
        running = [sum(scheme.counts[:i + 1]) for i in range(3)]
        lasts = [(award, last, "prize_count") for award, last in zip(PRIZES, running, strict=True)]
    else:
        lasts = [(award, ceil_share(n, share.numerator, share.denominator), "prize_share")
                 for award, share in zip(PRIZES, scheme.shares, strict=True)]
    if excellence is not None:
        before = max(last for _award, last, _step in lasts)
        if excellence.places is not None:
            lasts.append((Award.EXCELLENCE, before + excellence.places, "excellence_places"))
        elif excellence.share is not None:
            share = excellence.share
            lasts.append((Award.EXCELLENCE, ceil_share(n, share.numerator, share.denominator),
                          "excellence_share"))
        else:
            lasts.append((Award.EXCELLENCE, n, "excellence_min_total"))
    bands, furthest = [], 0
    for award, last, step in lasts:
        bands.append(Band(award, furthest + 1, min(last, n), step))
        furthest = max(furthest, last)
    return bands


def _bands_by_scheme(config: AwardConfig, n: int) -> list[list[Band]]:
    """The bands of each scheme in `config` (prize scheme first), each with its minimum."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError("the number of entrants must be a whole number ≥ 0")
    schemes = []
    if config.prize is not None:
        schemes.append(_scheme_bands(config.prize, config.prize.excellence, n))
    if config.medal is not None:
        prize_has_it = config.prize is not None and config.prize.excellence is not None
        schemes.append(_scheme_bands(
            config.medal, None if prize_has_it else config.medal.excellence, n))
    for bands in schemes:
        for i, band in enumerate(bands):
            minimum = config.min_totals.get(band.award)
            if band.step == "excellence_min_total":
                own = config.excellence.min_total
                minimum = own if minimum is None else max(own, minimum)
            bands[i] = Band(band.award, band.first_place, band.last_place, band.step, minimum)
    return schemes


def award_plan_bands(config: AwardConfig, n: int) -> tuple[Band, ...]:
    """The bands of `config` for n entrants, prize scheme first: what the preview shows."""
    return tuple(band for bands in _bands_by_scheme(config, n) for band in bands)


def plan_awards(ranked: Sequence[tuple[Key, int]], config: AwardConfig, *,
                totals: Mapping[Key, Decimal] | None = None) -> AwardPlan[Key]:
    """Each ranked entry's awards under `config`, with the bands and the reason for each.

    `ranked` holds (entry key, rank) for every ranked entrant of one event, ranks shared on a
    tie (1, 2, 2, 4); n = len(ranked) is the base of every share. `totals` is needed for the
    entries whose band has a minimum total. Within each scheme an entry gets the first band
    whose last place is at or after its rank, unless its total is below that band's minimum.
    """
    ranked = list(ranked)
    check_ranking(ranked)
    if not isinstance(config, AwardConfig):
        raise TypeError("config must be an AwardConfig")
    schemes = _bands_by_scheme(config, len(ranked))
    awards: dict[Key, tuple[Award, ...]] = {}
    decisions: dict[Key, tuple[Decision, ...]] = {}
    for key, rank in ranked:
        granted, reasons = [], []
        for scheme_bands in schemes:
            band = next((b for b in scheme_bands if rank <= b.last_place), None)
            if band is None:
                continue
            total = None
            if band.min_total is not None:
                if totals is None:
                    raise ValueError("a minimum total needs the entries' totals")
                if key not in totals:
                    raise ValueError(f"no total for entry {key!r}")
                total = totals[key]
                if isinstance(total, float):
                    raise TypeError("totals must be Decimals, never floats")
            ok = total is None or total >= band.min_total
            reasons.append(Decision(band.award, band.step, ok, rank, band.first_place,
                                    band.last_place, band.min_total, total))
            if ok:
                granted.append(band.award)
        awards[key] = tuple(granted)
        decisions[key] = tuple(reasons)
    return AwardPlan(len(ranked), tuple(b for bands in schemes for b in bands), awards,
                     decisions)


@dataclass(frozen=True)
class AwardPreset:
    """A named config an organiser picks (and may copy and edit): its label, where it was
    published, how pages cite it, and the numbers the organiser sets with their defaults."""

    label: Any  # a lazy string
    source: str
    citation: str
    build: Callable[..., AwardConfig]
    defaults: Mapping[str, int] = field(default_factory=dict)

    def config(self, **options: int) -> AwardConfig:
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]} is not an option of this preset")
        return self.build(**{**self.defaults, **options})


def guizhou_2023(*, excellence: int = 0) -> AwardConfig:
    """一等奖 1, 二等奖 2, 三等奖 5, then `excellence` 优胜奖 places (the organisers set the number;
    the report gives none, so the default is 0), and gold, silver, bronze for places 1–3."""
    return AwardConfig(
        prize=PrizeScheme(counts=(1, 2, 5), excellence=ExcellenceRule(places=excellence)),
        medal=MedalScheme())


def _legacy_preset(name: str) -> AwardPreset:
    scheme = AWARD_SCHEMES[name]
    return AwardPreset(scheme.label, scheme.source, scheme.citation,
                       lambda **options: AwardConfig.from_legacy(name, options),
                       scheme.defaults)


AWARD_PRESETS: dict[str, AwardPreset] = {
    **{name: _legacy_preset(name) for name in AWARD_SCHEMES},
    "guizhou_2023": AwardPreset(
        _l("Guizhou 2023: prizes 1, 2 and 5, excellence awards, medals for the top three"),
        "贵州省第一届职工职业技能大赛 report, 2023-06-27 "
        "(acronyms.dizo.com.cn/acronyms/2023/0628/73240.html)",
        CITATIONS["guizhou_2023"], guizhou_2023, {"excellence": 0}),
}


def award_citation(competition) -> str | None:
    """How pages cite the competition's award rules (RULES.md E), in Chinese; None when its
    organisers set rules of their own."""
    preset = AWARD_PRESETS.get(competition.award_scheme)
    return preset.citation if preset is not None else None
