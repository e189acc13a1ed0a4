"""Combined award rules (pure): a prize scheme and a medal scheme together, 优胜奖 once, a
minimum total per award, ties at every edge, the organiser's preview, JSON storage, and the
old presets giving exactly what they gave before."""

import json
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.results.award_plans import (
    AWARD_PRESETS,
    STEPS,
    AwardConfig,
    ExcellenceRule,
    MedalScheme,
    PrizeScheme,
    award_plan_bands,
    guizhou_2023,
    plan_awards,
)
from competitions.results.awards import AWARD_SCHEMES, Award, assign_awards

G, S, B, E = Award.GOLD, Award.SILVER, Award.BRONZE, Award.EXCELLENCE
P1, P2, P3 = Award.FIRST_PRIZE, Award.SECOND_PRIZE, Award.THIRD_PRIZE
NONE = ()


def plan_in_order(ranks, config, totals=None):
    """The plan for entries 'e0', 'e1', … with the given ranks (and totals, in the same order)."""
    ranked = [(f"e{i}", rank) for i, rank in enumerate(ranks)]
    by_key = None if totals is None else {f"e{i}": D(t) for i, t in enumerate(totals)}
    return ranked, plan_awards(ranked, config, totals=by_key)


def awards_in_order(ranks, config, totals=None):
    ranked, plan = plan_in_order(ranks, config, totals)
    return [plan.awards[key] for key, _rank in ranked]


def plain_ranks(n):
    return list(range(1, n + 1))


def guizhou(excellence=0):
    return AWARD_PRESETS["guizhou_2023"].config(excellence=excellence)


# --- Guizhou 2023: 一等奖 1, 二等奖 2, 三等奖 5, 优胜奖 k; gold, silver, bronze for 1–3 -------

TOP_EIGHT = [(P1, G), (P2, S), (P2, B)] + [(P3,)] * 5  # places 1–8 in any field of ≥ 8


@pytest.mark.parametrize("n, excellence, expected", [
    (5, 0, [(P1, G), (P2, S), (P2, B), (P3,), (P3,)]),          # third prize cut short by n
    (5, 4, [(P1, G), (P2, S), (P2, B), (P3,), (P3,)]),          # 优胜奖 places past the field
    (8, 2, TOP_EIGHT),                                          # nobody left for 优胜奖
    (12, 0, TOP_EIGHT + [NONE] * 4),                            # the default: no 优胜奖
    (12, 3, TOP_EIGHT + [(E,)] * 3 + [NONE]),                   # places 9–11
    (40, 10, TOP_EIGHT + [(E,)] * 10 + [NONE] * 22),            # places 9–18
])
def test_guizhou_prizes_and_medals_combine(n, excellence, expected):
    assert awards_in_order(plain_ranks(n), guizhou(excellence)) == expected


def test_guizhou_preview_shows_each_band_s_places():
    bands = award_plan_bands(guizhou(3), 12)
    assert [(b.award, b.first_place, b.last_place) for b in bands] == [
        (P1, 1, 1), (P2, 2, 3), (P3, 4, 8), (E, 9, 11), (G, 1, 1), (S, 2, 2), (B, 3, 3)]
    assert all(b.step in STEPS and str(b.rule) for b in bands)


def test_the_plan_lists_each_award_s_cut_off_places():
    _ranked, plan = plan_in_order(plain_ranks(8), guizhou(2))
    assert plan.cut_offs == {P1: (1, 1), P2: (2, 3), P3: (4, 8), E: None,
                             G: (1, 1), S: (2, 2), B: (3, 3)}


def test_a_band_past_the_field_is_shown_empty():
    bands = {b.award: b for b in award_plan_bands(guizhou(2), 8)}
    assert bands[E].is_empty and (bands[E].first_place, bands[E].last_place) == (9, 8)
    assert (bands[P3].first_place, bands[P3].last_place) == (4, 8)
    assert not bands[P3].is_empty


