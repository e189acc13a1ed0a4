"""Honorary-title rules (pure): each preset by class, group, team size and rank edge; a better
rank never does worse; and no title twice for one person."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.contests.models import CompetitionClass, EventGroup
from competitions.results.honours import HonourTitle
from competitions.results.titles import TITLE_RULES, never_twice, titles_for

NATIONAL = HonourTitle.NATIONAL_TECHNICAL_EXPERT
NATIONAL_MEDAL = HonourTitle.NATIONAL_MAY_DAY_MEDAL
PROVINCIAL = HonourTitle.PROVINCIAL_TECHNICAL_EXPERT
PROVINCIAL_MEDAL = HonourTitle.PROVINCIAL_MAY_DAY_MEDAL
CITY = HonourTitle.CITY_TECHNICAL_EXPERT
CHAMPION = HonourTitle.TECHNICAL_CHAMPION
PACESETTER = HonourTitle.TECHNICAL_PACESETTER


def title(rule, rank, competition_class="class1", group="employee", team_size=1, **options):
    return titles_for(rule, rank=rank, competition_class=competition_class, group=group,
                      team_size=team_size, **options)


@pytest.mark.parametrize("rank, competition_class, group, team_size, expected", [
    (1, "class1", "employee", 1, NATIONAL),
    (5, "class1", "employee", 1, NATIONAL),     # individuals: top 5
    (6, "class1", "employee", 1, None),
    (3, "class1", "employee", 2, NATIONAL),     # pairs: top 3
    (4, "class1", "employee", 2, None),
    (2, "class1", "employee", 3, NATIONAL),     # trios: top 2
    (3, "class1", "employee", 3, None),
    (2, "class1", "employee", 5, NATIONAL),     # larger teams count as trios
    (3, "class1", "employee", 5, None),
    (1, "class1", "student", 1, None),          # employee group only
    (1, "class1", "teacher", 1, None),
    (1, "class2", "employee", 1, None),         # class I only
    (1, "unclassified", "employee", 1, None),
])
def test_national_class1_nengshou(rank, competition_class, group, team_size, expected):
    assert title("national_class1_nengshou", rank, competition_class, group, team_size) \
        == expected


@pytest.mark.parametrize("rank, group, options, expected", [
    (1, "employee", {}, NATIONAL_MEDAL),
    (2, "employee", {}, None),                  # 1st only by default
    (3, "employee", {"top": 3}, NATIONAL_MEDAL),  # some editions: top 3
    (4, "employee", {"top": 3}, None),
    (1, "student", {}, None),                   # the medal is for 职工, never students
    (1, "teacher", {"top": 3}, None),
])
def test_national_wuyi(rank, group, options, expected):
    assert title("national_wuyi", rank, group=group, **options) == expected


@pytest.mark.parametrize("rank, competition_class, expected", [
    (5, "class1", PROVINCIAL),
    (6, "class1", None),
    (3, "class2", PROVINCIAL),
    (4, "class2", None),
    (1, "unclassified", None),
])
def test_provincial_nengshou(rank, competition_class, expected):
    assert title("provincial_nengshou", rank, competition_class) == expected


@pytest.mark.parametrize("rank, competition_class, group, expected", [
    (1, "class1", "employee", PROVINCIAL_MEDAL),
    (2, "class1", "employee", None),
    (1, "class2", "employee", None),
    (1, "unclassified", "employee", None),
    (1, "class1", "student", None),             # employee group only
    (1, "class1", "teacher", None),
])
def test_provincial_wuyi(rank, competition_class, group, expected):
    assert title("provincial_wuyi", rank, competition_class, group) == expected


@pytest.mark.parametrize("rank, competition_class, expected", [
    (2, "class1", CITY),
    (3, "class1", None),
    (1, "class2", CITY),
    (2, "class2", None),
    (1, "unclassified", None),
])
def test_city_nengshou(rank, competition_class, expected):
    assert title("city_nengshou", rank, competition_class) == expected


@pytest.mark.parametrize("rank, expected", [
    (1, CHAMPION), (2, PACESETTER), (3, CITY), (10, CITY), (11, None),
])
@pytest.mark.parametrize("competition_class", ["class1", "class2", "unclassified"])
def test_city_ladder_applies_to_every_class(rank, competition_class, expected):
    assert title("city_ladder", rank, competition_class) == expected


def test_a_shared_rank_at_the_edge_qualifies_everyone_tied():
    # Two entrants tied 5th (ranks 1, 2, 3, 4, 5, 5): both are in the top 5.
    assert title("provincial_nengshou", 5) == PROVINCIAL
    assert title("city_ladder", 1) == CHAMPION  # two tied 1st: two champions


def test_the_string_values_of_the_enums_and_the_members_give_the_same_answer():
    assert [c.value for c in CompetitionClass] == ["class1", "class2", "unclassified"]
    assert [g.value for g in EventGroup] == ["employee", "student", "teacher"]
    assert title("provincial_nengshou", 4, CompetitionClass.CLASS_1, EventGroup.STUDENT) \
        == title("provincial_nengshou", 4, "class1", "student") == PROVINCIAL


@pytest.mark.parametrize("kwargs", [
    {"competition_class": "class3"},
    {"group": "retired"},
    {"rank": 0},
    {"rank": 1.0},
    {"team_size": 0},
    {"top": 0},
    {"places": 3},                              # an option the rule doesn't take
])
def test_bad_input_is_refused(kwargs):
    args = {"rank": 1, "competition_class": "class1", "group": "employee", "team_size": 1,
            **kwargs}
    with pytest.raises(ValueError):
        titles_for("national_wuyi", **args)


def test_an_unknown_rule_is_refused():
    with pytest.raises(KeyError):
        title("galactic_hero", 1)


def test_every_rule_has_a_label_a_source_and_a_chinese_citation():
    assert set(TITLE_RULES) == {"national_class1_nengshou", "national_wuyi",
                                "provincial_nengshou", "provincial_wuyi", "city_nengshou",
                                "city_ladder", "guizhou_2023"}
    for rule in TITLE_RULES.values():
        assert str(rule.label) and rule.source
        assert rule.citation.startswith("参照") and "http" not in rule.citation


# --- never twice --------------------------------------------------------------------------

def test_never_twice_drops_titles_already_held_or_pending():
    candidates = [("li", NATIONAL), ("wang", NATIONAL), ("li", NATIONAL_MEDAL)]
    held = {("li", NATIONAL), ("zhao", NATIONAL)}
    assert never_twice(candidates, held) == [("wang", NATIONAL), ("li", NATIONAL_MEDAL)]


def test_never_twice_drops_a_repeat_among_the_candidates_and_keeps_their_order():
    candidates = [("wang", CITY), ("li", CITY), ("wang", CITY), ("wang", CHAMPION)]
    assert never_twice(candidates, set()) == [("wang", CITY), ("li", CITY), ("wang", CHAMPION)]


def test_never_twice_with_nothing_proposed():
    assert never_twice([], {("li", CITY)}) == []


people = st.sampled_from(["li", "wang", "zhao", "sun"])
proposals = st.lists(st.tuples(people, st.sampled_from(list(HonourTitle))), max_size=12)


@given(proposals, st.sets(st.tuples(people, st.sampled_from(list(HonourTitle))), max_size=8))
def test_never_twice_keeps_each_new_title_once(candidates, held):
    kept = never_twice(candidates, held)
    assert len(kept) == len(set(kept))
    assert not set(kept) & held
    assert set(kept) == set(candidates) - held
    assert kept == sorted(kept, key=candidates.index)  # first proposals kept, in order


# --- a better rank never does worse -------------------------------------------------------

STANDING = {None: 0, CITY: 1, PACESETTER: 2, CHAMPION: 3}


def standing(outcome):
    """How good an outcome is: the ladder's own order; any other title beats none."""
    return STANDING.get(outcome, 1)


