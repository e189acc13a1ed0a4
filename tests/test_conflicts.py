"""Conflict of interest between judges and entrants, on organisation chains."""

from hypothesis import given
from hypothesis import strategies as st

from competitions.judging.conflicts import eligible_judges, enterprise_of, in_conflict

# root first: (id, is_enterprise)
UNION, CITY = (1, False), (2, False)
GROUP = (10, True)                      # 南京钢铁集团
STEELWORKS, ROLLING = (11, True), (12, True)  # its subsidiaries
OTHER_FIRM = (20, True)
SCHOOL = (30, False)


def test_same_unit_is_a_conflict():
    assert in_conflict([UNION, CITY, OTHER_FIRM], [UNION, CITY, OTHER_FIRM])


def test_units_under_the_same_enterprise_are_a_conflict():
    assert in_conflict([UNION, CITY, GROUP, STEELWORKS], [UNION, CITY, GROUP, ROLLING])
    assert in_conflict([UNION, CITY, GROUP], [UNION, CITY, GROUP, ROLLING])
    assert enterprise_of([UNION, CITY, GROUP, ROLLING]) == GROUP[0]


def test_different_enterprises_in_one_city_are_not():
    assert not in_conflict([UNION, CITY, GROUP, STEELWORKS], [UNION, CITY, OTHER_FIRM])


def test_non_enterprise_units_conflict_only_with_themselves():
    assert not in_conflict([UNION, CITY, SCHOOL], [UNION, CITY, (31, False)])
    assert in_conflict([UNION, CITY, SCHOOL], [UNION, CITY, SCHOOL])


def test_a_judge_without_a_unit_has_no_conflict():
    assert not in_conflict([], [UNION, CITY, OTHER_FIRM])


def test_a_team_excludes_judges_in_conflict_with_any_member():
    judges = {1: [UNION, CITY, GROUP, STEELWORKS], 2: [UNION, CITY, OTHER_FIRM],
              3: [UNION, CITY, SCHOOL]}
    team = [[UNION, CITY, GROUP, ROLLING], [UNION, CITY, OTHER_FIRM]]
    assert eligible_judges(judges, team) == {3}


chains = st.lists(st.tuples(st.integers(1, 6), st.booleans()), min_size=1, max_size=4)


@given(chains, chains)
def test_conflict_is_symmetric(a, b):
    assert in_conflict(a, b) == in_conflict(b, a)


@given(chains)
def test_everyone_conflicts_with_themselves(a):
    assert in_conflict(a, a)
