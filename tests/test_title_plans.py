"""Title rules keyed to awards as well as ranks (pure): several rules at once, the Guizhou 2023
preset, the organiser's own clauses, and 五一 recommendations for the employee group only."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.results.awards import Award
from competitions.results.honours import HonourTitle
from competitions.results.titles import (
    MEDALLISTS,
    TITLE_RULES,
    TitleClause,
    titles_for,
    titles_for_all,
)

G, S, B, E = Award.GOLD, Award.SILVER, Award.BRONZE, Award.EXCELLENCE
P1, P2, P3 = Award.FIRST_PRIZE, Award.SECOND_PRIZE, Award.THIRD_PRIZE
NATIONAL = HonourTitle.NATIONAL_TECHNICAL_EXPERT
NATIONAL_MEDAL = HonourTitle.NATIONAL_MAY_DAY_MEDAL
PROVINCIAL = HonourTitle.PROVINCIAL_TECHNICAL_EXPERT
PROVINCIAL_MEDAL = HonourTitle.PROVINCIAL_MAY_DAY_MEDAL
CITY = HonourTitle.CITY_TECHNICAL_EXPERT
MAY_DAY = {NATIONAL_MEDAL, PROVINCIAL_MEDAL}


def titles(rules, rank, awards=(), competition_class="class1", group="employee", team_size=1):
    return titles_for_all(rules, rank=rank, awards=list(awards),
                          competition_class=competition_class, group=group,
                          team_size=team_size)


GUIZHOU = [("guizhou_2023", {})]


@pytest.mark.parametrize("rank, awards, group, team_size, expected", [
    (1, [P1, G], "employee", 1, [PROVINCIAL, PROVINCIAL_MEDAL]),  # top 3 and 一等奖
    (1, [P1, G], "student", 1, [PROVINCIAL]),                   # 五一: employees only
    (1, [P1, G], "teacher", 1, [PROVINCIAL]),
    (2, [P2, S], "employee", 1, [PROVINCIAL]),
    (3, [P2, B], "employee", 1, [PROVINCIAL]),
    (4, [P3], "employee", 1, []),
    (3, [P2, B], "employee", 2, [PROVINCIAL]),                  # the top 3 pairs too
    (1, [G], "employee", 1, [PROVINCIAL]),                      # 一等奖 withheld (minimum total)
    (2, [P1, S], "employee", 1, [PROVINCIAL, PROVINCIAL_MEDAL]),  # keyed to the award, not 1st
])
def test_guizhou_titles_follow_rank_and_award(rank, awards, group, team_size, expected):
    assert titles(GUIZHOU, rank, awards, group=group, team_size=team_size) == expected


def test_two_tied_first_both_get_both_titles():
    # Ranks 1, 1: both have first prize and gold, both are in the top 3.
    for _entry in range(2):
        assert titles(GUIZHOU, 1, [P1, G]) == [PROVINCIAL, PROVINCIAL_MEDAL]


def test_several_rules_at_once_give_each_title_once_in_title_order():
    rules = [("guizhou_2023", {}), ("provincial_wuyi", {}), ("provincial_nengshou", {}),
             ("national_wuyi", {"top": 1})]
    assert titles(rules, 1, [P1, G]) == [NATIONAL_MEDAL, PROVINCIAL, PROVINCIAL_MEDAL]
    assert titles(list(reversed(rules)), 1, [P1, G]) == \
        [NATIONAL_MEDAL, PROVINCIAL, PROVINCIAL_MEDAL]
    assert titles(rules, 5, [P3]) == [PROVINCIAL]                # provincial class I: top 5
    assert titles(rules, 1, [P1, G], group="student") == [PROVINCIAL]


@pytest.mark.parametrize("clause, rank, awards, group, team_size, expected", [
    (TitleClause(CITY, awards=MEDALLISTS), 3, [P2, B], "employee", 1, [CITY]),
    (TitleClause(CITY, awards=MEDALLISTS), 4, [P3], "employee", 1, []),
    (TitleClause(CITY, awards=MEDALLISTS), 2, [S], "student", 1, [CITY]),
    (TitleClause(CITY, awards=MEDALLISTS, employee_only=True), 2, [S], "student", 1, []),
    (TitleClause(CITY, awards=frozenset({P1, P2})), 3, [P2], "employee", 1, [CITY]),
    (TitleClause(CITY, awards=frozenset({P1, P2})), 4, [P3, E], "employee", 1, []),
    # A May Day clause is for employees whatever it says.
    (TitleClause(NATIONAL_MEDAL, awards=frozenset({G})), 1, [G], "student", 1, []),
    (TitleClause(NATIONAL_MEDAL, top=1), 1, [], "teacher", 1, []),
    # Top N, with pairs and teams counted as national_class1_nengshou counts them.
    (TitleClause(NATIONAL, top=5, top_pairs=3, top_teams=2), 5, [], "employee", 1, [NATIONAL]),
    (TitleClause(NATIONAL, top=5, top_pairs=3, top_teams=2), 4, [], "employee", 2, []),
    (TitleClause(NATIONAL, top=5, top_pairs=3, top_teams=2), 2, [], "employee", 4, [NATIONAL]),
    (TitleClause(NATIONAL, top=5, top_pairs=3, top_teams=2), 3, [], "employee", 3, []),
    (TitleClause(NATIONAL, top=5, top_pairs=3), 3, [], "employee", 3, [NATIONAL]),  # as pairs
    (TitleClause(NATIONAL, top=5), 5, [], "employee", 3, [NATIONAL]),   # no team counts: 5
])
def test_an_organiser_s_own_clause(clause, rank, awards, group, team_size, expected):
    assert titles([clause], rank, awards, group=group, team_size=team_size) == expected


@pytest.mark.parametrize("kwargs", [
    {},                                         # neither top nor awards
    {"top": 3, "awards": frozenset({G})},       # both
    {"top": 0},
    {"top": True},
    {"awards": frozenset({"platinum"})},
    {"top_pairs": 2},                           # pairs without top
])
def test_a_bad_clause_is_refused(kwargs):
    with pytest.raises(ValueError):
        TitleClause(CITY, **kwargs)


def test_titles_for_keeps_working_for_one_title_and_needs_awards_for_award_rules():
    assert titles_for("guizhou_2023", rank=2, awards=[P2, S], competition_class="class1",
                      group="employee") == PROVINCIAL
    assert titles_for("guizhou_2023", rank=4, awards=[P3], competition_class="class1",
                      group="employee") is None
    with pytest.raises(ValueError, match="keyed to awards"):
        titles_for("guizhou_2023", rank=4, competition_class="class1", group="employee")
    with pytest.raises(ValueError, match="titles_for_all"):
        titles_for("guizhou_2023", rank=1, awards=[P1, G], competition_class="class1",
                   group="employee")
    assert titles_for("provincial_nengshou", rank=1, awards=[P1], competition_class="class1",
                      group="employee") == PROVINCIAL


@pytest.mark.parametrize("rules, kwargs, error", [
    ([("galactic_hero", {})], {}, KeyError),
    ([("national_wuyi", {"top": 0})], {}, ValueError),
    ([("national_wuyi", {"places": 3})], {}, ValueError),
    (GUIZHOU, {"awards": ["platinum"]}, ValueError),
    (GUIZHOU, {"rank": 0}, ValueError),
    (GUIZHOU, {"group": "retired"}, ValueError),
])
def test_bad_input_to_titles_for_all_is_refused(rules, kwargs, error):
    args = {"rank": 1, "awards": [], "competition_class": "class1", "group": "employee",
            "team_size": 1, **kwargs}
    with pytest.raises(error):
        titles_for_all(rules, **args)


def test_guizhou_title_rule_cites_the_contest():
    rule = TITLE_RULES["guizhou_2023"]
    assert rule.keyed_to_awards
    assert rule.citation == "参照贵州省第一届职工职业技能大赛（2023年）"


# --- properties -----------------------------------------------------------------------------

RANK_RULES = sorted(name for name, rule in TITLE_RULES.items() if not rule.keyed_to_awards)
classes = st.sampled_from(["class1", "class2", "unclassified"])
groups = st.sampled_from(["employee", "student", "teacher"])
award_sets = st.sets(st.sampled_from(list(Award)), max_size=2)


@given(st.sampled_from(RANK_RULES), st.integers(1, 15), award_sets, classes, groups,
       st.integers(1, 4))
def test_titles_for_all_agrees_with_titles_for_on_one_rank_rule(rule, rank, awards,
                                                                competition_class, group,
                                                                team_size):
    facts = {"rank": rank, "competition_class": competition_class, "group": group,
             "team_size": team_size}
    single = titles_for(rule, **facts)
    assert titles_for_all([(rule, {})], awards=list(awards), **facts) == \
        ([] if single is None else [single])


@given(st.lists(st.sampled_from(sorted(TITLE_RULES)), max_size=4), st.integers(1, 15),
       award_sets, classes, st.sampled_from(["student", "teacher"]), st.integers(1, 4))
def test_no_may_day_medal_ever_goes_to_students_or_teachers(rules, rank, awards,
                                                          competition_class, group, team_size):
    got = titles_for_all([(name, {}) for name in rules], rank=rank, awards=list(awards),
                         competition_class=competition_class, group=group,
                         team_size=team_size)
    assert not MAY_DAY & set(got)
    assert len(got) == len(set(got))
