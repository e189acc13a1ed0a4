"""Ranking with the tie-break chain, and the standardised score (pure rules)."""

import random
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.results.ranking import (
    Standing,
    decided_by,
    rank_entries,
    standardised_scores,
)


def ranks(standings, chain=("time_used", "practical", "theory")):
    return [(r.standing.key, r.rank) for r in rank_entries(standings, chain)]


def test_higher_total_ranks_first():
    assert ranks([Standing("a", D("80.50")), Standing("b", D("91.00")),
                  Standing("c", D("85.25"))]) == [("b", 1), ("c", 2), ("a", 3)]


@pytest.mark.parametrize(("a", "b", "step"), [
    # equal totals; each row differs first at the named step of the chain
    (Standing("a", D(90), 3000, D(80), D(70)), Standing("b", D(90), 3100, D(95), D(99)),
     "time_used"),
    (Standing("a", D(90), 3000, D(81), D(70)), Standing("b", D(90), 3000, D(80), D(99)),
     "practical"),
    (Standing("a", D(90), 3000, D(80), D(71)), Standing("b", D(90), 3000, D(80), D(70)),
     "theory"),
])
def test_the_tie_break_chain_step_by_step(a, b, step):
    assert ranks([b, a]) == [("a", 1), ("b", 2)]
    assert decided_by(a, b, ("time_used", "practical", "theory")) == step


def test_still_equal_after_the_chain_shares_the_rank_and_the_next_skips():
    tied = [Standing(k, D(88), 3000, D(80), D(70)) for k in "xy"]
    assert ranks([Standing("top", D(95)), *tied, Standing("last", D(60))]) == [
        ("top", 1), ("x", 2), ("y", 2), ("last", 4)]


def test_a_missing_time_ranks_after_a_recorded_one():
    assert ranks([Standing("none", D(90)), Standing("timed", D(90), 5000)]) == [
        ("timed", 1), ("none", 2)]


def test_the_chain_order_is_a_setting():
    a = Standing("a", D(90), 3000, D(70), D(99))
    b = Standing("b", D(90), 3600, D(90), D(50))
    assert ranks([a, b]) == [("a", 1), ("b", 2)]
    assert ranks([a, b], chain=("practical", "time_used")) == [("b", 1), ("a", 2)]
    with pytest.raises(ValueError):
        rank_entries([a], chain=("height",))


def test_an_empty_chain_ranks_by_total_only():
    a, b = Standing("a", D(90), 1), Standing("b", D(90), 2)
    assert [r.rank for r in rank_entries([a, b], chain=())] == [1, 1]


totals = st.decimals(min_value=0, max_value=100, places=2)
standings = st.lists(st.builds(Standing, key=st.uuids(), total=totals,
                               time_used=st.one_of(st.none(), st.integers(0, 10_000)),
                               practical=st.one_of(st.none(), totals),
                               theory=st.one_of(st.none(), totals)), max_size=30)


@given(standings, st.randoms())
def test_ranking_does_not_depend_on_input_order(entries, rng):
    shuffled = entries[:]
    rng.shuffle(shuffled)
    assert {(r.standing.key, r.rank) for r in rank_entries(entries)} == {
        (r.standing.key, r.rank) for r in rank_entries(shuffled)}


@given(standings)
def test_ranks_are_a_consistent_ordering(entries):
    ranked = rank_entries(entries)
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)
    for position, r in enumerate(ranked, start=1):
        assert 1 <= r.rank <= position
        if r.rank != position:  # a shared rank: equal to the one before on every step
            assert ranked[position - 2].rank == r.rank
            assert ranked[position - 2].standing.total == r.standing.total
    for better, worse in zip(ranked, ranked[1:], strict=False):
        assert better.standing.total >= worse.standing.total


def test_standardised_scores_put_the_median_at_700():
    scores = standardised_scores({"a": D(60), "b": D(70), "c": D(80)})
    assert scores["b"] == 700 and scores["a"] < 700 < scores["c"]
    assert scores["c"] - 700 == 700 - scores["a"]
    # σ of 60, 70, 80 is 8.165: one σ above the median is worth 100 points
    assert scores["c"] == 822


def test_standardised_scores_of_equal_totals_are_all_700():
    assert set(standardised_scores({k: D(75) for k in "abc"}).values()) == {700}
    assert standardised_scores({}) == {}


@given(st.dictionaries(st.integers(), totals, min_size=1, max_size=30))
def test_standardised_scores_keep_the_order_of_the_totals(data):
    scores = standardised_scores(data)
    keys = sorted(data, key=data.get)
    assert [scores[k] for k in keys] == sorted(scores[k] for k in keys)
    assert all(isinstance(v, int) for v in scores.values())


def test_random_fields_rank_every_entry_once():
    rng = random.Random(5)
    field = [Standing(i, D(rng.randint(0, 100))) for i in range(200)]
    assert sorted(r.standing.key for r in rank_entries(field)) == list(range(200))