RANK_RULES = sorted(name for name, rule in TITLE_RULES.items() if not rule.keyed_to_awards)


@given(st.sampled_from(RANK_RULES),
       st.sampled_from(["class1", "class2", "unclassified"]),
       st.sampled_from(["employee", "student", "teacher"]),
       st.integers(min_value=1, max_value=6),
       st.integers(min_value=1, max_value=4),
       st.lists(st.integers(min_value=1, max_value=15), min_size=2, max_size=2, unique=True))
def test_a_better_rank_never_gets_a_lesser_outcome(rule, competition_class, group, team_size,
                                                   top, two_ranks):
    better, worse = sorted(two_ranks)
    options = {"top": top} if rule == "national_wuyi" else {}
    args = {"competition_class": competition_class, "group": group, "team_size": team_size,
            **options}
    assert standing(titles_for(rule, rank=better, **args)) >= \
        standing(titles_for(rule, rank=worse, **args))


@pytest.mark.parametrize("rule", ["national_class1_nengshou", "provincial_nengshou",
                                  "provincial_wuyi", "city_nengshou"])
@given(rank=st.integers(min_value=1, max_value=30), team_size=st.integers(1, 6),
       group=st.sampled_from(["employee", "student", "teacher"]))
def test_unclassified_competitions_get_nothing_from_class_rules(rule, rank, team_size, group):
    assert titles_for(rule, rank=rank, competition_class="unclassified", group=group,
                      team_size=team_size) is None
