"""Award schemes (pure): bands by rank, ties lifted at band edges, the half-way place, minimum
totals, and the properties every scheme keeps."""

import random
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.results.awards import AWARD_SCHEMES, Award, assign_awards, award_bands

G, S, B, E = Award.GOLD, Award.SILVER, Award.BRONZE, Award.EXCELLENCE
P1, P2, P3 = Award.FIRST_PRIZE, Award.SECOND_PRIZE, Award.THIRD_PRIZE


def awards_in_order(ranks, scheme, **kwargs):
    """Awards for entries 'e0', 'e1', … with the given ranks, listed in input order."""
    ranked = [(f"e{i}", rank) for i, rank in enumerate(ranks)]
    result = assign_awards(ranked, scheme, **kwargs)
    return [result[key] for key, _rank in ranked]


def plain_ranks(n):
    return list(range(1, n + 1))


@pytest.mark.parametrize("ranks, expected", [
    ([], []),
    ([1], [G]),
    ([1, 2], [G, S]),
    (plain_ranks(6), [G, S, B, None, None, None]),                 # half of 6 is 3: no 优胜奖
    (plain_ranks(7), [G, S, B, E, None, None, None]),              # n odd: places 1–4
    (plain_ranks(8), [G, S, B, E, None, None, None, None]),        # n even: places 1–4
    (plain_ranks(9), [G, S, B, E, E] + [None] * 4),                # ceil(4.5) = 5
    (plain_ranks(10), [G, S, B, E, E] + [None] * 5),               # the half-way place, 5
    ([1, 2, 3, 3, 5, 6, 7, 8], [G, S, B, B, None, None, None, None]),  # they take place 4
    ([1, 2, 2, 4, 5, 6, 7, 8], [G, S, S, E, None, None, None, None]),  # two silvers, no bronze
    ([1, 1, 3, 4, 5, 6, 7, 8], [G, G, B, E, None, None, None, None]),
    ([1, 2, 3, 4, 4, 6, 7, 8], [G, S, B, E, E, None, None, None]),  # tie at the cut-off lifted
    ([1, 2, 3, 4, 5, 5, 5, 8, 9, 10], [G, S, B, E, E, E, E, None, None, None]),
    ([1, 1, 1, 1, 1, 1], [G] * 6),
])
def test_medals_half(ranks, expected):
    assert awards_in_order(ranks, "medals_half") == expected


@pytest.mark.parametrize("ranks, expected", [
    ([1], [G]),
    (plain_ranks(4), [G, S, B, None]),                             # ceil(8/3) = 3
    (plain_ranks(6), [G, S, B, E, None, None]),                    # 4
    (plain_ranks(7), [G, S, B, E, E, None, None]),                 # ceil(14/3) = 5
    (plain_ranks(9), [G, S, B, E, E, E, None, None, None]),        # exactly 6
    ([1, 2, 3, 4, 5, 6, 6, 8, 9], [G, S, B, E, E, E, E, None, None]),
])
def test_medals_two_thirds(ranks, expected):
    assert awards_in_order(ranks, "medals_two_thirds") == expected


@pytest.mark.parametrize("ranks, expected", [
    ([], []),
    ([1], [P1]),
    (plain_ranks(5), [P1, P3, None, None, None]),          # cut-offs 1, 1, 2: no second prize
    (plain_ranks(10), [P1, P2, P3] + [None] * 7),
    (plain_ranks(11), [P1, P1, P2, P3] + [None] * 7),      # cut-offs 2, 3, 4
    (plain_ranks(20), [P1] * 2 + [P2] * 2 + [P3] * 2 + [None] * 14),
    ([1, 2, 2] + plain_ranks(10)[3:], [P1, P2, P2, None] + [None] * 6),  # tie at 2nd-prize edge
    ([1, 1] + plain_ranks(10)[2:], [P1, P1, P3] + [None] * 7),
])
def test_prizes_10_20_30(ranks, expected):
    assert awards_in_order(ranks, "prizes_10_20_30") == expected


def test_prizes_10_20_30_cut_offs_round_up():
    assert award_bands("prizes_10_20_30", 37) == [(P1, 4), (P2, 8), (P3, 12)]
    assert award_bands("prizes_10_20_30", 100) == [(P1, 10), (P2, 20), (P3, 30)]