# Ties, n = 12 with 优胜奖 3 (bands: 一等奖 1, 二等奖 2–3, 三等奖 4–8, 优胜奖 9–11; medals 1–3).
@pytest.mark.parametrize("ranks, expected", [
    # Two tied first: both first prize and gold; they take places 1–2, so the one second prize
    # left goes to rank 3 (with bronze), and nobody gets silver.
    ([1, 1] + plain_ranks(12)[2:],
     [(P1, G), (P1, G), (P2, B)] + [(P3,)] * 5 + [(E,)] * 3 + [NONE]),
    # Three tied first: all first prize and gold; places 2–3 are taken, so no second prize.
    ([1, 1, 1] + plain_ranks(12)[3:],
     [(P1, G)] * 3 + [(P3,)] * 5 + [(E,)] * 3 + [NONE]),
    # Tied second: two silvers and two second prizes, no bronze (排名不并列 otherwise).
    ([1, 2, 2] + plain_ranks(12)[3:],
     [(P1, G), (P2, S), (P2, S)] + [(P3,)] * 5 + [(E,)] * 3 + [NONE]),
    # Tied at the 二等奖 edge (place 3 and 4): both second prize and bronze; third prizes go to
    # places 5–8, so to ranks 5, 6, 7 and 8 only.
    ([1, 2, 3, 3] + plain_ranks(12)[4:],
     [(P1, G), (P2, S), (P2, B), (P2, B)] + [(P3,)] * 4 + [(E,)] * 3 + [NONE]),
    # Tied at the 三等奖 edge (places 8 and 9): both third prize; 优胜奖 for 10 and 11.
    (plain_ranks(8) + [8, 10, 11, 12],
     TOP_EIGHT + [(P3,)] + [(E,)] * 2 + [NONE]),
    # Tied at the 优胜奖 edge (places 11 and 12): both 优胜奖.
    (plain_ranks(11) + [11],
     TOP_EIGHT + [(E,)] * 4),
    # A tie across two edges (places 3–9): all lifted into the second prize (and bronze).
    ([1, 2] + [3] * 7 + [10, 11, 12],
     [(P1, G), (P2, S)] + [(P2, B)] * 7 + [(E,)] * 2 + [NONE]),
])
def test_a_tie_at_an_edge_lifts_all_tied_and_takes_the_places(ranks, expected):
    assert awards_in_order(ranks, guizhou(3)) == expected


def test_a_minimum_total_leaves_a_band_short_and_nobody_moves():
    config = AwardConfig(prize=PrizeScheme(counts=(1, 2, 5), excellence=ExcellenceRule(places=3)),
                         medal=MedalScheme(), min_totals={P2: D(80), E: D(60)})
    totals = ["95", "85", "79.99", "78", "77", "76", "75", "74", "61", "60", "59.5", "10"]
    ranked, plan = plan_in_order(plain_ranks(12), config, totals)
    got = [plan.awards[key] for key, _rank in ranked]
    # Rank 3 is below the second prize's 80: one second prize only; it keeps its bronze (the
    # medal has no minimum), is not moved down to a third prize, and rank 4 is not moved up.
    # Rank 11 (59.5) is below the 优胜奖's 60: two 优胜奖 only, and rank 12 is not moved up.
    assert got == [(P1, G), (P2, S), (B,)] + [(P3,)] * 5 + [(E,), (E,), NONE, NONE]
    refused = plan.decisions["e2"][0]
    assert (refused.award, refused.granted, refused.min_total, refused.total) == \
        (P2, False, D(80), D("79.99"))
    assert plan.decisions["e2"][1].award is B and plan.decisions["e2"][1].granted
    assert plan.decisions["e11"] == ()  # outside every band: no decision at all


def test_a_total_equal_to_a_band_minimum_is_enough():
    config = AwardConfig(medal=MedalScheme(), min_totals={G: D("90")})
    assert awards_in_order([1], config, ["90.00"]) == [(G,)]


