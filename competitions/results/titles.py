"""Honorary-title rules (荣誉称号): named presets from a final rank to a title (RULES.md B).

Pure functions over plain data. Everything a rule gives is a *recommendation pending approval*:
titles are granted by the granting body (人社部, the trade unions, the city), not by the
competition, so the caller stores each one as pending until an authorised person confirms it.

A rule looks at the final rank (shared on a tie, so everyone tied at an edge qualifies), the
awards the result earned (for rules keyed to awards: "the 一等奖 winners", "the medallists"),
the competition's class ("class1", "class2", "unclassified"), the event's group ("employee",
"student", "teacher") and the team size (1 for an individual event). Each member of a team
gets the team's outcome. The tier is not checked: the organiser picks the rule that matches the
competition's tier. Unclassified competitions get nothing from a class-dependent rule.

五一劳动奖章 recommendations are for 职工 only (RULES.md B): no rule gives a May Day medal to a
student or teacher group. A competition may carry several rules at once (`titles_for_all`).
"""

import enum
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from competitions.i18n import lazy_gettext as _l
from competitions.results.awards import MEDALS, Award
from competitions.results.honours import HonourTitle

Person = TypeVar("Person", bound=Hashable)

CLASSES = ("class1", "class2", "unclassified")
GROUPS = ("employee", "student", "teacher")
MAY_DAY_MEDALS = frozenset({HonourTitle.NATIONAL_MAY_DAY_MEDAL,
                            HonourTitle.PROVINCIAL_MAY_DAY_MEDAL})
MEDALLISTS = frozenset(MEDALS)


