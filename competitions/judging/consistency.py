"""Judge consistency: how far each judge's marks sit from their panels' marks (pure).

A judge's deviation on one panel is (their mark − the panel mark) as a percentage of the
criterion's maximum, so criteria marked out of 5 and out of 20 compare. Over all the complete
panels a judge sat on we report the mean signed deviation (positive: lenient, negative: strict)
and the mean absolute deviation (how far off they are either way).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
DEFAULT_THRESHOLD = Decimal(10)  # percent of the criterion's maximum
DEFAULT_MIN_MARKS = 3


@dataclass(frozen=True)
class PanelMarks:
    """One complete panel: the criterion's maximum, the panel mark, each judge's mark."""

    maximum: Decimal
    aggregate: Decimal
    marks: Mapping[int, Decimal]  # judge id → mark


@dataclass(frozen=True)
class JudgeDeviation:
    judge_id: int
    marks: int
    mean_deviation: Decimal  # signed, percent of the maximum
    mean_absolute_deviation: Decimal  # percent of the maximum
    is_outlier: bool


def deviation(mark: Decimal, aggregate: Decimal, maximum: Decimal) -> Decimal:
    """(mark − panel mark) as a percentage of the criterion's maximum."""
    return (mark - aggregate) * HUNDRED / maximum


def _mean(values: Sequence[Decimal]) -> Decimal:
    # Summed in a fixed order, smallest magnitude first, so that the rounding of inexact
    # quotients neither depends on the order the panels came in nor lets a judge's signed mean
    # exceed their absolute mean by a last digit.
    return sum(sorted(values, key=lambda v: (abs(v), v)), Decimal(0)) / len(values)


def judge_deviations(panels: Iterable[PanelMarks], *, threshold: Decimal = DEFAULT_THRESHOLD,
                     min_marks: int = DEFAULT_MIN_MARKS) -> list[JudgeDeviation]:
    """Each judge's mean signed and absolute deviation, most lenient first.

    Outlier rule: a judge is flagged when they gave at least `min_marks` marks and their mean
    *signed* deviation lies more than `threshold` percent of the maximum from the panel marks
    (|mean signed deviation| > threshold). The signed mean measures a systematic lean — marking
    consistently above or below the rest of the panel — which is what a chief judge must act on;
    a judge whose errors cancel out is not biased, and their mean absolute deviation is shown
    beside it for that judgement. Fewer than `min_marks` marks say too little to call anyone
    biased: their numbers are reported but never flagged.
    """
    found: dict[int, list[Decimal]] = defaultdict(list)
    for panel in panels:
        for judge_id, mark in panel.marks.items():
            found[judge_id].append(deviation(mark, panel.aggregate, panel.maximum))
    results = []
    for judge_id, deviations in found.items():
        signed = _mean(deviations)
        results.append(JudgeDeviation(
            judge_id=judge_id, marks=len(deviations), mean_deviation=signed,
            mean_absolute_deviation=_mean([abs(d) for d in deviations]),
            is_outlier=len(deviations) >= min_marks and abs(signed) > threshold))
    return sorted(results, key=lambda r: (-r.mean_deviation, r.judge_id))


def signed(value: Decimal, places: int = 1) -> str:
    """For display: rounded half-up, with a sign ("+12.5", "−3.0", "0.0"); never "−0.0"."""
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if shown == 0:
        return f"{abs(shown)}"
    return f"+{shown}" if shown > 0 else f"\u2212{-shown}"