def test_excellence_is_given_once_by_the_prize_scheme_when_both_define_it():
    config = AwardConfig(
        prize=PrizeScheme(counts=(1, 2, 5), excellence=ExcellenceRule(places=2)),
        medal=MedalScheme(excellence=ExcellenceRule(share=Fraction(1, 2))))
    got = awards_in_order(plain_ranks(20), config)
    # The medal scheme's 优胜奖 (places 4–10) is ignored; the prize scheme's is places 9–10.
    assert got == TOP_EIGHT + [(E,), (E,)] + [NONE] * 10
    assert [b.award for b in award_plan_bands(config, 20)].count(E) == 1


def test_excellence_from_the_medal_scheme_follows_the_prize():
    config = AwardConfig(prize=PrizeScheme(counts=(1, 2, 5)),
                         medal=MedalScheme(excellence=ExcellenceRule(share=Fraction(1, 2))))
    # 优胜奖 after the medals, places 4–5 of 10: listed after that entry's prize.
    assert awards_in_order(plain_ranks(10), config) == \
        [(P1, G), (P2, S), (P2, B), (P3, E), (P3, E), (P3,), (P3,), (P3,), NONE, NONE]


@pytest.mark.parametrize("excellence, totals, expected", [
    # A fixed number of places after the third prize (places 4–5).
    (ExcellenceRule(places=2), None, [(P1,), (P2,), (P3,), (E,), (E,), NONE, NONE]),
    # Down to half the entrants, rounded up: ceil(7/2) = 4, so place 4 only.
    (ExcellenceRule(share="1/2"), None, [(P1,), (P2,), (P3,), (E,), NONE, NONE, NONE]),
    # Everyone else reaching 60.
    (ExcellenceRule(min_total=D(60)), ["99", "90", "80", "70", "60", "59.99", "0"],
     [(P1,), (P2,), (P3,), (E,), (E,), NONE, NONE]),
])
def test_the_three_ways_to_set_excellence(excellence, totals, expected):
    config = AwardConfig(prize=PrizeScheme(counts=(1, 1, 1), excellence=excellence))
    assert awards_in_order(plain_ranks(7), config, totals) == expected


def test_excellence_by_a_share_already_inside_the_prizes_gives_none():
    config = AwardConfig(prize=PrizeScheme(counts=(1, 2, 5),
                                           excellence=ExcellenceRule(share="1/2")))
    assert awards_in_order(plain_ranks(12), config)[6:] == [(P3,), (P3,)] + [NONE] * 4  # ceil 6


@pytest.mark.parametrize("shares, n, cut_offs", [
    (("0.05", "0.15", "0.3"), 40, [2, 6, 12]),
    (("0.05", "0.15", "0.3"), 7, [1, 2, 3]),       # 0.35, 1.05, 2.1 rounded up
    (("1/3", "1/3", "2/3"), 9, [3, 3, 6]),         # an empty second-prize band
])
def test_organiser_set_shares_round_the_cut_off_up(shares, n, cut_offs):
    bands = award_plan_bands(AwardConfig(prize=PrizeScheme(shares=shares)), n)
    assert [b.last_place for b in bands] == cut_offs


def test_each_decision_names_its_rule_step_and_numbers():
    _ranked, plan = plan_in_order(plain_ranks(12), guizhou(3))
    first, gold = plan.decisions["e0"]
    assert (first.award, first.step, first.rank, first.first_place, first.last_place) == \
        (P1, "prize_count", 1, 1, 1)
    assert (gold.award, gold.step) == (G, "medal_place")
    excellence, = plan.decisions["e9"]
    assert (excellence.step, excellence.first_place, excellence.last_place) == \
        ("excellence_places", 9, 11)
    assert str(excellence.rule) == str(STEPS["excellence_places"])
    assert plan.entrants == 12


