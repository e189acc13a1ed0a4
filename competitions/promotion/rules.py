"""Promotion to a higher skill level (晋升职业技能等级) by competition result (RULES.md C).

Pure functions over plain data. A named, versioned RuleSet, which an organiser picks (and may
copy and edit), says which final places, shares of entrants or awards promote to which level,
for employees (职工组; teachers follow their column) and for students (学生组). `assess`
computes *eligibility* only: the human-resources authority confirms or declines it (核准).

`assess` makes these checks in order and reports the first that fails:

1. the occupation has a national occupational standard, when the rules need one (安徽);
2. some band promotes the person's group at all, else GROUP_NOT_COVERED;
3. the first band the standing falls in: places first ≤ rank ≤ last; a share band's places
   from `cutoffs`; any one of a band's awards. Ranks are shared on a tie (1, 2, 2, 4), so all
   tied at a band's last place are in it. In no band: NOT_IN_BAND; in a band that promotes
   no one of the person's group (national_class1_2015, places 6–20, students): GROUP_NOT_COVERED;
4. the theory and the practical pass marks, when set: both must be reached, and a missing
   score reaches neither;
5. at most one competition promotion per calendar year, when the rules say so (天津): an
   earlier promotion confirmed in the calendar year of `on` blocks, one in the year before
   does not;
6. the current level is known, else LEVEL_UNKNOWN. It comes last of the checks because it is
   the one gap HR can still fill: whoever is refused whatever their level (out of the bands,
   below a pass mark, promoted already this year) is told that, not asked for a level that
   would change nothing. It is an outcome, never an error;
7. the target: below it → the target; at or above it but below the cap → one level up
   ("+1"); at or above the cap → AT_CAP.

Nothing promotes past 高级技师 (SkillLevel.LEVEL_1): every published rule stops there, so a
target or cap above it is refused and competitions never promote to 特级技师 or 首席技师.
"""

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from competitions.promotion.levels import SkillLevel
from competitions.results.awards import Award, ceil_share

# The one table of level names used in reasons and forms: the short forms.
LEVEL_NAMES: dict[SkillLevel, str] = {
    SkillLevel.APPRENTICE: "学徒工",
    SkillLevel.LEVEL_5: "初级工",
    SkillLevel.LEVEL_4: "中级工",
    SkillLevel.LEVEL_3: "高级工",
    SkillLevel.LEVEL_2: "技师",
    SkillLevel.LEVEL_1: "高级技师",
    SkillLevel.PRINCIPAL: "特级技师",
    SkillLevel.CHIEF: "首席技师",
}
GROUP_NAMES = {"employee": "职工组", "student": "学生组", "teacher": "教师组"}
HIGHEST = SkillLevel.LEVEL_1  # no competition promotes past 高级技师
AWARD_VALUES = tuple(award.value for award in Award)


class ReasonCode(enum.Enum):
    """Why a person is or is not eligible; the values are stored in the database."""

    ELIGIBLE = "eligible"
    NOT_IN_BAND = "not_in_band"
    AT_CAP = "at_cap"
    PROMOTED_THIS_YEAR = "promoted_this_year"
    BELOW_PASS_MARK = "below_pass_mark"
    LEVEL_UNKNOWN = "level_unknown"
    NO_NATIONAL_STANDARD = "no_national_standard"
    GROUP_NOT_COVERED = "group_not_covered"


class RuleError(ValueError):
    """A refused setting; `field` is its path in the stored rules (bands[1].shares)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message

    def within(self, path: str) -> "RuleError":
        return RuleError(f"{path}.{self.field}" if self.field else path, self.message)


def _within(path: str, build: Callable[[], Any]) -> Any:
    """Build a nested part, naming a refused field by its full path."""
    try:
        return build()
    except RuleError as error:
        raise error.within(path) from None


def _level(value: Any, name: str) -> SkillLevel:
    try:
        return SkillLevel.coerce(value)
    except ValueError:
        raise RuleError(name, "must be a skill level: "
                              + ", ".join(level.value for level in SkillLevel)) from None


def _whole(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise RuleError(name, f"must be a whole number ≥ {least}")
    return value


def _share(value: Any, name: str) -> Fraction:
    """A share of entrants, exact: a Fraction, a Decimal, an int or text ("1/5"); no float."""
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int | str):
        raise RuleError(name, 'must be a share such as "1/5" or "0.2" (never a float)')
    try:
        share = Fraction(value)
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise RuleError(name, 'must be a share such as "1/5" or "0.2"') from None
    if not 0 <= share <= 1:
        raise RuleError(name, "must be a share between 0 and 1")
    return share


def _mark(value: Any, name: str) -> Decimal:
    """A score or pass mark: a Decimal, an int or decimal text, finite and ≥ 0; no float."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise RuleError(name, "must be a Decimal or decimal text, never a float")
    try:
        mark = Decimal(value)
    except ArithmeticError:
        raise RuleError(name, "must be a decimal number") from None
    if not mark.is_finite() or mark < 0:
        raise RuleError(name, "must be a decimal number ≥ 0")
    return mark