def rounded(value: Decimal, places: int = 1) -> str:
    """For display: rounded half-up, without a sign for positive values ("6.7")."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}"


# The chart: a horizontal bar per judge, centred on zero. Coordinates are Decimals (never
# floats), rounded to a tenth of a pixel for the SVG.

PIXEL = Decimal("0.1")
TICK_STEPS = (Decimal(1), Decimal(2), Decimal(5), Decimal(10), Decimal(20), Decimal(25))
MAX_TICKS_PER_SIDE = 5


def _px(value: Decimal) -> Decimal:
    return value.quantize(PIXEL)


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: Decimal
    text: str  # the value as shown, e.g. "+12.5%"
    is_outlier: bool
    text_y: Decimal  # baseline of the row's texts
    x: Decimal  # left end of the bar
    y: Decimal
    width: Decimal
    value_x: Decimal  # where the value label is anchored
    value_anchor: str  # "start" right of a lenient bar, "end" left of a strict one


@dataclass(frozen=True)
class ChartTick:
    value: Decimal
    text: str
    x: Decimal


@dataclass(frozen=True)
class Chart:
    width: Decimal
    height: Decimal
    label_x: Decimal  # right edge of the judges' names
    plot_left: Decimal
    plot_right: Decimal
    plot_top: Decimal
    axis_y: Decimal
    tick_text_y: Decimal
    caption_y: Decimal
    bar_height: Decimal
    limit: Decimal  # the axis runs from −limit to +limit percent
    bars: list[ChartBar]
    ticks: list[ChartTick]
    thresholds: list[ChartTick]  # the outlier band's edges, when inside the axis


def axis_limit(extent: Decimal) -> tuple[Decimal, Decimal]:
    """(limit, tick step) of a symmetric axis covering ±extent with at most 5 ticks a side."""
    extent = max(abs(extent), Decimal(1))
    for step in TICK_STEPS:
        ticks = (extent / step).to_integral_value(rounding=ROUND_CEILING)
        if ticks <= MAX_TICKS_PER_SIDE:
            return ticks * step, step
    step = (extent / MAX_TICKS_PER_SIDE).to_integral_value(rounding=ROUND_CEILING)
    return step * MAX_TICKS_PER_SIDE, step


def chart_layout(rows: Sequence[tuple[str, Decimal, bool]], threshold: Decimal, *,
                 width: int = 760, label_width: int = 220, margin: int = 64,
                 row_height: int = 30, bar_height: int = 18) -> Chart:
    """Geometry of the deviation chart for (label, signed deviation %, is outlier) rows.

    The axis is symmetric around zero and wide enough for every bar and the outlier threshold;
    `margin` leaves room either side of the plot for the value labels at the bars' ends.
    """
    row_h, bar_h = Decimal(row_height), Decimal(bar_height)
    extent = max([abs(value) for _label, value, _outlier in rows] + [threshold])
    limit, step = axis_limit(extent)
    plot_left, plot_right = Decimal(label_width + margin), Decimal(width - margin)
    zero_x = (plot_left + plot_right) / 2
    scale = (plot_right - zero_x) / limit
    top = Decimal(8)

    def at(value: Decimal) -> Decimal:
        return _px(zero_x + value * scale)

    bars = []
    for index, (label, value, is_outlier) in enumerate(rows):
        row_top = top + index * row_h
        end, zero = at(value), _px(zero_x)
        bars.append(ChartBar(
            label=label, value=value, text=f"{signed(value)}%", is_outlier=is_outlier,
            text_y=_px(row_top + row_h / 2 + 5), x=min(end, zero),
            y=_px(row_top + (row_h - bar_h) / 2), width=abs(end - zero),
            value_x=end + 6 if value >= 0 else end - 6,
            value_anchor="start" if value >= 0 else "end"))
    count = int(limit / step)
    ticks = [ChartTick(value=n * step, text=f"{signed(n * step, 0)}%", x=at(n * step))
             for n in range(-count, count + 1)]
    thresholds = [ChartTick(value=v, text=f"{signed(v)}%", x=at(v))
                  for v in (-threshold, threshold) if 0 < threshold <= limit]
    axis_y = top + len(rows) * row_h + 4
    return Chart(width=Decimal(width), height=axis_y + 48, label_x=Decimal(label_width),
                 plot_left=plot_left, plot_right=plot_right, plot_top=top, axis_y=axis_y,
                 tick_text_y=axis_y + 18, caption_y=axis_y + 40, bar_height=bar_h, limit=limit,
                 bars=bars, ticks=ticks, thresholds=thresholds)