def test_a_minimum_needs_the_totals_and_never_a_float():
    config = AwardConfig(medal=MedalScheme(), min_totals={G: D(60)})
    with pytest.raises(ValueError, match="totals"):
        plan_awards([("a", 1)], config)
    with pytest.raises(ValueError, match="no total"):
        plan_awards([("a", 1)], config, totals={})
    with pytest.raises(TypeError):
        plan_awards([("a", 1)], config, totals={"a": 70.0})
    with pytest.raises(ValueError, match="competition ranks"):
        plan_awards([("a", 2)], config)


# --- presets --------------------------------------------------------------------------------

RULES_E_GUIZHOU = ("参照贵州省第一届职工职业技能大赛（2023年）：一等奖1名、二等奖2名、三等奖5名、"
                   "优胜奖若干名，前三名颁发金、银、铜牌")


def test_guizhou_preset_cites_its_source_in_chinese():
    preset = AWARD_PRESETS["guizhou_2023"]
    assert preset.citation == RULES_E_GUIZHOU
    assert preset.defaults == {"excellence": 0}
    assert preset.config() == guizhou_2023()


def test_every_preset_has_a_label_a_source_and_a_chinese_citation():
    assert set(AWARD_PRESETS) == set(AWARD_SCHEMES) | {"guizhou_2023"}
    for name, preset in AWARD_PRESETS.items():
        assert str(preset.label) and preset.source
        assert preset.citation.startswith("参照") and "http" not in preset.citation
        if name in AWARD_SCHEMES:
            assert AWARD_SCHEMES[name].citation == preset.citation


def test_a_preset_refuses_an_option_it_does_not_take():
    with pytest.raises(ValueError, match="first"):
        AWARD_PRESETS["guizhou_2023"].config(first=2)


# --- the old presets, unchanged -------------------------------------------------------------

@st.composite
def competition_ranks(draw, max_size=60):
    """Ranks 1, 2, 2, 4 … for a field of 0–60 entrants with random ties."""
    n = draw(st.integers(min_value=0, max_value=max_size))
    tied_with_previous = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    ranks = []
    for place, tied in enumerate(tied_with_previous, start=1):
        ranks.append(ranks[-1] if tied and ranks else place)
    return ranks


counts = st.fixed_dictionaries({}, optional={
    "first": st.integers(0, 8), "second": st.integers(0, 8), "third": st.integers(0, 15)})


@settings(max_examples=300)
@given(competition_ranks(), st.sampled_from(sorted(AWARD_SCHEMES)), counts, st.data())
def test_every_old_preset_gives_exactly_what_assign_awards_gives(ranks, scheme, drawn, data):
    options = drawn if scheme == "fixed_counts" else {}
    keys = [f"e{i}" for i in range(len(ranks))]
    totals = {key: data.draw(st.decimals(0, 100, places=2)) for key in keys}
    minimum = data.draw(st.none() | st.decimals(0, 100, places=2))
    ranked = list(zip(keys, ranks, strict=True))
    old = assign_awards(ranked, scheme, totals=totals, min_total=minimum, **options)
    config = AwardConfig.from_legacy(scheme, options, minimum)
    new = plan_awards(ranked, config, totals=totals).awards
    assert new == {key: NONE if award is None else (award,) for key, award in old.items()}
    assert AWARD_PRESETS[scheme].config(**options) == AwardConfig.from_legacy(scheme, options)


@pytest.mark.parametrize("scheme, options", [
    ("medals_for_all", {}), ("fixed_counts", {"first": -1}), ("medals_half", {"first": 1})])
def test_from_legacy_refuses_what_assign_awards_refuses(scheme, options):
    with pytest.raises(ValueError):
        AwardConfig.from_legacy(scheme, options)


# --- JSON storage ---------------------------------------------------------------------------

