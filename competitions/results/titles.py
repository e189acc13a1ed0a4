"""Honorary-title rules (荣誉称号): named presets from a final rank to a title (RULES.md B).

Pure functions over plain data. Everything a rule gives is a *recommendation pending approval*:
titles are granted by the granting body (人社部, the trade unions, the city), not by the
competition, so the caller stores each one as pending until an authorised person confirms it.

A rule looks only at the final rank (shared on a tie, so everyone tied at an edge qualifies),
the competition's class ("class1", "class2", "unclassified"), the event's group ("employee",
"student", "teacher") and the team size (1 for an individual event). Each member of a team
gets the team's outcome. The tier is not checked: the organiser picks the rule that matches the
competition's tier. Unclassified competitions get nothing from a class-dependent rule.
"""

import enum
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from competitions.i18n import lazy_gettext as _l
from competitions.results.honours import HonourTitle

Person = TypeVar("Person", bound=Hashable)

CLASSES = ("class1", "class2", "unclassified")
GROUPS = ("employee", "student", "teacher")


def _top(rank: int, places: int, title: HonourTitle) -> HonourTitle | None:
    return title if rank <= places else None


def national_class1_nengshou(rank: int, competition_class: str, group: str,
                             team_size: int) -> HonourTitle | None:
    """National class I, employee group: final top 5 → 全国技术能手; pairs top 3, teams of three
    or more top 2 (人社部函〔2018〕43号)."""
    if competition_class != "class1" or group != "employee":
        return None
    places = 5 if team_size == 1 else 3 if team_size == 2 else 2
    return _top(rank, places, HonourTitle.NATIONAL_TECHNICAL_EXPERT)


def national_wuyi(rank: int, competition_class: str, group: str, team_size: int, *,
                  top: int) -> HonourTitle | None:
    """全国职工职业技能大赛: the top `top` (1; some editions 3) → recommended for
    全国五一劳动奖章."""
    return _top(rank, top, HonourTitle.NATIONAL_MAY_DAY_MEDAL)


def provincial_nengshou(rank: int, competition_class: str, group: str,
                        team_size: int) -> HonourTitle | None:
    """Provincial class I top 5, class II top 3 → 省技术能手."""
    places = {"class1": 5, "class2": 3}.get(competition_class, 0)
    return _top(rank, places, HonourTitle.PROVINCIAL_TECHNICAL_EXPERT)


def provincial_wuyi(rank: int, competition_class: str, group: str,
                    team_size: int) -> HonourTitle | None:
    """Provincial class I, 1st → recommended for 省五一劳动奖章."""
    places = 1 if competition_class == "class1" else 0
    return _top(rank, places, HonourTitle.PROVINCIAL_MAY_DAY_MEDAL)


def city_nengshou(rank: int, competition_class: str, group: str,
                  team_size: int) -> HonourTitle | None:
    """City class I top 2, class II 1st → 市技术能手."""
    places = {"class1": 2, "class2": 1}.get(competition_class, 0)
    return _top(rank, places, HonourTitle.CITY_TECHNICAL_EXPERT)


def city_ladder(rank: int, competition_class: str, group: str,
                team_size: int) -> HonourTitle | None:
    """1st 技术状元, 2nd 技术标兵, 3rd–10th 技术能手 (any class)."""
    if rank == 1:
        return HonourTitle.TECHNICAL_CHAMPION
    if rank == 2:
        return HonourTitle.TECHNICAL_PACESETTER
    return _top(rank, 10, HonourTitle.CITY_TECHNICAL_EXPERT)


@dataclass(frozen=True)
class TitleRule:
    """A preset an organiser picks by name: what it is called, where it was published, its
    function, and the keyword options it takes with their defaults."""

    label: Any  # a lazy string
    source: str
    title_for: Callable[..., HonourTitle | None]
    defaults: Mapping[str, int] = field(default_factory=dict)


TITLE_RULES: dict[str, TitleRule] = {
    "national_class1_nengshou": TitleRule(
        _l("National class I, employee group: National Technical Expert"),
        "人社部函〔2018〕43号; 全国技能大赛 2020", national_class1_nengshou),
    "national_wuyi": TitleRule(
        _l("National workers' contest: National May Day Labour Medal recommendation"),
        "全国职工职业技能大赛 2015 / 2012 editions", national_wuyi, {"top": 1}),
    "provincial_nengshou": TitleRule(
        _l("Provincial class I and II: Provincial Technical Expert"),
        "浙江 2016; 陕西", provincial_nengshou),
    "provincial_wuyi": TitleRule(
        _l("Provincial class I: Provincial May Day Labour Medal recommendation"),
        "陕西; 广东", provincial_wuyi),
    "city_nengshou": TitleRule(
        _l("City class I and II: City Technical Expert"),
        "浙江 2016", city_nengshou),
    "city_ladder": TitleRule(
        _l("City ladder: Technical Champion, Technical Pacesetter, City Technical Expert"),
        "石家庄", city_ladder),
}


def _plain(value: Any) -> Any:
    """An enum member's value (CompetitionClass.CLASS_1 → "class1"); anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def titles_for(rule_name: str, *, rank: int, competition_class: str, group: str,
               team_size: int = 1, **options: int) -> HonourTitle | None:
    """The title `rule_name` recommends for a final `rank` (None: none), pending approval.

    `competition_class` and `group` are the string values of CompetitionClass and EventGroup
    (a member is accepted too); `options` are the rule's own (national_wuyi: top).
    """
    rule = TITLE_RULES[rule_name]
    competition_class, group = _plain(competition_class), _plain(group)
    if competition_class not in CLASSES:
        raise ValueError(f"unknown competition class {competition_class!r}")
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    if not _whole(rank, 1):
        raise ValueError(f"rank {rank!r} is not a whole number ≥ 1")
    if not _whole(team_size, 1):
        raise ValueError(f"team size {team_size!r} is not a whole number ≥ 1")
    unknown = set(options) - set(rule.defaults)
    if unknown:
        raise ValueError(f"{rule_name} takes no option {', '.join(sorted(unknown))}")
    merged = {**rule.defaults, **options}
    for name, value in merged.items():
        if not _whole(value, 1):
            raise ValueError(f"{rule_name} option {name} must be a whole number ≥ 1")
    return rule.title_for(rank, competition_class, group, team_size, **merged)


def never_twice(candidates: Iterable[tuple[Person, HonourTitle]],
                already_held: Collection[tuple[Person, HonourTitle]],
                ) -> list[tuple[Person, HonourTitle]]:
    """The proposals left once repeats are dropped: a title is never granted twice to the same
    person (安徽 2023). Drops a (person, title) already held or pending, and any second copy
    among the candidates themselves; keeps the order of the rest."""
    seen = set(already_held)
    kept = []
    for proposal in candidates:
        if proposal not in seen:
            seen.add(proposal)
            kept.append(proposal)
    return kept
