"""Judge consistency (pure): deviations from the panel mark in percent of the maximum, the
outlier rule, and the chart's geometry."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.judging.consistency import (
    DEFAULT_MIN_MARKS,
    PanelMarks,
    axis_limit,
    chart_layout,
    deviation,
    judge_deviations,
    rounded,
    signed,
)
from competitions.judging.scoring import AGGREGATIONS, panel_mark

MAXIMA = [D(5), D(10), D("12.5"), D(20), D(100)]


@st.composite
def raw_panels(draw, judges=st.integers(min_value=1, max_value=8)):
    """(maximum, {judge id: mark}, aggregation) for one panel of 3 to 5 judges."""
    maximum = draw(st.sampled_from(MAXIMA))
    ids = draw(st.lists(judges, min_size=3, max_size=5, unique=True))
    marks = {judge: draw(st.decimals(min_value=0, max_value=maximum, places=2))
             for judge in ids}
    return maximum, marks, draw(st.sampled_from(sorted(AGGREGATIONS)))


def as_panel(raw) -> PanelMarks:
    maximum, marks, aggregation = raw
    return PanelMarks(maximum=maximum, aggregate=panel_mark(list(marks.values()), aggregation),
                      marks=marks)


def by_judge(results):
    return {r.judge_id: r for r in results}


def test_a_worked_example_of_a_lenient_and_a_strict_judge():
    panels = [PanelMarks(D(10), D(7), {1: D(7), 2: D(9), 3: D(5)}),
              PanelMarks(D(20), D(12), {1: D(12), 2: D(15), 3: D(9)})]
    results = judge_deviations(panels, min_marks=1)
    assert [r.judge_id for r in results] == [2, 1, 3]  # most lenient first
    lenient, steady, strict = results
    # Judge 2: +2 of 10 (20 %) and +3 of 20 (15 %).
    assert (lenient.marks, lenient.mean_deviation, lenient.mean_absolute_deviation) == \
        (2, D("17.5"), D("17.5"))
    assert steady.mean_deviation == 0 and steady.mean_absolute_deviation == 0
    assert strict.mean_deviation == D("-17.5") and strict.mean_absolute_deviation == D("17.5")
    assert [r.is_outlier for r in results] == [True, False, True]


def test_deviation_is_a_percentage_of_the_criterion_maximum():
    assert deviation(D(9), D(8), D(10)) == D(10)
    assert deviation(D(9), D(8), D(20)) == D(5)
    assert deviation(D("7.5"), D(8), D(5)) == D(-10)


def test_signed_and_absolute_means_differ_for_a_judge_whose_errors_cancel():
    panels = [PanelMarks(D(10), D(5), {1: D(7)}), PanelMarks(D(10), D(5), {1: D(3)})]
    (judge,) = judge_deviations(panels, min_marks=1)
    assert judge.mean_deviation == 0 and judge.mean_absolute_deviation == D(20)
    assert not judge.is_outlier  # erratic, not biased: the signed mean decides


@pytest.mark.parametrize("lean, threshold, flagged", [
    (D("10.5"), D(10), True),
    (D(10), D(10), False),       # exactly at the threshold: not beyond it
    (D("-10.5"), D(10), True),   # strict judges too
    (D("10.5"), D(15), False),   # the threshold is a parameter
    (D(4), D(3), True),
])
def test_outliers_lean_beyond_the_threshold(lean, threshold, flagged):
    panels = [PanelMarks(D(100), D(50), {1: D(50) + lean, 2: D(50)})] * DEFAULT_MIN_MARKS
    results = by_judge(judge_deviations(panels, threshold=threshold))
    assert results[1].is_outlier is flagged
    assert results[2].is_outlier is False


def test_too_few_marks_are_never_flagged():
    panel = PanelMarks(D(10), D(5), {1: D(10)})
    assert judge_deviations([panel], min_marks=2)[0].is_outlier is False
    assert judge_deviations([panel] * 2, min_marks=2)[0].is_outlier is True


def test_no_panels_no_judges():
    assert judge_deviations([]) == []


# Properties

@given(st.lists(raw_panels(judges=st.integers(min_value=1, max_value=8)), min_size=1,
                max_size=6))
def test_a_judge_who_always_gives_the_panel_mark_has_no_deviation(raws):
    panels = []
    for maximum, marks, _aggregation in raws:
        # The median of the others: adding it to the panel leaves the median where it was.
        marks = {**marks, 0: panel_mark(list(marks.values()), "median")}
        aggregate = panel_mark(list(marks.values()), "median")
        assert aggregate == marks[0]
        panels.append(PanelMarks(maximum, aggregate, marks))
    steady = by_judge(judge_deviations(panels))[0]
    assert steady.mean_deviation == 0 and steady.mean_absolute_deviation == 0
    assert not steady.is_outlier


@given(st.lists(raw_panels(), min_size=1, max_size=8), st.randoms())
def test_results_do_not_depend_on_the_order_of_panels_or_judges(raws, rng):
    panels = [as_panel(raw) for raw in raws]
    shuffled = []
    for panel in panels:
        judges = list(panel.marks.items())
        rng.shuffle(judges)
        shuffled.append(PanelMarks(panel.maximum, panel.aggregate, dict(judges)))
    rng.shuffle(shuffled)
    assert judge_deviations(shuffled) == judge_deviations(panels)
    assert [str(r.mean_deviation) for r in judge_deviations(shuffled)] == \
        [str(r.mean_deviation) for r in judge_deviations(panels)]


@given(st.lists(raw_panels(), min_size=1, max_size=8),
       st.decimals(min_value=0, max_value=100, places=2))
def test_decimal_in_decimal_out(raws, threshold):
    for result in judge_deviations([as_panel(raw) for raw in raws], threshold=threshold):
        assert isinstance(result.mean_deviation, D)
        assert isinstance(result.mean_absolute_deviation, D)
        assert abs(result.mean_deviation) <= result.mean_absolute_deviation <= 100


@given(st.lists(raw_panels(judges=st.integers(min_value=2, max_value=8)), min_size=1,
                max_size=6),
       st.decimals(min_value="0.5", max_value=5, places=1), st.booleans())
def test_an_offset_on_one_judges_marks_moves_their_deviation_that_way(raws, offset, upwards):
    """Judge 1 sits on every panel; then their marks all move by the same offset."""
    shift = offset if upwards else -offset
    before, after, fixed = [], [], []
    for maximum, marks, aggregation in raws:
        marks = {**marks, 1: maximum / 2}
        moved = {**marks, 1: marks[1] + shift}
        before.append(as_panel((maximum, marks, aggregation)))
        after.append(as_panel((maximum, moved, aggregation)))
        fixed.append(PanelMarks(maximum, before[-1].aggregate, moved))
    was = by_judge(judge_deviations(before))[1].mean_deviation
    now = by_judge(judge_deviations(after))[1].mean_deviation
    held = by_judge(judge_deviations(fixed))[1].mean_deviation
    # Against the same panel marks, the whole offset shows.
    assert (held > was) if upwards else (held < was)
    # Recomputing the panel marks takes some of it back (the judge is on the panel), never all
    # of it for a mean; a median may not move at all.
    if all(aggregation != "median" for _m, _marks, aggregation in raws):
        assert (now > was) if upwards else (now < was)
    else:
        assert (now >= was) if upwards else (now <= was)


# Display and chart

@pytest.mark.parametrize("value, places, shown", [
    (D("12.25"), 1, "+12.3"), (D("-3"), 1, "\u22123.0"), (D("-0.04"), 1, "0.0"),
    (D("0E-27"), 1, "0.0"), (D(10), 0, "+10"), (D("6.666666666666666666666666667"), 1, "+6.7"),
])
def test_values_are_shown_signed_and_rounded_half_up(value, places, shown):
    assert signed(value, places) == shown
    assert rounded(abs(value), places) == shown.lstrip("+\u2212")


@pytest.mark.parametrize("extent, limit, step", [
    (D(0), D(1), D(1)), (D("3.2"), D(4), D(1)), (D(10), D(10), D(2)), (D("13.3"), D(15), D(5)),
    (D(20), D(20), D(5)), (D(45), D(50), D(10)), (D(100), D(100), D(20)),
    (D(110), D(125), D(25)), (D(400), D(400), D(80)),
])
def test_the_axis_is_a_round_number_with_at_most_five_ticks_a_side(extent, limit, step):
    assert axis_limit(extent) == (limit, step)


def test_chart_bars_start_at_zero_and_point_the_way_the_judge_leans():
    chart = chart_layout([("甲 (judge_a)", D("13.3"), True), ("乙 (judge_b)", D(0), False),
                          ("丙 (judge_c)", D("-6.7"), False)], D(10))
    lenient, steady, strict = chart.bars
    zero = next(t.x for t in chart.ticks if t.value == 0)
    assert zero == (chart.plot_left + chart.plot_right) / 2
    assert lenient.x == zero and lenient.width > 0 and lenient.value_anchor == "start"
    assert steady.width == 0
    assert strict.x + strict.width == zero and strict.value_anchor == "end"
    assert abs(lenient.width / strict.width - D("13.3") / D("6.7")) < D("0.01")  # to scale
    assert lenient.is_outlier and lenient.text == "+13.3%"
    assert strict.text == "\u22126.7%"
    assert [b.y for b in chart.bars] == sorted(b.y for b in chart.bars)


def test_chart_axis_covers_the_bars_and_shows_the_threshold():
    chart = chart_layout([("甲", D("-23"), True)], D(10))
    assert chart.limit == D(25)
    assert [t.text for t in chart.ticks] == \
        ["\u221225%", "\u221220%", "\u221215%", "\u221210%", "\u22125%", "0%", "+5%", "+10%",
         "+15%", "+20%", "+25%"]
    assert chart.ticks[0].x == chart.plot_left and chart.ticks[-1].x == chart.plot_right
    (bar,) = chart.bars
    assert chart.plot_left <= bar.x and bar.x + bar.width <= chart.plot_right
    assert [t.value for t in chart.thresholds] == [D(-10), D(10)]
    assert chart.height > chart.axis_y > bar.y + chart.bar_height


@given(st.lists(st.tuples(st.text(max_size=8), st.decimals(min_value=-100, max_value=100,
                                                            places=4), st.booleans()),
                max_size=12),
       st.decimals(min_value="0.01", max_value=100, places=2))
def test_chart_geometry_stays_inside_the_plot_in_decimals(rows, threshold):
    chart = chart_layout(rows, threshold)
    assert len(chart.bars) == len(rows)
    for bar in chart.bars:
        for value in (bar.x, bar.y, bar.width, bar.value_x, bar.text_y):
            assert isinstance(value, D)
        assert chart.plot_left <= bar.x <= bar.x + bar.width <= chart.plot_right
    assert 0 < threshold <= chart.limit or not chart.thresholds
    assert chart.ticks[0].value == -chart.limit and chart.ticks[-1].value == chart.limit