CONFIGS = [
    guizhou_2023(excellence=4),
    AwardConfig.from_legacy("medals_two_thirds", {}, D("59.5")),
    AwardConfig.from_legacy("prizes_10_20_30"),
    AwardConfig(prize=PrizeScheme(shares=("0.05", "1/6", "0.3"),
                                  excellence=ExcellenceRule(min_total=D("72.25"))),
                medal=MedalScheme(), min_totals={P1: D(90), G: 85}),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_a_config_survives_a_json_round_trip(config):
    stored = json.loads(json.dumps(config.to_json()))
    assert AwardConfig.from_json(stored) == config
    assert AwardConfig.from_json(stored).to_json() == stored


def test_json_keeps_shares_and_totals_exact():
    stored = CONFIGS[3].to_json()
    assert stored["prize"]["shares"] == ["1/20", "1/6", "3/10"]
    assert stored["prize"]["excellence"] == {"min_total": "72.25"}
    assert stored["min_totals"] == {"gold": "85", "first_prize": "90"}


@pytest.mark.parametrize("data, bad_field", [
    ("guizhou", "config"),
    ({}, "prize"),
    ({"medal": {}, "colour": "red"}, "config.colour"),
    ({"prize": {"counts": [1, 2]}}, "prize.counts"),
    ({"prize": {"counts": [1, -2, 3]}}, r"prize.counts\[1\]"),
    ({"prize": {"counts": [1, 2, 3], "shares": ["0.1", "0.2", "0.3"]}}, "prize"),
    ({"prize": {"shares": [0.1, 0.2, 0.3]}}, r"prize.shares\[0\]"),        # floats
    ({"prize": {"shares": ["0.2", "0.1", "0.3"]}}, "prize.shares"),         # decreasing
    ({"prize": {"shares": ["0.1", "0.2", "3/2"]}}, r"prize.shares\[2\]"),   # over 1
    ({"prize": {"counts": [1, 2, 5], "excellence": {"places": 2, "share": "1/2"}}},
     "prize.excellence"),
    ({"prize": {"counts": [1, 2, 5], "excellence": {"places": -1}}},
     "prize.excellence.places"),
    ({"medal": {"excellence": {"share": "half"}}}, "medal.excellence.share"),
    ({"medal": {"excellence": {"min_total": "NaN"}}}, "medal.excellence.min_total"),
    ({"medal": {"excellence": {"top": 3}}}, "medal.excellence.top"),
    ({"medal": {}, "min_totals": {"first_prize": "60"}}, "min_totals.first_prize"),
    ({"medal": {}, "min_totals": {"gold": 60.5}}, "min_totals.gold"),
    ({"medal": {}, "min_totals": {"gold": "-1"}}, "min_totals.gold"),
    ({"medal": {}, "min_totals": {"platinum": "60"}}, "min_totals.platinum"),
    ({"medal": {}, "min_totals": {"excellence": "60"}}, "min_totals.excellence"),
])
def test_bad_json_is_refused_naming_the_field(data, bad_field):
    with pytest.raises(ValueError, match=f"^{bad_field}"):
        AwardConfig.from_json(data)


# --- properties of the combined engine ------------------------------------------------------

@given(competition_ranks(), st.integers(0, 12))
def test_equal_ranks_get_equal_awards_and_at_most_one_per_scheme(ranks, excellence):
    ranked, plan = plan_in_order(ranks, guizhou(excellence))
    by_rank = {}
    for key, rank in ranked:
        got = plan.awards[key]
        assert by_rank.setdefault(rank, got) == got
        assert sum(a in (P1, P2, P3, E) for a in got) <= 1
        assert sum(a in (G, S, B) for a in got) <= 1
        assert got == tuple(sorted(got, key=lambda a: a in (G, S, B)))  # prize, then medal


@given(competition_ranks(), st.integers(0, 12))
def test_a_better_rank_never_gets_a_lesser_prize(ranks, excellence):
    order = {P1: 0, P2: 1, P3: 2, E: 3}
    ranked, plan = plan_in_order(ranks, guizhou(excellence))

    def standing(key):
        return min((order[a] for a in plan.awards[key] if a in order), default=4)

    pairs = sorted((rank, standing(key)) for key, rank in ranked)
    assert [s for _rank, s in pairs] == sorted(s for _rank, s in pairs)