def _pair(value: Any, name: str) -> Sequence[Any]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise RuleError(name, "must list two values: from and to")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(name, "must be a non-empty text")
    return value


def _fields(data: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise RuleError("", "must be an object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise RuleError(str(unknown[0]), "is not a setting")
    return data


@dataclass(frozen=True)
class GroupTarget:
    """One group's column of a band: → `target`; a person already at or above it goes up one
    level instead, never past `cap` (cap == target: no "+1" clause)."""

    target: SkillLevel
    cap: SkillLevel

    def __post_init__(self):
        target, cap = _level(self.target, "target"), _level(self.cap, "cap")
        if target < SkillLevel.LEVEL_5:
            raise RuleError("target", "must be 初级工 or above")
        if target > HIGHEST:
            raise RuleError("target", "must not be above 高级技师")
        if cap > HIGHEST:
            raise RuleError("cap", "must not be above 高级技师: competitions never promote past it")
        if cap < target:
            raise RuleError("cap", "must not be below the target")
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "cap", cap)

    def to_json(self) -> dict[str, str]:
        return {"target": self.target.value, "cap": self.cap.value}

    @classmethod
    def from_json(cls, data: Any) -> "GroupTarget":
        data = _fields(data, ("target", "cap"))
        return cls(target=data.get("target"), cap=data.get("cap"))


@dataclass(frozen=True)
class Band:
    """Who a band takes (exactly one of `ranks`, `shares`, `awards`) and what it promotes each
    group to; `student` None: this band promotes no students.

    `ranks` (first, last) are places, inclusive. `shares` (after, up_to] are cumulative shares
    of entrants: top 20 % is (0, 1/5], 21–40 % is (1/5, 2/5]; each cut-off place is rounded up.
    `awards` are Award values: any one of them is enough.
    """

    label: str
    ranks: tuple[int, int] | None = None
    shares: tuple[Fraction, Fraction] | None = None
    awards: frozenset[str] | None = None
    employee: GroupTarget | None = None
    student: GroupTarget | None = None

    def __post_init__(self):
        _text(self.label, "label")
        given = [name for name in ("ranks", "shares", "awards") if getattr(self, name) is not None]
        if len(given) != 1:
            raise RuleError(given[1] if given else "ranks",
                            "a band needs exactly one of ranks, shares, awards")
        if self.ranks is not None:
            first, last = (_whole(place, f"ranks[{i}]", 1)
                           for i, place in enumerate(_pair(self.ranks, "ranks")))
            if last < first:
                raise RuleError("ranks", "the last place must not come before the first")
            object.__setattr__(self, "ranks", (first, last))
        if self.shares is not None:
            after, up_to = (_share(share, f"shares[{i}]")
                            for i, share in enumerate(_pair(self.shares, "shares")))
            if up_to <= after:
                raise RuleError("shares", "the band must end after it starts: (after, up to]")
            object.__setattr__(self, "shares", (after, up_to))
        if self.awards is not None:
            if isinstance(self.awards, str | Mapping) or not isinstance(self.awards, Iterable):
                raise RuleError("awards", "must list awards")
            awards = frozenset(getattr(award, "value", award) for award in self.awards)
            unknown = sorted(str(award) for award in awards if award not in AWARD_VALUES)
            if unknown or not awards:
                raise RuleError("awards", f"must list awards among {', '.join(AWARD_VALUES)}")
            object.__setattr__(self, "awards", awards)
        for group in ("employee", "student"):
            if not isinstance(getattr(self, group), GroupTarget | None):
                raise RuleError(group, "must be a GroupTarget")
        if self.employee is None and self.student is None:
            raise RuleError("employee", "a band must promote employees, students or both")

    def places(self, entrants: int) -> tuple[int, int] | None:
        """The band's places (first, last) among `entrants`, first > last when it has none;
        None for a band of awards."""
        if self.ranks is not None:
            return self.ranks[0], min(self.ranks[1], entrants)
        if self.shares is not None:
            after, up_to = self.shares
            return (ceil_share(entrants, after.numerator, after.denominator) + 1,
                    ceil_share(entrants, up_to.numerator, up_to.denominator))
        return None

    def takes(self, standing: "Standing") -> bool:
        if self.awards is not None:
            return bool(self.awards & standing.awards)
        first, last = self.places(standing.entrants)
        return first <= standing.rank <= last

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "ranks": list(self.ranks) if self.ranks else None,
            "shares": [str(share) for share in self.shares] if self.shares else None,
            "awards": ([value for value in AWARD_VALUES if value in self.awards]
                       if self.awards is not None else None),
            "employee": self.employee.to_json() if self.employee else None,
            "student": self.student.to_json() if self.student else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> "Band":
        data = _fields(data, ("label", "ranks", "shares", "awards", "employee", "student"))
        groups = {group: None if data.get(group) is None
                  else _within(group, lambda group=group: GroupTarget.from_json(data[group]))
                  for group in ("employee", "student")}
        return cls(label=data.get("label"), ranks=data.get("ranks"), shares=data.get("shares"),
                   awards=data.get("awards"), **groups)


@dataclass(frozen=True)
class RuleSet:
    """A promotion rule: its bands (the first that takes a standing wins) and conditions."""

    name: str  # a preset key, or "custom"
    version: int
    cited_as: str  # in Chinese (RULES.md E)
    bands: tuple[Band, ...]
    one_per_year: bool = False
    pass_theory: Decimal | None = None
    pass_practical: Decimal | None = None
    needs_national_standard: bool = False

    def __post_init__(self):
        _text(self.name, "name")
        _whole(self.version, "version", 1)
        _text(self.cited_as, "cited_as")
        if isinstance(self.bands, str | Mapping) or not isinstance(self.bands, Iterable):
            raise RuleError("bands", "must list the bands")
        bands = tuple(self.bands)
        if not bands:
            raise RuleError("bands", "must list at least one band")
        labels = set()
        for i, band in enumerate(bands):
            if not isinstance(band, Band):
                raise RuleError(f"bands[{i}]", "must be a Band")
            if band.label in labels:  # an outcome names its band by the label
                raise RuleError(f"bands[{i}].label", "must differ from the other bands' labels")
            labels.add(band.label)
        object.__setattr__(self, "bands", bands)
        for name in ("one_per_year", "needs_national_standard"):
            if not isinstance(getattr(self, name), bool):
                raise RuleError(name, "must be true or false")
        for name in ("pass_theory", "pass_practical"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _mark(getattr(self, name), name))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "cited_as": self.cited_as,
            "bands": [band.to_json() for band in self.bands],
            "one_per_year": self.one_per_year,
            "pass_theory": None if self.pass_theory is None else str(self.pass_theory),
            "pass_practical": None if self.pass_practical is None else str(self.pass_practical),
            "needs_national_standard": self.needs_national_standard,
        }

    @classmethod
    def from_json(cls, data: Any) -> "RuleSet":
        """The rules stored by to_json; ValueError (RuleError) names the first bad field."""
        data = _fields(data, ("name", "version", "cited_as", "bands", "one_per_year",
                              "pass_theory", "pass_practical", "needs_national_standard"))
        raw = data.get("bands")
        if not isinstance(raw, list):
            raise RuleError("bands", "must list the bands")
        bands = [_within(f"bands[{i}]", lambda band=band: Band.from_json(band))
                 for i, band in enumerate(raw)]
        return cls(name=data.get("name"), version=data.get("version"),
                   cited_as=data.get("cited_as"), bands=tuple(bands),
                   one_per_year=data.get("one_per_year", False),
                   pass_theory=data.get("pass_theory"),
                   pass_practical=data.get("pass_practical"),
                   needs_national_standard=data.get("needs_national_standard", False))