@pytest.mark.parametrize("ranks, options, expected", [
    (plain_ranks(20), {}, [P1] * 3 + [P2] * 5 + [P3] * 10 + [None] * 2),  # default 3/5/10
    (plain_ranks(7), {"first": 1, "second": 2, "third": 3}, [P1, P2, P2, P3, P3, P3, None]),
    (plain_ranks(3), {"first": 1, "second": 2, "third": 3}, [P1, P2, P2]),
    ([1, 2, 2, 4, 5, 6], {"first": 2, "second": 2, "third": 1},
     [P1, P1, P1, P2, P3, None]),                      # the tie at the edge takes place 3
    ([1, 1, 3], {"first": 1, "second": 0, "third": 5}, [P1, P1, P3]),
    ([1], {"first": 0, "second": 0, "third": 0}, [None]),
])
def test_fixed_counts(ranks, options, expected):
    assert awards_in_order(ranks, "fixed_counts", **options) == expected


def test_fixed_counts_takes_some_options_and_defaults_the_rest():
    assert award_bands("fixed_counts", 50, first=1) == [(P1, 1), (P2, 6), (P3, 16)]


def test_an_entry_below_the_minimum_total_gets_no_award_and_keeps_the_bands():
    ranks = plain_ranks(8)
    totals = {f"e{i}": D(t) for i, t in enumerate(
        ["95", "90", "59.99", "80", "70", "60", "50", "40"])}
    # e2 (3rd) is below 60: no bronze for anyone, and e3 still gets excellence (not bronze).
    assert awards_in_order(ranks, "medals_half", totals=totals, min_total=D(60)) == \
        [G, S, None, E, None, None, None, None]


def test_a_total_equal_to_the_minimum_is_enough():
    totals = {"e0": D("60.00")}
    assert awards_in_order([1], "prizes_10_20_30", totals=totals, min_total=D(60)) == [P1]


def test_totals_without_a_minimum_change_nothing():
    totals = {f"e{i}": D(0) for i in range(4)}
    assert awards_in_order(plain_ranks(4), "medals_half", totals=totals) == [G, S, B, None]


@pytest.mark.parametrize("ranks", [[2], [1, 3], [1, 2, 2, 3], [0, 1], [1, 1, 2]])
def test_ranks_must_be_competition_ranks(ranks):
    with pytest.raises(ValueError, match="competition ranks"):
        awards_in_order(ranks, "medals_half")


@pytest.mark.parametrize("ranked, kwargs, error", [
    ([("a", 1), ("a", 2)], {}, ValueError),                      # an entry twice
    ([("a", 1.0)], {}, ValueError),                              # not a whole rank
    ([("a", 1)], {"min_total": D(60)}, ValueError),              # a minimum without totals
    ([("a", 1)], {"min_total": D(60), "totals": {}}, ValueError),  # an entry without a total
    ([("a", 1)], {"min_total": 60.0, "totals": {"a": D(70)}}, TypeError),  # a float
    ([("a", 1)], {"first": 2}, ValueError),                      # an option medals don't take
])
def test_bad_input_is_refused(ranked, kwargs, error):
    with pytest.raises(error):
        assign_awards(ranked, "medals_half", **kwargs)


@pytest.mark.parametrize("options", [{"first": -1}, {"second": 1.5}, {"third": True},
                                     {"fourth": 1}])
def test_fixed_counts_refuses_bad_counts(options):
    with pytest.raises(ValueError):
        award_bands("fixed_counts", 10, **options)


def test_an_unknown_scheme_is_refused():
    with pytest.raises(KeyError):
        assign_awards([("a", 1)], "medals_for_all")


def test_every_scheme_has_a_label_a_source_and_works_on_an_empty_field():
    for name, scheme in AWARD_SCHEMES.items():
        assert str(scheme.label) and scheme.source
        assert assign_awards([], name) == {}


def test_awards_store_short_values_and_carry_labels():
    assert [a.value for a in Award] == ["gold", "silver", "bronze", "excellence",
                                        "first_prize", "second_prize", "third_prize"]
    assert str(Award.EXCELLENCE) == "Excellence award"  # outside a request: the msgid


# --- properties ---------------------------------------------------------------------------

@st.composite
def competition_ranks(draw, max_size=40):
    """Ranks 1, 2, 2, 4 … for a field of 0–40 entrants with random ties."""
    n = draw(st.integers(min_value=0, max_value=max_size))
    tied_with_previous = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    ranks = []
    for place, tied in enumerate(tied_with_previous, start=1):
        ranks.append(ranks[-1] if tied and ranks else place)
    return ranks