def _plain(value: Any) -> Any:
    """An enum member's value (CompetitionClass.CLASS_1 → "class1"); anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


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
    """全国职工职业技能大赛, employee group: the top `top` (1; some editions 3) → recommended
    for 全国五一劳动奖章."""
    if group != "employee":
        return None
    return _top(rank, top, HonourTitle.NATIONAL_MAY_DAY_MEDAL)


def provincial_nengshou(rank: int, competition_class: str, group: str,
                        team_size: int) -> HonourTitle | None:
    """Provincial class I top 5, class II top 3 → 省技术能手."""
    places = {"class1": 5, "class2": 3}.get(competition_class, 0)
    return _top(rank, places, HonourTitle.PROVINCIAL_TECHNICAL_EXPERT)


def provincial_wuyi(rank: int, competition_class: str, group: str,
                    team_size: int) -> HonourTitle | None:
    """Provincial class I, employee group, 1st → recommended for 省五一劳动奖章."""
    places = 1 if competition_class == "class1" and group == "employee" else 0
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
class TitleClause:
    """One line of a title rule: who qualifies, and the title they are recommended for.

    Exactly one of: `top`, the final top N (pairs `top_pairs`, teams of three or more
    `top_teams`, each defaulting to the count before it, as national_class1_nengshou counts
    5 / 3 / 2); or `awards`, the winners of any of these awards (MEDALLISTS: gold, silver,
    bronze). `employee_only` limits it to the employee group; a May Day medal always is.
    """

    title: HonourTitle
    top: int | None = None
    top_pairs: int | None = None
    top_teams: int | None = None
    awards: frozenset[Award] = frozenset()
    employee_only: bool = False

    def __post_init__(self):
        if not isinstance(self.title, HonourTitle):
            raise ValueError("title must be an HonourTitle")
        object.__setattr__(self, "awards", frozenset(Award(a) for a in self.awards))
        if (self.top is None) == (not self.awards):
            raise ValueError("a title clause needs exactly one of top, awards")
        for name in ("top", "top_pairs", "top_teams"):
            value = getattr(self, name)
            if value is not None and not _whole(value, 1):
                raise ValueError(f"{name} must be a whole number ≥ 1")
        if self.top is None and (self.top_pairs is not None or self.top_teams is not None):
            raise ValueError("top_pairs and top_teams need top")

    def qualifies(self, rank: int, awards: Collection[Award], group: str,
                  team_size: int) -> bool:
        if (self.employee_only or self.title in MAY_DAY_MEDALS) and group != "employee":
            return False
        if self.awards:
            return bool(self.awards & set(awards))
        pairs = self.top if self.top_pairs is None else self.top_pairs
        teams = pairs if self.top_teams is None else self.top_teams
        return rank <= (self.top if team_size == 1 else pairs if team_size == 2 else teams)


@dataclass(frozen=True)
class TitleRule:
    """A preset an organiser picks by name: what it is called, where it was published, how
    pages cite it (RULES.md E), and either its function (one title or none, taking the
    keyword options in `defaults`) or its clauses (each a title, some keyed to awards)."""

    label: Any  # a lazy string
    source: str
    title_for: Callable[..., HonourTitle | None] | None = None
    defaults: Mapping[str, int] = field(default_factory=dict)
    citation: str = ""
    clauses: tuple[TitleClause, ...] = ()

    @property
    def keyed_to_awards(self) -> bool:
        return any(clause.awards for clause in self.clauses)

    def titles(self, rank: int, awards: Collection[Award], competition_class: str, group: str,
               team_size: int, **options: int) -> list[HonourTitle]:
        """Every title the rule gives (checked input; see titles_for_all)."""
        found = [clause.title for clause in self.clauses
                 if clause.qualifies(rank, awards, group, team_size)]
        if self.title_for is not None:
            found.append(self.title_for(rank, competition_class, group, team_size, **options))
        return [title for title in found if title is not None]


NENGSHOU_CITATION = "参照浙江省（2016年）、陕西省职业技能竞赛规定"

TITLE_RULES: dict[str, TitleRule] = {
    "national_class1_nengshou": TitleRule(
        _l("National class I, employee group: National Technical Expert"),
        "人社部函〔2018〕43号; 全国技能大赛 2020", national_class1_nengshou,
        citation="参照人社部函〔2018〕43号及第一届全国技能大赛（2020年）"),
    "national_wuyi": TitleRule(
        _l("National workers' contest: National May Day Labour Medal recommendation"),
        "全国职工职业技能大赛 2015 / 2012 editions", national_wuyi, {"top": 1},
        citation="参照第五届（2015年）、第四届（2012年）全国职工职业技能大赛"),
    "provincial_nengshou": TitleRule(
        _l("Provincial class I and II: Provincial Technical Expert"),
        "浙江 2016; 陕西", provincial_nengshou, citation=NENGSHOU_CITATION),
    "provincial_wuyi": TitleRule(
        _l("Provincial class I: Provincial May Day Labour Medal recommendation"),
        "陕西; 广东", provincial_wuyi, citation="参照陕西省、广东省职业技能竞赛规定"),
    "city_nengshou": TitleRule(
        _l("City class I and II: City Technical Expert"),
        "浙江 2016", city_nengshou, citation=NENGSHOU_CITATION),
    "city_ladder": TitleRule(
        _l("City ladder: Technical Champion, Technical Pacesetter, City Technical Expert"),
        "石家庄", city_ladder, citation="参照石家庄市职工技术比赛规定"),
    "guizhou_2023": TitleRule(
        _l("Guizhou 2023: top three Provincial Technical Expert, first prizes recommended for "
           "the Provincial May Day Labour Medal"),
        "贵州省第一届职工职业技能大赛 report, 2023-06-27 "
        "(acronyms.dizo.com.cn/acronyms/2023/0628/73240.html)",
        citation="参照贵州省第一届职工职业技能大赛（2023年）",
        clauses=(TitleClause(HonourTitle.PROVINCIAL_TECHNICAL_EXPERT, top=3),
                 TitleClause(HonourTitle.PROVINCIAL_MAY_DAY_MEDAL,
                             awards=frozenset({Award.FIRST_PRIZE})))),
}


def _checked_facts(rank: Any, competition_class: Any, group: Any,
                   team_size: Any) -> tuple[str, str]:
    competition_class, group = _plain(competition_class), _plain(group)
    if competition_class not in CLASSES:
        raise ValueError(f"unknown competition class {competition_class!r}")
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    if not _whole(rank, 1):
        raise ValueError(f"rank {rank!r} is not a whole number ≥ 1")
    if not _whole(team_size, 1):
        raise ValueError(f"team size {team_size!r} is not a whole number ≥ 1")
    return competition_class, group


def _checked_options(rule_name: str, rule: TitleRule, options: Mapping[str, Any]) -> dict:
    unknown = set(options) - set(rule.defaults)
    if unknown:
        raise ValueError(f"{rule_name} takes no option {', '.join(sorted(unknown))}")
    merged = {**rule.defaults, **options}
    for name, value in merged.items():
        if not _whole(value, 1):
            raise ValueError(f"{rule_name} option {name} must be a whole number ≥ 1")
    return merged


def _checked_awards(awards: Iterable[Any]) -> frozenset[Award]:
    try:
        return frozenset(Award(award) for award in awards)
    except (TypeError, ValueError):
        raise ValueError(f"awards {awards!r} are not all awards") from None


def titles_for(rule_name: str, *, rank: int, competition_class: str, group: str,
               team_size: int = 1, awards: Collection[Award] | None = None,
               **options: int) -> HonourTitle | None:
    """The title `rule_name` recommends for a final `rank` (None: none), pending approval.

    `competition_class` and `group` are the string values of CompetitionClass and EventGroup
    (a member is accepted too); `options` are the rule's own (national_wuyi: top). A rule keyed
    to awards needs the result's `awards`; a rule that can give several titles at once
    (guizhou_2023) refuses when it does: use titles_for_all.
    """
    rule = TITLE_RULES[rule_name]
    competition_class, group = _checked_facts(rank, competition_class, group, team_size)
    merged = _checked_options(rule_name, rule, options)
    if rule.keyed_to_awards and awards is None:
        raise ValueError(f"{rule_name} is keyed to awards: pass the result's awards")
    found = rule.titles(rank, _checked_awards(awards or ()), competition_class, group,
                        team_size, **merged)
    if len(found) > 1:
        raise ValueError(f"{rule_name} gives several titles here: use titles_for_all")
    return found[0] if found else None


RuleChoice = tuple[str, Mapping[str, int]] | TitleClause


def titles_for_all(rules: Sequence[RuleChoice], *, rank: int, awards: Collection[Award],
                   competition_class: str, group: str,
                   team_size: int = 1) -> list[HonourTitle]:
    """Every title the competition's rules recommend for one result, pending approval.

    `rules` holds the competition's rules: (preset name, its options) pairs, or an organiser's
    own TitleClause. `awards` are the awards the result earned (none: an empty list). Each
    title is listed once, in HonourTitle order; a May Day medal only for the employee group.
    """
    competition_class, group = _checked_facts(rank, competition_class, group, team_size)
    held = _checked_awards(awards)
    found: set[HonourTitle] = set()
    for choice in rules:
        if isinstance(choice, TitleClause):
            if choice.qualifies(rank, held, group, team_size):
                found.add(choice.title)
            continue
        rule_name, options = choice
        rule = TITLE_RULES[rule_name]
        merged = _checked_options(rule_name, rule, options or {})
        found.update(rule.titles(rank, held, competition_class, group, team_size, **merged))
    if group != "employee":
        found -= MAY_DAY_MEDALS
    return [title for title in HonourTitle if title in found]


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