@dataclass(frozen=True)
class Standing:
    """A final result: its rank (shared on a tie) among `entrants`, its awards (Award values),
    and its theory and practical scores where the rules set pass marks."""

    rank: int
    entrants: int
    awards: frozenset[str] = frozenset()
    theory: Decimal | None = None
    practical: Decimal | None = None

    def __post_init__(self):
        _whole(self.entrants, "entrants", 1)
        if _whole(self.rank, "rank", 1) > self.entrants:
            raise RuleError("rank", "must not be past the number of entrants")
        object.__setattr__(self, "awards",
                           frozenset(getattr(award, "value", award) for award in self.awards))
        for name in ("theory", "practical"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _mark(getattr(self, name), name))


@dataclass(frozen=True)
class Person:
    """The entrant as promotion sees them: group (an EventGroup value), current level in the
    event's occupation (None: not registered), and when earlier competition promotions were
    confirmed."""

    group: str
    level: SkillLevel | None
    promoted_on: tuple[date, ...] = ()

    def __post_init__(self):
        group = getattr(self.group, "value", self.group)
        if group not in GROUP_NAMES:
            raise RuleError("group", f"must be one of {', '.join(GROUP_NAMES)}")
        object.__setattr__(self, "group", group)
        if self.level is not None:
            object.__setattr__(self, "level", _level(self.level, "level"))
        promoted_on = tuple(self.promoted_on)
        if not all(isinstance(day, date) for day in promoted_on):
            raise RuleError("promoted_on", "must list dates")
        object.__setattr__(self, "promoted_on", promoted_on)


