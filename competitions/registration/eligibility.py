"""Who may enter an event: pure rules over plain data, one named refusal per failed rule."""

from dataclasses import dataclass, field
from datetime import date

from competitions.i18n import lazy_gettext as _l
from competitions.promotion.levels import SkillLevel
from competitions.registration.retirement import retirement_date
from competitions.registration.sex import Sex
from competitions.results.honours import HonourTitle


@dataclass(frozen=True)
class EventRules:
    first_day: date
    group: str
    min_age: int | None = 16
    max_age: int | None = None
    until_retirement: bool = True
    female_retirement_base: int = 55
    min_level: SkillLevel | None = None
    max_level: SkillLevel | None = None
    barred_titles: frozenset[str] = field(default_factory=frozenset)
    nomination_required: bool = False


@dataclass(frozen=True)
class Entrant:
    birth_date: date
    sex: Sex
    group: str
    skill_level: SkillLevel | None = None
    titles: frozenset[str] = field(default_factory=frozenset)
    nominated: bool = False


@dataclass(frozen=True)
class Refusal:
    rule: str  # age, retirement, level, group, title, nomination
    message: object  # a lazily translated sentence

    def __str__(self) -> str:
        return str(self.message)


class TitleNames:
    """Title values shown by their labels, in the language in force when the message renders."""

    def __init__(self, values: list[str]):
        self.values = values

    def __str__(self) -> str:
        labels = {title.value: title.label for title in HonourTitle}
        return "、".join(str(labels.get(value, value)) for value in self.values)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_eligibility(entrant: Entrant, rules: EventRules) -> list[Refusal]:
    """Every rule the entrant fails, in a fixed order; an empty list means eligible."""
    refusals = []
    age = age_on(entrant.birth_date, rules.first_day)
    if rules.min_age is not None and age < rules.min_age:
        refusals.append(Refusal("age", _l(
            "Aged %(age)d on the first day of the contest; the minimum is %(min)d.",
            age=age, min=rules.min_age)))
    if rules.max_age is not None and age > rules.max_age:
        refusals.append(Refusal("age", _l(
            "Aged %(age)d on the first day of the contest; the maximum is %(max)d.",
            age=age, max=rules.max_age)))
    if rules.until_retirement:
        retires = retirement_date(entrant.birth_date, entrant.sex, rules.female_retirement_base)
        if retires <= rules.first_day:
            refusals.append(Refusal("retirement", _l(
                "Reached statutory retirement age on %(date)s, before the contest.",
                date=retires.isoformat())))
    if entrant.group != rules.group:
        refusals.append(Refusal("group", _l("This event is for another group.")))
    if rules.min_level is not None and (
            entrant.skill_level is None or entrant.skill_level < rules.min_level):
        refusals.append(Refusal("level", _l(
            "The event requires at least the skill level %(level)s.",
            level=rules.min_level.label)))
    if rules.max_level is not None and entrant.skill_level is not None \
            and rules.max_level < entrant.skill_level:
        refusals.append(Refusal("level", _l(
            "The event is open only up to the skill level %(level)s.",
            level=rules.max_level.label)))
    barred = sorted(entrant.titles & rules.barred_titles)
    if barred:
        refusals.append(Refusal("title", _l(
            "Holders of the title %(title)s may not enter this event.", title=TitleNames(barred))))
    if rules.nomination_required and not entrant.nominated:
        refusals.append(Refusal("nomination", _l(
            "This event requires a nomination, and there is none for this worker.")))
    return refusals
