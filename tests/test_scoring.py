"""Pure scoring rules: Decimal in, Decimal out, with the published aggregation choices."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competitions.judging.scoring import (
    AGGREGATIONS,
    MarkError,
    check_mark,
    component_score,
    panel_mark,
    weighted_total,
)

marks = st.lists(st.decimals(min_value=0, max_value=10, places=2, allow_nan=False,
                             allow_infinity=False), min_size=1, max_size=7)


@pytest.mark.parametrize("values, aggregation, expected", [
    (["8", "9", "7"], "mean", D(8)),
    (["8", "9", "7"], "trimmed_mean", D(8)),              # fewer than 5: plain mean
    (["10", "6", "8", "8", "8"], "trimmed_mean", D(8)),   # drops 10 and 6
    (["1", "2", "9", "9", "9"], "trimmed_mean", D("6.666666666666666666666666667")),
    (["7", "9", "8", "10"], "median", D("8.5")),
    (["7", "9", "8"], "median", D(8)),
])
def test_panel_marks(values, aggregation, expected):
    assert panel_mark([D(v) for v in values], aggregation) == expected


@given(marks, st.sampled_from(sorted(AGGREGATIONS)))
def test_a_panel_mark_lies_between_the_lowest_and_highest_mark(values, aggregation):
    result = panel_mark(values, aggregation)
    assert isinstance(result, D)
    assert min(values) <= result <= max(values)


@given(marks, st.sampled_from(sorted(AGGREGATIONS)), st.randoms())
def test_panel_marks_do_not_depend_on_the_order_of_the_judges(values, aggregation, rng):
    shuffled = list(values)
    rng.shuffle(shuffled)
    assert panel_mark(shuffled, aggregation) == panel_mark(values, aggregation)


def test_an_empty_panel_has_no_mark():
    with pytest.raises(ValueError):
        panel_mark([], "mean")


@pytest.mark.parametrize("mark, reason", [(D("-0.5"), "range"), (D("10.5"), "range"),
                                          (D("7.3"), "step")])
def test_marks_outside_the_range_or_off_the_step_are_refused(mark, reason):
    with pytest.raises(MarkError) as refused:
        check_mark(mark, maximum=D(10), step=D("0.5"))
    assert refused.value.reason == reason


def test_marks_on_the_step_within_range_are_accepted():
    assert check_mark(D("7.5"), maximum=D(10), step=D("0.5")) == D("7.5")
    assert check_mark(D(0), maximum=D(10), step=D("0.5")) == D(0)


def test_component_score_is_out_of_100_and_keeps_precision():
    assert component_score([D(7), D(8)], [D(10), D(20)]) == D(50)
    assert component_score([D(1)], [D(3)]) == D(100) / D(3)


def test_the_total_is_weighted_3_to_7_and_rounded_half_up():
    # 80 × 0.3 + 91.25 × 0.7 = 87.875 → 87.88
    assert weighted_total([(D(80), D(30)), (D("91.25"), D(70))]) == D("87.88")
    # Half-up, not half-even (which would give 80.00 and 87.86).
    assert weighted_total([(D("80.005"), D(100))]) == D("80.01")
    assert weighted_total([(D("87.865"), D(100))]) == D("87.87")


def test_weights_must_total_100():
    with pytest.raises(ValueError):
        weighted_total([(D(80), D(30)), (D(90), D(60))])