@dataclass(frozen=True)
class Outcome:
    """What `assess` found; `reason`, in Chinese, cites the rule."""

    code: ReasonCode
    from_level: SkillLevel | None
    to_level: SkillLevel | None  # set only when eligible
    band: str | None  # the label of the band the standing fell in, if any
    reason: str

    @property
    def eligible(self) -> bool:
        return self.code is ReasonCode.ELIGIBLE


def _score(value: Decimal) -> str:
    """Two decimals, unless that would round: 59.995 must not read as the pass mark 60.00."""
    shown = f"{value:.2f}"
    return shown if Decimal(shown) == value else str(value)


def _pass_marks_missed(rules: RuleSet, standing: Standing) -> list[str]:
    missed = []
    for mark, score, name in ((rules.pass_theory, standing.theory, "理论成绩"),
                              (rules.pass_practical, standing.practical, "实操成绩")):
        if mark is None:
            continue
        if score is None:
            missed.append(f"{name}缺失，未达合格线{_score(mark)}")
        elif score < mark:
            missed.append(f"{name}{_score(score)}未达合格线{_score(mark)}")
    return missed


def _places_text(band: Band, entrants: int) -> str:
    places = band.places(entrants)
    if places is None or band.ranks is not None:
        return band.label
    first, last = places
    if first > last:
        return f"{band.label}（本次无名次）"
    shown = f"第{first}名" if first == last else f"第{first}至{last}名"
    return f"{band.label}（{shown}）"


def assess(rules: RuleSet, standing: Standing, person: Person, *,
           has_national_standard: bool, on: date) -> Outcome:
    """Whether `person` is eligible for promotion under `rules` by `standing`, decided `on`
    (its calendar year is the one the yearly limit counts); the checks are in the module doc."""

    def outcome(code, detail, band=None, to_level=None):
        return Outcome(code, person.level, to_level, band, f"{rules.cited_as}：{detail}")

    if rules.needs_national_standard and not has_national_standard:
        return outcome(ReasonCode.NO_NATIONAL_STANDARD, "该职业无国家职业标准")
    column = "student" if person.group == "student" else "employee"
    group_name = GROUP_NAMES[person.group]
    if all(getattr(band, column) is None for band in rules.bands):
        return outcome(ReasonCode.GROUP_NOT_COVERED, f"本规定不适用于{group_name}")
    band = next((band for band in rules.bands if band.takes(standing)), None)
    if band is None:
        bands = "；".join(_places_text(band, standing.entrants) for band in rules.bands)
        return outcome(ReasonCode.NOT_IN_BAND, f"第{standing.rank}名（共{standing.entrants}人）"
                       f"不在晋升范围内（{bands}）")
    target = getattr(band, column)
    if target is None:
        return outcome(ReasonCode.GROUP_NOT_COVERED, f"{band.label}不适用于{group_name}",
                       band.label)
    rule = f"{band.label} → {LEVEL_NAMES[target.target]}"
    missed = _pass_marks_missed(rules, standing)
    if missed:
        return outcome(ReasonCode.BELOW_PASS_MARK, f"{rule}；{'；'.join(missed)}", band.label)
    if rules.one_per_year and any(day.year == on.year for day in person.promoted_on):
        return outcome(ReasonCode.PROMOTED_THIS_YEAR,
                       f"{rule}；本年度（{on.year}年）已通过竞赛晋升一次", band.label)
    level = person.level
    if level is None:
        return outcome(ReasonCode.LEVEL_UNKNOWN, f"{rule}；本职业技能等级未登记，无法认定",
                       band.label)
    if level < target.target:
        return outcome(ReasonCode.ELIGIBLE, rule, band.label, target.target)
    if level < target.cap:
        higher = level.step_up(1, target.cap)
        return outcome(ReasonCode.ELIGIBLE,
                       f"{rule}；已是{LEVEL_NAMES[level]}，晋升一级至{LEVEL_NAMES[higher]}",
                       band.label, higher)
    return outcome(ReasonCode.AT_CAP, f"{rule}；已是{LEVEL_NAMES[level]}，"
                   f"已达本规定可晋升的最高等级（{LEVEL_NAMES[target.cap]}）", band.label)


