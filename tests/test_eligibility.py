"""Event eligibility: each rule refuses on its own and names itself."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.promotion.levels import SkillLevel
from competitions.registration.eligibility import Entrant, EventRules, check_eligibility
from competitions.registration.sex import Sex

FIRST_DAY = date(2026, 10, 10)


def rules(**overrides):
    values = {"first_day": FIRST_DAY, "group": "employee"}
    values.update(overrides)
    return EventRules(**values)


def entrant(**overrides):
    values = {"birth_date": date(1990, 5, 17), "sex": Sex.MALE, "group": "employee",
              "skill_level": SkillLevel.LEVEL_3}
    values.update(overrides)
    return Entrant(**values)


def failed(entrant_, rules_):
    return [refusal.rule for refusal in check_eligibility(entrant_, rules_)]


def test_an_ordinary_worker_is_eligible():
    assert failed(entrant(), rules()) == []


@pytest.mark.parametrize("birth, expected", [
    (date(2010, 10, 10), []),            # 16 exactly on the first day
    (date(2010, 10, 11), ["age"]),       # one day short of 16
])
def test_minimum_age_is_measured_on_the_first_day(birth, expected):
    assert failed(entrant(birth_date=birth), rules()) == expected


def test_maximum_age():
    assert failed(entrant(birth_date=date(1975, 10, 10)), rules(max_age=50)) == ["age"]
    assert failed(entrant(birth_date=date(1976, 10, 10)), rules(max_age=50)) == []


def test_men_past_statutory_retirement_are_refused():
    # Born 1965-06: retires at 60 years 2 months, in 2025-08; the contest is in 2026.
    assert failed(entrant(birth_date=date(1965, 6, 1)), rules()) == ["retirement"]
    assert failed(entrant(birth_date=date(1965, 6, 1)), rules(until_retirement=False)) == []


def test_the_female_retirement_base_is_a_setting():
    woman = entrant(birth_date=date(1974, 1, 1), sex=Sex.FEMALE)  # 52 on the first day
    assert failed(woman, rules(female_retirement_base=55)) == []
    assert failed(woman, rules(female_retirement_base=50)) == ["retirement"]


def test_skill_level_bounds():
    assert failed(entrant(skill_level=SkillLevel.LEVEL_4), rules(min_level=SkillLevel.LEVEL_3)) \
        == ["level"]
    assert failed(entrant(skill_level=None), rules(min_level=SkillLevel.LEVEL_5)) == ["level"]
    assert failed(entrant(skill_level=SkillLevel.LEVEL_1), rules(max_level=SkillLevel.LEVEL_2)) \
        == ["level"]
    assert failed(entrant(skill_level=SkillLevel.LEVEL_2), rules(max_level=SkillLevel.LEVEL_2)) \
        == []


def test_group_must_match():
    assert failed(entrant(group="student"), rules()) == ["group"]


def test_barring_titles():
    holder = entrant(titles=frozenset({"national_technical_expert"}))
    assert failed(holder, rules(barred_titles=frozenset({"national_technical_expert"}))) \
        == ["title"]
    assert failed(holder, rules(barred_titles=frozenset({"china_skills_award"}))) == []


def test_nomination_required():
    assert failed(entrant(), rules(nomination_required=True)) == ["nomination"]
    assert failed(entrant(nominated=True), rules(nomination_required=True)) == []


def test_every_failed_rule_is_reported_not_just_the_first():
    assert failed(entrant(birth_date=date(2012, 1, 1), group="student", skill_level=None),
                  rules(min_level=SkillLevel.LEVEL_5, nomination_required=True)) \
        == ["age", "group", "level", "nomination"]


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 1, 1)),
       st.integers(min_value=14, max_value=30))
def test_min_age_refusal_matches_the_age_on_the_first_day(birth, minimum):
    refused = "age" in failed(entrant(birth_date=birth),
                              rules(min_age=minimum, until_retirement=False))
    before_birthday = (FIRST_DAY.month, FIRST_DAY.day) < (birth.month, birth.day)
    age = FIRST_DAY.year - birth.year - before_birthday
    assert refused == (age < minimum)
