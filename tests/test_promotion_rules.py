"""Promotion rules (pure, RULES.md C): every preset's worked examples, the "+1" clause and the
cap, students and employees (teachers as employees), share bands at their edges, ties, one
promotion per calendar year, pass marks, unknown levels, national standards, the organiser's
cut-off places and table, and JSON storage."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.promotion.levels import SkillLevel
from competitions.promotion.rules import (
    CITATIONS,
    LEVEL_NAMES,
    PRESETS,
    Band,
    GroupTarget,
    Person,
    ReasonCode,
    RuleSet,
    Standing,
    assess,
    band_table,
    cutoffs,
    preset,
)
from competitions.results.awards import Award

APPRENTICE, L5, L4, L3, L2, L1, PRINCIPAL, CHIEF = SkillLevel
OK, NOT_IN_BAND, AT_CAP = ReasonCode.ELIGIBLE, ReasonCode.NOT_IN_BAND, ReasonCode.AT_CAP
NOT_COVERED = ReasonCode.GROUP_NOT_COVERED
ON = date(2026, 6, 1)
TIANJIN = ("tianjin_2024_city1", "tianjin_2024_city2", "tianjin_2024_enterprise")


def check(rules, rank=1, entrants=30, *, group="employee", level=L4, awards=(), theory=None,
          practical=None, promoted_on=(), standard=True, on=ON):
    rules = preset(rules) if isinstance(rules, str) else rules
    return assess(rules, Standing(rank, entrants, frozenset(awards), theory, practical),
                  Person(group, level, tuple(promoted_on)), has_national_standard=standard, on=on)


def with_pass_marks(theory="60", practical="60", name="tianjin_2024_city1"):
    return replace(preset(name), name="custom", pass_theory=D(theory), pass_practical=D(practical))


# --- Worked examples, every preset -------------------------------------------------------------
# (preset, rank, entrants, group, level, awards) → (code, to_level, band)
WORKED = [
    # national_class1_2015: 1–5 → 技师 / +1 (cap 高级技师), students → 高级工; 6–20 → 高级工 / +1
    # (cap 技师), students none.
    ("national_class1_2015", 1, 30, "employee", L3, (), OK, L2, "前5名"),
    ("national_class1_2015", 5, 30, "employee", L5, (), OK, L2, "前5名"),
    ("national_class1_2015", 5, 30, "employee", L2, (), OK, L1, "前5名"),       # +1
    ("national_class1_2015", 5, 30, "employee", L1, (), AT_CAP, None, "前5名"),
    ("national_class1_2015", 3, 30, "employee", PRINCIPAL, (), AT_CAP, None, "前5名"),
    ("national_class1_2015", 4, 30, "teacher", L4, (), OK, L2, "前5名"),
    ("national_class1_2015", 4, 30, "teacher", L2, (), OK, L1, "前5名"),
    ("national_class1_2015", 2, 30, "student", L4, (), OK, L3, "前5名"),
    ("national_class1_2015", 2, 30, "student", L3, (), AT_CAP, None, "前5名"),  # no +1
    ("national_class1_2015", 6, 30, "employee", L4, (), OK, L3, "第6至20名"),
    ("national_class1_2015", 20, 30, "employee", L3, (), OK, L2, "第6至20名"),  # +1
    ("national_class1_2015", 20, 30, "employee", L2, (), AT_CAP, None, "第6至20名"),
    ("national_class1_2015", 12, 30, "teacher", L4, (), OK, L3, "第6至20名"),
    ("national_class1_2015", 6, 30, "student", L4, (), NOT_COVERED, None, "第6至20名"),
    ("national_class1_2015", 21, 30, "employee", L4, (), NOT_IN_BAND, None, None),
    ("national_class1_2015", 21, 30, "student", L4, (), NOT_IN_BAND, None, None),
    # national_skills_2020: a medal or 优胜奖 → 技师 / +1 (cap 高级技师), students the same.
    ("national_skills_2020", 1, 30, "employee", L3, ("gold",), OK, L2, "金牌、银牌、铜牌或优胜奖"),
    ("national_skills_2020", 9, 30, "employee", L2, ("excellence",), OK, L1,
     "金牌、银牌、铜牌或优胜奖"),
    ("national_skills_2020", 3, 30, "student", L2, ("bronze",), OK, L1, "金牌、银牌、铜牌或优胜奖"),
    ("national_skills_2020", 2, 30, "student", L4, ("silver",), OK, L2, "金牌、银牌、铜牌或优胜奖"),
    ("national_skills_2020", 2, 30, "teacher", L1, ("silver",), AT_CAP, None,
     "金牌、银牌、铜牌或优胜奖"),
    ("national_skills_2020", 1, 30, "employee", L3, ("first_prize",), NOT_IN_BAND, None, None),
    ("national_skills_2020", 1, 30, "employee", L3, (), NOT_IN_BAND, None, None),
    # tianjin_2024_city1: top 10 → 技师 / +1 (cap 高级技师); students → 高级工.
    ("tianjin_2024_city1", 10, 30, "employee", L4, (), OK, L2, "前10名"),
    ("tianjin_2024_city1", 10, 30, "employee", L2, (), OK, L1, "前10名"),
    ("tianjin_2024_city1", 1, 30, "employee", L1, (), AT_CAP, None, "前10名"),
    ("tianjin_2024_city1", 1, 30, "teacher", L2, (), OK, L1, "前10名"),
    ("tianjin_2024_city1", 1, 30, "student", L4, (), OK, L3, "前10名"),
    ("tianjin_2024_city1", 1, 30, "student", L2, (), AT_CAP, None, "前10名"),
    ("tianjin_2024_city1", 11, 30, "employee", L4, (), NOT_IN_BAND, None, None),
    # tianjin_2024_city2: top 6 → 高级工 / +1 (no published cap: 高级技师); students → 中级工.
    ("tianjin_2024_city2", 6, 30, "employee", L5, (), OK, L3, "前6名"),
    ("tianjin_2024_city2", 6, 30, "employee", L3, (), OK, L2, "前6名"),
    ("tianjin_2024_city2", 6, 30, "employee", L2, (), OK, L1, "前6名"),
    ("tianjin_2024_city2", 6, 30, "employee", L1, (), AT_CAP, None, "前6名"),
    ("tianjin_2024_city2", 1, 30, "student", L5, (), OK, L4, "前6名"),
    ("tianjin_2024_city2", 1, 30, "student", L4, (), AT_CAP, None, "前6名"),
    ("tianjin_2024_city2", 7, 30, "employee", L5, (), NOT_IN_BAND, None, None),
    # tianjin_2024_enterprise: top 30 % → 中级工 / +1 (cap 高级工); students → 中级工.
    ("tianjin_2024_enterprise", 3, 10, "employee", APPRENTICE, (), OK, L4, "前30%"),
    ("tianjin_2024_enterprise", 3, 10, "employee", L4, (), OK, L3, "前30%"),
    ("tianjin_2024_enterprise", 3, 10, "employee", L3, (), AT_CAP, None, "前30%"),
    ("tianjin_2024_enterprise", 3, 10, "student", L5, (), OK, L4, "前30%"),
    ("tianjin_2024_enterprise", 3, 10, "student", L4, (), AT_CAP, None, "前30%"),
    ("tianjin_2024_enterprise", 4, 10, "employee", L5, (), NOT_IN_BAND, None, None),
    ("tianjin_2024_enterprise", 4, 11, "employee", L5, (), OK, L4, "前30%"),  # ceil(3.3) = 4
    # anhui_2023: top 20 % → 技师 / +1 (cap 高级技师); 21–40 % → 高级工 / +1 (cap 技师);
    # no students; 7 entrants: places 1–2, then place 3.
    ("anhui_2023", 2, 7, "employee", L3, (), OK, L2, "前20%"),
    ("anhui_2023", 2, 7, "employee", L2, (), OK, L1, "前20%"),
    ("anhui_2023", 1, 7, "employee", L1, (), AT_CAP, None, "前20%"),
    ("anhui_2023", 3, 7, "employee", L4, (), OK, L3, "前21%至40%"),
    ("anhui_2023", 3, 7, "employee", L3, (), OK, L2, "前21%至40%"),
    ("anhui_2023", 3, 7, "teacher", L2, (), AT_CAP, None, "前21%至40%"),
    ("anhui_2023", 4, 7, "employee", L4, (), NOT_IN_BAND, None, None),
    ("anhui_2023", 2, 10, "employee", L4, (), OK, L2, "前20%"),
    ("anhui_2023", 3, 10, "employee", L4, (), OK, L3, "前21%至40%"),
    ("anhui_2023", 4, 10, "employee", L4, (), OK, L3, "前21%至40%"),
    ("anhui_2023", 5, 10, "employee", L4, (), NOT_IN_BAND, None, None),
    ("anhui_2023", 1, 7, "student", L4, (), NOT_COVERED, None, None),
]


@pytest.mark.parametrize("name, rank, n, group, level, awards, code, to_level, band", WORKED)
def test_worked_examples(name, rank, n, group, level, awards, code, to_level, band):
    outcome = check(name, rank, n, group=group, level=level, awards=awards)
    assert (outcome.code, outcome.to_level, outcome.band) == (code, to_level, band)
    assert outcome.from_level is level
    assert outcome.eligible is (code is OK)
    assert outcome.reason.startswith(preset(name).cited_as + "：")


def test_the_worked_examples_walk_every_preset_and_every_band():
    walked = {(name, band) for name, *_rest, band in WORKED}
    for name, rules in PRESETS.items():
        assert {(name, band.label) for band in rules.bands} <= walked


def test_reasons_cite_the_rule_in_chinese():
    cite = CITATIONS["tianjin_2024"]
    assert check("tianjin_2024_city1", 3, level=L4).reason == f"{cite}：前10名 → 技师"
    assert check("tianjin_2024_city1", 3, level=L2).reason == \
        f"{cite}：前10名 → 技师；已是技师，晋升一级至高级技师"
    assert check("tianjin_2024_city1", 3, level=L1).reason == \
        f"{cite}：前10名 → 技师；已是高级技师，已达本规定可晋升的最高等级（高级技师）"
    assert check("anhui_2023", 1, group="student").reason == \
        f"{CITATIONS['anhui_2023']}：本规定不适用于学生组"
    assert check("national_class1_2015", 7, group="student").reason.endswith(
        "：第6至20名不适用于学生组")
    assert check("anhui_2023", 5, 7).reason.endswith(
        "：第5名（共7人）不在晋升范围内（前20%（第1至2名）；前21%至40%（第3名））")


def test_every_preset_cites_rules_md_e_and_no_web_address():
    assert set(PRESETS) == {"national_class1_2015", "national_skills_2020", *TIANJIN,
                            "anhui_2023"}
    assert {PRESETS[name].cited_as for name in TIANJIN} == {CITATIONS["tianjin_2024"]}
    assert PRESETS["anhui_2023"].cited_as == "参照安徽省省级行业职业技能竞赛规定（2023年）"
    assert PRESETS["national_skills_2020"].cited_as == "参照第一届全国技能大赛（2020年）"
    for name, rules in PRESETS.items():
        assert rules.name == name and rules.version == 1
        assert "http" not in rules.cited_as and ".com" not in rules.cited_as


def test_preset_conditions_follow_rules_md_c():
    assert all(PRESETS[name].one_per_year for name in TIANJIN)
    assert [name for name, rules in PRESETS.items() if rules.needs_national_standard] == \
        ["anhui_2023"]
    assert not any(rules.pass_theory or rules.pass_practical for rules in PRESETS.values())
    assert [band.label for band in PRESETS["anhui_2023"].bands] == ["前20%", "前21%至40%"]


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="not a promotion preset"):
        preset("national_class2")


# --- The cap: nothing past 高级技师, never 特级技师 or 首席技师 --------------------------------

@pytest.mark.parametrize("level", [L1, PRINCIPAL, CHIEF])
@pytest.mark.parametrize("name", ["national_class1_2015", "tianjin_2024_city1",
                                  "tianjin_2024_city2", "anhui_2023"])
def test_nobody_at_or_above_the_highest_level_is_promoted(name, level):
    outcome = check(name, 1, 30, level=level)
    assert outcome.code is AT_CAP and outcome.to_level is None


@pytest.mark.parametrize("target, cap, field", [
    (L1, PRINCIPAL, "cap"), (L2, CHIEF, "cap"), (PRINCIPAL, PRINCIPAL, "target"),
    (CHIEF, CHIEF, "target"), (L2, L3, "cap"), (APPRENTICE, L4, "target"),
])
def test_a_target_or_cap_past_the_highest_level_is_refused(target, cap, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        GroupTarget(target, cap)


def test_no_preset_targets_or_caps_past_the_highest_level():
    for rules in PRESETS.values():
        for band in rules.bands:
            for column in (band.employee, band.student):
                assert column is None or column.target <= column.cap <= L1


# --- Ties at a band edge, share bands at their edges -------------------------------------------

def test_entrants_tied_at_a_band_s_last_place_are_all_in_it():
    # anhui_2023, 7 entrants, ranks 1, 2, 2, 4: top 20 % is places 1–2, so both rank-2 entrants
    # are in it; 21–40 % is place 3, which the tie took, so rank 4 is in no band.
    assert [check("anhui_2023", rank, 7, level=L4).band for rank in (1, 2, 2, 4)] == \
        ["前20%", "前20%", "前20%", None]
    # Two tied at place 3, the only place of 21–40 %: both in it.
    assert [check("anhui_2023", rank, 7, level=L4).to_level for rank in (1, 2, 3, 3, 5)] == \
        [L2, L2, L3, L3, None]
    # national_class1_2015: two tied 5th are both top 5; the next rank, 7, is in 6–20.
    assert [check("national_class1_2015", rank, 30, level=L4).to_level
            for rank in (5, 5, 7)] == [L2, L2, L3]


@pytest.mark.parametrize("n, expected", [
    (1, [("前20%", 1, 1), ("前21%至40%", 2, 1)]),     # the second band has no place
    (2, [("前20%", 1, 1), ("前21%至40%", 2, 1)]),
    (3, [("前20%", 1, 1), ("前21%至40%", 2, 2)]),
    (7, [("前20%", 1, 2), ("前21%至40%", 3, 3)]),     # 20 % of 7 → 1–2; 21–40 % of 7 → 3
    (10, [("前20%", 1, 2), ("前21%至40%", 3, 4)]),
    (11, [("前20%", 1, 3), ("前21%至40%", 4, 5)]),
    (100, [("前20%", 1, 20), ("前21%至40%", 21, 40)]),
])
def test_share_bands_round_the_cut_off_place_up(n, expected):
    assert cutoffs(preset("anhui_2023"), n) == expected


@pytest.mark.parametrize("name, n, expected", [
    ("national_class1_2015", 1, [("前5名", 1, 1), ("第6至20名", 6, 1)]),
    ("national_class1_2015", 12, [("前5名", 1, 5), ("第6至20名", 6, 12)]),
    ("national_class1_2015", 40, [("前5名", 1, 5), ("第6至20名", 6, 20)]),
    ("tianjin_2024_city1", 4, [("前10名", 1, 4)]),
    ("tianjin_2024_enterprise", 1, [("前30%", 1, 1)]),
    ("tianjin_2024_enterprise", 7, [("前30%", 1, 3)]),
    ("tianjin_2024_enterprise", 20, [("前30%", 1, 6)]),
    ("national_skills_2020", 30, []),  # awards, not places
])
def test_cutoffs_list_each_band_s_places(name, n, expected):
    assert cutoffs(preset(name), n) == expected


def test_a_single_entrant_is_in_the_top_share():
    assert check("anhui_2023", 1, 1, level=L3).to_level is L2
    assert check("tianjin_2024_enterprise", 1, 1, level=L5).to_level is L4


@pytest.mark.parametrize("n", [-1, True, 2.0])
def test_cutoffs_refuse_a_bad_number_of_entrants(n):
    with pytest.raises(ValueError, match="entrants"):
        cutoffs(preset("anhui_2023"), n)


# --- One competition promotion per calendar year (天津) ----------------------------------------

@pytest.mark.parametrize("confirmed, on, code", [
    (date(2026, 1, 3), date(2026, 6, 1), ReasonCode.PROMOTED_THIS_YEAR),
    (date(2026, 1, 3), date(2026, 12, 31), ReasonCode.PROMOTED_THIS_YEAR),
    (date(2026, 1, 3), date(2027, 1, 1), OK),
    (date(2025, 12, 31), date(2026, 1, 1), OK),
])
@pytest.mark.parametrize("name", TIANJIN)
def test_one_promotion_per_calendar_year(name, confirmed, on, code):
    outcome = check(name, 1, 10, level=L5, promoted_on=[confirmed], on=on)
    assert outcome.code is code
    if code is not OK:
        assert outcome.reason.endswith(f"；本年度（{on.year}年）已通过竞赛晋升一次")
        assert outcome.to_level is None


def test_without_the_yearly_limit_an_earlier_promotion_does_not_count():
    outcome = check("national_class1_2015", 1, level=L3, promoted_on=[date(2026, 1, 3)])
    assert outcome.code is OK


# --- Pass marks (石家庄 2010) ------------------------------------------------------------------

@pytest.mark.parametrize("theory, practical, code, detail", [
    ("58", "90", ReasonCode.BELOW_PASS_MARK, "理论成绩58.00未达合格线60.00"),
    ("90", "59.99", ReasonCode.BELOW_PASS_MARK, "实操成绩59.99未达合格线60.00"),
    ("59.995", "60", ReasonCode.BELOW_PASS_MARK, "理论成绩59.995未达合格线60.00"),
    ("10", "20", ReasonCode.BELOW_PASS_MARK,
     "理论成绩10.00未达合格线60.00；实操成绩20.00未达合格线60.00"),
    (None, "90", ReasonCode.BELOW_PASS_MARK, "理论成绩缺失，未达合格线60.00"),
    ("60", "60", OK, None),
    ("60.00", "100", OK, None),
])
def test_both_pass_marks_must_be_reached(theory, practical, code, detail):
    outcome = check(with_pass_marks(), 1, theory=None if theory is None else D(theory),
                    practical=D(practical), level=L4)
    assert outcome.code is code
    if detail:
        assert outcome.reason.endswith(f"：前10名 → 技师；{detail}")
        assert outcome.band == "前10名" and outcome.to_level is None


def test_only_the_pass_marks_set_are_checked():
    rules = replace(preset("tianjin_2024_city1"), pass_theory=D(60))
    assert check(rules, 1, theory=D(60)).code is OK
    assert check(rules, 1, theory=D("59.5"), practical=D(100)).code is ReasonCode.BELOW_PASS_MARK


# --- Unknown level, national standard, order of the checks --------------------------------------

def test_an_unknown_level_is_an_outcome_not_an_error():
    outcome = check("tianjin_2024_city1", 1, level=None)
    assert outcome.code is ReasonCode.LEVEL_UNKNOWN and not outcome.eligible
    assert (outcome.from_level, outcome.to_level, outcome.band) == (None, None, "前10名")
    assert outcome.reason.endswith("；本职业技能等级未登记，无法认定")


def test_an_occupation_without_a_national_standard():
    outcome = check("anhui_2023", 1, 10, level=L3, standard=False)
    assert outcome.code is ReasonCode.NO_NATIONAL_STANDARD and outcome.band is None
    assert outcome.reason == f"{CITATIONS['anhui_2023']}：该职业无国家职业标准"
    # Rules that need no national standard ignore it.
    assert check("tianjin_2024_city1", 1, level=L3, standard=False).code is OK


def test_the_checks_run_in_the_documented_order():
    rules = replace(preset("anhui_2023"), one_per_year=True, pass_theory=D(60))
    fails = dict(standard=False, group="student", rank=9, theory=D(1),
                 promoted_on=[ON], level=None)
    order = [
        ("standard", True, ReasonCode.NO_NATIONAL_STANDARD),
        ("group", "employee", ReasonCode.GROUP_NOT_COVERED),
        ("rank", 1, NOT_IN_BAND),
        ("theory", D(60), ReasonCode.BELOW_PASS_MARK),
        ("promoted_on", [], ReasonCode.PROMOTED_THIS_YEAR),
        ("level", L1, ReasonCode.LEVEL_UNKNOWN),
    ]
    for key, fixed, code in order:
        assert check(rules, entrants=10, **fails).code is code
        fails[key] = fixed
    assert check(rules, entrants=10, **fails).code is AT_CAP


# --- The organiser's table -------------------------------------------------------------------

def test_band_table_shows_each_band_s_columns():
    assert band_table(preset("national_class1_2015")) == [
        ("前5名", "技师 / 已是技师及以上晋升一级（至多高级技师）", "高级工"),
        ("第6至20名", "高级工 / 已是高级工及以上晋升一级（至多技师）", "—"),
    ]
    assert band_table(preset("tianjin_2024_enterprise")) == [
        ("前30%", "中级工 / 已是中级工及以上晋升一级（至多高级工）", "中级工")]
    assert band_table(preset("national_skills_2020"))[0][2] == \
        "技师 / 已是技师及以上晋升一级（至多高级技师）"
    assert [row[2] for row in band_table(preset("anhui_2023"))] == ["—", "—"]


def test_level_names_are_one_table_of_short_forms():
    assert [LEVEL_NAMES[level] for level in SkillLevel] == [
        "学徒工", "初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师"]


# --- JSON storage ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_survives_a_json_round_trip(name):
    stored = json.loads(json.dumps(preset(name).to_json()))
    assert RuleSet.from_json(stored) == preset(name)
    assert RuleSet.from_json(stored).to_json() == stored


def test_json_keeps_shares_and_pass_marks_exact():
    rules = replace(with_pass_marks("60.0", "59.50", name="anhui_2023"), version=3)
    stored = rules.to_json()
    assert stored["bands"][1]["shares"] == ["1/5", "2/5"]
    assert (stored["pass_theory"], stored["pass_practical"]) == ("60.0", "59.50")
    again = RuleSet.from_json(json.loads(json.dumps(stored)))
    assert again == rules and again.bands[1].shares == (F(1, 5), F(2, 5))
    assert str(again.pass_practical) == "59.50"


def _anhui_json():
    return preset("anhui_2023").to_json()


def _edit(path, value):
    data = _anhui_json()
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    return data


@pytest.mark.parametrize("data, field", [
    (_edit(["bands", 1, "shares"], ["2/5", "1/5"]), "bands[1].shares"),
    (_edit(["bands", 1, "shares"], ["1/5"]), "bands[1].shares"),
    (_edit(["bands", 0, "shares"], [0.0, 0.2]), "bands[0].shares[0]"),
    (_edit(["bands", 0, "shares"], ["0", "3/2"]), "bands[0].shares[1]"),
    (_edit(["bands", 0, "ranks"], [1, 5]), "bands[0].shares"),  # ranks and shares both set
    (_edit(["bands", 0, "shares"], None), "bands[0].ranks"),     # neither
    (_edit(["bands", 1, "employee", "cap"], "principal"), "bands[1].employee.cap"),
    (_edit(["bands", 1, "employee", "target"], "chief"), "bands[1].employee.target"),
    (_edit(["bands", 1, "employee", "cap"], "level4"), "bands[1].employee.cap"),
    (_edit(["bands", 0, "employee", "target"], "master"), "bands[0].employee.target"),
    (_edit(["bands", 0, "employee", "grade"], "level1"), "bands[0].employee.grade"),
    (_edit(["bands", 0, "employee"], None), "bands[0].employee"),  # promotes nobody
    (_edit(["bands", 0, "student"], "level3"), "bands[0].student"),
    (_edit(["bands", 0, "label"], ""), "bands[0].label"),
    (_edit(["bands", 1, "label"], "前20%"), "bands[1].label"),
    (_edit(["bands", 0, "colour"], "red"), "bands[0].colour"),
    (_edit(["bands"], []), "bands"),
    (_edit(["bands"], {"0": {}}), "bands"),
    (_edit(["bands", 1], "前21%至40%"), "bands[1]"),
    (_edit(["pass_theory"], 60.5), "pass_theory"),
    (_edit(["pass_practical"], "sixty"), "pass_practical"),
    (_edit(["version"], 0), "version"),
    (_edit(["one_per_year"], "yes"), "one_per_year"),
    (_edit(["cited_as"], None), "cited_as"),
    (_edit(["name"], ""), "name"),
    (_edit(["extra"], 1), "extra"),
])
def test_bad_json_is_refused_naming_the_field(data, field):
    with pytest.raises(ValueError) as refused:
        RuleSet.from_json(data)
    assert str(refused.value).split(": ")[0] == field


@pytest.mark.parametrize("ranks, field", [([0, 5], "bands[0].ranks[0]"),
                                          ([6, 5], "bands[0].ranks"),
                                          ([1, 2, 3], "bands[0].ranks")])
def test_bad_places_are_refused_naming_the_field(ranks, field):
    data = preset("national_class1_2015").to_json()
    data["bands"][0]["ranks"] = ranks
    with pytest.raises(ValueError) as refused:
        RuleSet.from_json(data)
    assert str(refused.value).split(": ")[0] == field


@pytest.mark.parametrize("awards", [["gold", "platinum"], [], "gold", {"gold": True}])
def test_bad_awards_are_refused_naming_the_field(awards):
    data = preset("national_skills_2020").to_json()
    data["bands"][0]["awards"] = awards
    with pytest.raises(ValueError, match=r"^bands\[0\]\.awards:"):
        RuleSet.from_json(data)


def test_json_that_is_not_an_object_is_refused():
    with pytest.raises(ValueError, match="^must be an object"):
        RuleSet.from_json(["anhui_2023"])


def test_standings_and_people_are_checked():
    with pytest.raises(ValueError, match="^rank:"):
        Standing(5, 4)
    with pytest.raises(ValueError, match="^theory:"):
        Standing(1, 4, theory=59.5)
    with pytest.raises(ValueError, match="^group:"):
        Person("judge", L3)
    assert Standing(1, 2, frozenset({Award.GOLD})).awards == {"gold"}
    assert Person("teacher", "level3").level is L3


# --- Properties ---------------------------------------------------------------------------------

LEVELS = st.sampled_from([*SkillLevel, None])
GROUPS = st.sampled_from(["employee", "student", "teacher"])
DATES = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@st.composite
def standings(draw):
    n = draw(st.integers(1, 500))
    return Standing(draw(st.integers(1, n)), n,
                    draw(st.frozensets(st.sampled_from([a.value for a in Award]))),
                    draw(st.none() | st.decimals(0, 100, places=2)),
                    draw(st.none() | st.decimals(0, 100, places=2)))


@st.composite
def bands(draw, label):
    kind = draw(st.sampled_from(["ranks", "shares", "awards"]))
    if kind == "ranks":
        first = draw(st.integers(1, 60))
        where = {"ranks": (first, draw(st.integers(first, 80)))}
    elif kind == "shares":
        after, up_to = sorted(draw(st.lists(st.fractions(0, 1, max_denominator=100),
                                            min_size=2, max_size=2, unique=True)))
        where = {"shares": (after, up_to)}
    else:
        where = {"awards": draw(st.frozensets(st.sampled_from([a.value for a in Award]),
                                              min_size=1))}
    columns = st.none() | st.tuples(st.sampled_from([L5, L4, L3, L2, L1]),
                                    st.sampled_from([L5, L4, L3, L2, L1])).map(
        lambda pair: GroupTarget(min(pair), max(pair)))
    employee, student = draw(columns), draw(columns)
    if employee is None and student is None:
        employee = GroupTarget(L2, L1)
    return Band(label, **where, employee=employee, student=student)


@st.composite
def rule_sets(draw):
    marks = st.none() | st.decimals(0, 100, places=2)
    return RuleSet("custom", draw(st.integers(1, 99)), "参照本竞赛技术文件",
                   tuple(draw(bands(f"第{i}档")) for i in range(draw(st.integers(1, 4)))),
                   one_per_year=draw(st.booleans()), pass_theory=draw(marks),
                   pass_practical=draw(marks), needs_national_standard=draw(st.booleans()))


RULES = st.sampled_from(list(PRESETS.values())) | rule_sets()


@settings(deadline=None, max_examples=300)
@given(rules=RULES, standing=standings(), level=LEVELS, group=GROUPS,
       promoted_on=st.lists(DATES, max_size=3), standard=st.booleans(), on=DATES)
def test_assess_never_raises_and_never_promotes_past_the_cap(
        rules, standing, level, group, promoted_on, standard, on):
    outcome = assess(rules, standing, Person(group, level, tuple(promoted_on)),
                     has_national_standard=standard, on=on)
    assert outcome.reason.startswith(rules.cited_as + "：")
    assert outcome.from_level is level
    if not outcome.eligible:
        assert outcome.to_level is None
        return
    band = next(band for band in rules.bands if band.label == outcome.band)
    column = band.student if group == "student" else band.employee
    assert level is not None and level < outcome.to_level <= column.cap <= L1
    assert outcome.to_level in (column.target, level.step_up(1))
    assert not (rules.one_per_year and any(day.year == on.year for day in promoted_on))


@settings(deadline=None)
@given(name=st.sampled_from(["national_class1_2015", "tianjin_2024_city1",
                             "tianjin_2024_city2", "tianjin_2024_enterprise", "anhui_2023"]),
       n=st.integers(1, 500), data=st.data())
def test_a_better_rank_is_never_out_of_the_bands_when_a_worse_one_is_in(name, n, data):
    worse = data.draw(st.integers(1, n))
    better = data.draw(st.integers(1, worse))
    if check(name, worse, n, level=L5).band is not None:
        assert check(name, better, n, level=L5).band is not None


@settings(deadline=None)
@given(n=st.integers(0, 1000))
def test_anhui_share_bands_are_contiguous_and_inside_the_field(n):
    (_l1, first1, last1), (_l2, first2, last2) = cutoffs(preset("anhui_2023"), n)
    assert first1 == 1 and first2 == last1 + 1
    assert last1 == -(-n // 5) and last2 == -(-2 * n // 5) <= n


@settings(deadline=None)
@given(rules=rule_sets())
def test_any_rule_set_survives_a_json_round_trip(rules):
    stored = json.loads(json.dumps(rules.to_json()))
    assert RuleSet.from_json(stored) == rules