def cutoffs(rules: RuleSet, entrants: int) -> list[tuple[str, int, int]]:
    """(label, first place, last place) of each band of places or shares among `entrants`,
    what the organiser sees before publication; a band with no place has first > last."""
    _whole(entrants, "entrants", 0)
    return [(band.label, *band.places(entrants)) for band in rules.bands
            if band.awards is None]


def _column_text(target: GroupTarget | None) -> str:
    if target is None:
        return "—"
    name = LEVEL_NAMES[target.target]
    if target.cap == target.target:
        return name
    return f"{name} / 已是{name}及以上晋升一级（至多{LEVEL_NAMES[target.cap]}）"


def band_table(rules: RuleSet) -> list[tuple[str, str, str]]:
    """The table the organiser's form shows: (band, employees' column, students' column)."""
    return [(band.label, _column_text(band.employee), _column_text(band.student))
            for band in rules.bands]


# How pages cite each preset (RULES.md E); the three tianjin_2024 variants share one citation.
CITATIONS = {
    "national_class1_2015": ("参照第五届全国职工职业技能大赛（2015年）、"
                             "第三届全国印刷行业职业技能大赛（2012年）"),
    "national_skills_2020": "参照第一届全国技能大赛（2020年）",
    "tianjin_2024": "参照天津市人力资源和社会保障局职业技能竞赛晋升规定（2021年印发，2024年修订）",
    "anhui_2023": "参照安徽省省级行业职业技能竞赛规定（2023年）",
}

_L4, _L3 = SkillLevel.LEVEL_4, SkillLevel.LEVEL_3
_L2, _L1 = SkillLevel.LEVEL_2, SkillLevel.LEVEL_1


def _tianjin(name: str, band: Band) -> RuleSet:
    return RuleSet(name, 1, CITATIONS["tianjin_2024"], (band,), one_per_year=True)


PRESETS: dict[str, RuleSet] = {
    "national_class1_2015": RuleSet("national_class1_2015", 1, CITATIONS["national_class1_2015"], (
        Band("前5名", ranks=(1, 5), employee=GroupTarget(_L2, _L1), student=GroupTarget(_L3, _L3)),
        Band("第6至20名", ranks=(6, 20), employee=GroupTarget(_L3, _L2)),
    )),
    "national_skills_2020": RuleSet("national_skills_2020", 1, CITATIONS["national_skills_2020"], (
        Band("金牌、银牌、铜牌或优胜奖",
             awards=frozenset({"gold", "silver", "bronze", "excellence"}),
             employee=GroupTarget(_L2, _L1), student=GroupTarget(_L2, _L1)),
    )),
    "tianjin_2024_city1": _tianjin("tianjin_2024_city1", Band(
        "前10名", ranks=(1, 10), employee=GroupTarget(_L2, _L1), student=GroupTarget(_L3, _L3))),
    # City class II and district contests: the notice says "+1" without a cap, so the one cap
    # every published rule shares, 高级技师, applies; an organiser copies the preset to narrow it.
    "tianjin_2024_city2": _tianjin("tianjin_2024_city2", Band(
        "前6名", ranks=(1, 6), employee=GroupTarget(_L3, _L1), student=GroupTarget(_L4, _L4))),
    # Enterprise and school contests: "+1" is published without a cap. Every published cap is
    # one level above its band's target (技师 → 高级技师, 高级工 → 技师), and the lowest tier
    # should not make technicians, whom the higher tiers promote; so 中级工 → 高级工 at most.
    "tianjin_2024_enterprise": _tianjin("tianjin_2024_enterprise", Band(
        "前30%", shares=(Fraction(0), Fraction(3, 10)), employee=GroupTarget(_L4, _L3),
        student=GroupTarget(_L4, _L4))),
    # The 41–50 % band was not published, so it is left out; no student column was published.
    "anhui_2023": RuleSet("anhui_2023", 1, CITATIONS["anhui_2023"], (
        Band("前20%", shares=(Fraction(0), Fraction(1, 5)), employee=GroupTarget(_L2, _L1)),
        Band("前21%至40%", shares=(Fraction(1, 5), Fraction(2, 5)),
             employee=GroupTarget(_L3, _L2)),
    ), needs_national_standard=True),
}


def preset(name: str) -> RuleSet:
    """The shipped rules called `name` (frozen: copy with dataclasses.replace to edit)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a promotion preset") from None