schemes = st.sampled_from(sorted(AWARD_SCHEMES))
counts = st.fixed_dictionaries({}, optional={
    "first": st.integers(0, 6), "second": st.integers(0, 6), "third": st.integers(0, 12)})


def options_for(scheme, drawn):
    return drawn if scheme == "fixed_counts" else {}


def band_index(bands, award):
    """Position of `award` in the scheme's bands, best first; no award sorts last."""
    return len(bands) if award is None else [a for a, _last in bands].index(award)


@given(competition_ranks(), schemes, counts)
def test_awards_follow_the_ranking_and_equal_ranks_get_equal_awards(ranks, scheme, drawn):
    options = options_for(scheme, drawn)
    bands = award_bands(scheme, len(ranks), **options)
    got = awards_in_order(ranks, scheme, **options)
    pairs = sorted(zip(ranks, (band_index(bands, a) for a in got), strict=True))
    assert [index for _rank, index in pairs] == sorted(index for _rank, index in pairs)
    by_rank = {}
    for rank, award in zip(ranks, got, strict=True):
        assert by_rank.setdefault(rank, award) == award


@given(competition_ranks(), schemes, counts)
def test_a_band_is_passed_over_only_when_no_rank_falls_in_it(ranks, scheme, drawn):
    """No skipping: if a worse band is given, each better band was given, unless no entrant's
    rank lies in its places (shared ranks took them, or rounding left it empty)."""
    options = options_for(scheme, drawn)
    bands = award_bands(scheme, len(ranks), **options)
    given_awards = set(awards_in_order(ranks, scheme, **options)) - {None}
    worst_given = max((band_index(bands, a) for a in given_awards), default=-1)
    first_place = 1
    for award, last in bands[:worst_given]:
        if award not in given_awards:
            assert not any(first_place <= rank <= last for rank in ranks)
        first_place = max(first_place, last + 1)


@given(competition_ranks())
def test_medals_gold_silver_bronze_before_any_excellence(ranks):
    got = awards_in_order(ranks, "medals_half")
    if E in got:
        for medal, place in ((G, 1), (S, 2), (B, 3)):
            # Missing only when the place was consumed by an earlier shared rank.
            assert medal in got or place not in ranks


@given(competition_ranks())
def test_medals_half_awards_stay_within_the_cut_off(ranks):
    n = len(ranks)
    cut_off = -(-n // 2)
    for rank, award in zip(ranks, awards_in_order(ranks, "medals_half"), strict=True):
        if award is E:
            assert 3 < rank <= cut_off
        if award is not None:
            assert rank <= max(3, cut_off)  # the medals go to ranks 1–3 whatever n is
        else:
            assert rank > max(3, cut_off)


@given(competition_ranks(), schemes, counts, st.randoms(use_true_random=False))
def test_the_order_of_the_input_does_not_matter(ranks, scheme, drawn, rnd):
    options = options_for(scheme, drawn)
    ranked = [(f"e{i}", rank) for i, rank in enumerate(ranks)]
    shuffled = ranked[:]
    rnd.shuffle(shuffled)
    assert assign_awards(shuffled, scheme, **options) == assign_awards(ranked, scheme, **options)


@given(competition_ranks(), schemes, counts, st.data())
def test_a_minimum_total_only_removes_awards(ranks, scheme, drawn, data):
    options = options_for(scheme, drawn)
    keys = [f"e{i}" for i in range(len(ranks))]
    totals = {key: data.draw(st.decimals(0, 100, places=2)) for key in keys}
    minimum = data.draw(st.decimals(0, 100, places=2))
    ranked = list(zip(keys, ranks, strict=True))
    without = assign_awards(ranked, scheme, **options)
    with_minimum = assign_awards(ranked, scheme, totals=totals, min_total=minimum, **options)
    for key in keys:
        expected = without[key] if totals[key] >= minimum else None
        assert with_minimum[key] == expected


def test_shuffled_ties_keep_their_awards():
    ranked = [("a", 1), ("b", 2), ("c", 3), ("d", 3), ("e", 5), ("f", 6), ("g", 7), ("h", 8),
              ("i", 9), ("j", 10)]
    expected = assign_awards(ranked, "medals_half")
    random.Random(4).shuffle(ranked)
    assert assign_awards(ranked, "medals_half") == expected
    assert expected["c"] is expected["d"] is B and expected["e"] is E
