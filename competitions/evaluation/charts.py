"""The evaluation's charts as geometry, computed once: the page draws them as inline SVG
(templates/evaluation/_bar_chart.html, _trend_chart.html) and the annual report with reportlab's
graphics (report_pdf.py), from the same objects, so the two never disagree.

Pure functions over Rates: no app, no floats. Coordinates are in pixels (points in the PDF),
y growing downwards as in SVG, rounded to a tenth; rates are percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from competitions.evaluation.measures import Breakdown, Evaluation, Rate, TrendPoint
from competitions.results.distribution import count_axis

PIXEL = Decimal("0.1")
COLOURS = ("#b8261d", "#6e8cae")  # participation, benefit: the app's red and the chart blue


def _px(value) -> Decimal:
    return Decimal(value).quantize(PIXEL)


def percent_axis(highest: Decimal | None) -> tuple[int, int]:
    """(top, step) of a percentage axis from 0: a round number at or above `highest`."""
    ceiling = int(Decimal(highest or 0).to_integral_value(rounding=ROUND_CEILING))
    return count_axis(max(ceiling, 1))


@dataclass(frozen=True)
class Tick:
    value: int
    position: Decimal  # x on a bar chart's axis, y on the trend chart's


@dataclass(frozen=True)
class Bar:
    series: int  # index into the chart's series (and COLOURS)
    rate: Rate
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    value_x: Decimal  # where the percentage is written, after the bar
    value_y: Decimal

    @property
    def text(self) -> str:
        percent = self.rate.percent
        return "—" if percent is None else f"{percent}%"

    @property
    def colour(self) -> str:
        return COLOURS[self.series % len(COLOURS)]


@dataclass(frozen=True)
class Row:
    label: str
    label_y: Decimal
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row per unit, one bar per series in each row."""

    width: Decimal
    height: Decimal
    plot_left: Decimal
    plot_right: Decimal
    plot_top: Decimal
    plot_bottom: Decimal
    label_x: Decimal  # right edge of the row labels
    series: list[str]
    rows: list[Row]
    ticks: list[Tick]


def bar_chart(rows: Sequence[tuple[str, Sequence[Rate]]], series: Sequence[str], *,
              width: int = 640, left: int = 150, right: int = 64, top: int = 28,
              bar: int = 12, gap: int = 10) -> BarChart:
    """Rows of rates as horizontal bars on one percentage axis, scaled to the largest rate."""
    per_row = bar * len(series) + gap
    plot_left, plot_right = Decimal(left), Decimal(width - right)
    plot_top = Decimal(top)
    plot_bottom = plot_top + per_row * len(rows) + (gap if not rows else 0)
    highest = max((rate.percent for _label, rates in rows for rate in rates
                   if rate.percent is not None), default=None)
    axis_top, step = percent_axis(highest)
    scale = (plot_right - plot_left) / axis_top
    laid = []
    for index, (label, rates) in enumerate(rows):
        row_top = plot_top + per_row * index + Decimal(gap) / 2
        bars = []
        for number, rate in enumerate(rates):
            length = _px((rate.percent or 0) * scale)
            y = row_top + bar * number
            bars.append(Bar(series=number, rate=rate, x=plot_left, y=_px(y),
                            width=length, height=Decimal(bar - 2),
                            value_x=_px(plot_left + length + 4), value_y=_px(y + bar - 3)))
        laid.append(Row(label=label, label_y=_px(row_top + Decimal(per_row) / 2 - 1), bars=bars))
    ticks = [Tick(value=n, position=_px(plot_left + n * scale))
             for n in range(0, axis_top + 1, step)]
    return BarChart(width=Decimal(width), height=plot_bottom + 20, plot_left=plot_left,
                    plot_right=plot_right, plot_top=plot_top, plot_bottom=plot_bottom,
                    label_x=plot_left - 6, series=list(series), rows=laid, ticks=ticks)


@dataclass(frozen=True)
class Point:
    year: int
    rate: Rate
    x: Decimal
    y: Decimal | None  # None: no rate that year (no workforce), so no point

    @property
    def text(self) -> str:
        percent = self.rate.percent
        return "—" if percent is None else f"{percent}%"


@dataclass(frozen=True)
class Line:
    series: int
    points: list[Point]

    @property
    def colour(self) -> str:
        return COLOURS[self.series % len(COLOURS)]

    @property
    def segments(self) -> list[tuple[Point, Point]]:
        """Consecutive years that both have a rate (a gap stays a gap)."""
        return [(a, b) for a, b in zip(self.points, self.points[1:], strict=False)
                if a.y is not None and b.y is not None]


@dataclass(frozen=True)
class TrendChart:
    width: Decimal
    height: Decimal
    plot_left: Decimal
    plot_right: Decimal
    plot_top: Decimal
    axis_y: Decimal
    year_y: Decimal  # baseline of the year labels
    series: list[str]
    lines: list[Line]
    ticks: list[Tick]


def trend_chart(points: Sequence[TrendPoint], series: Sequence[str], *, width: int = 640,
                plot_height: int = 180, left: int = 48, right: int = 24,
                top: int = 36) -> TrendChart:
    """Participation and benefit rates by year, one line each, on one percentage axis."""
    plot_left, plot_right = Decimal(left), Decimal(width - right)
    plot_top, axis_y = Decimal(top), Decimal(top + plot_height)
    rates = [[p.participation, p.benefit] for p in points]
    highest = max((r.percent for pair in rates for r in pair if r.percent is not None),
                  default=None)
    axis_top, step = percent_axis(highest)
    scale = (axis_y - plot_top) / axis_top
    slot = (plot_right - plot_left) / max(len(points), 1)
    lines = []
    for number in range(2):
        laid = []
        for index, point in enumerate(points):
            rate = rates[index][number]
            x = _px(plot_left + slot * index + slot / 2)
            y = None if rate.percent is None else _px(axis_y - rate.percent * scale)
            laid.append(Point(year=point.year, rate=rate, x=x, y=y))
        lines.append(Line(series=number, points=laid))
    ticks = [Tick(value=n, position=_px(axis_y - n * scale))
             for n in range(0, axis_top + 1, step)]
    # Below the axis: the benefit line's labels (at 0 they sit under it), then the years.
    return TrendChart(width=Decimal(width), height=axis_y + 44, plot_left=plot_left,
                      plot_right=plot_right, plot_top=plot_top, axis_y=axis_y,
                      year_y=axis_y + 36, series=list(series), lines=lines, ticks=ticks)


def district_chart(evaluation: Evaluation, series: Sequence[str]) -> BarChart:
    """Participation and benefit rates of each child of the organisation, in the tree's order."""
    return bar_chart([(row.label, [row.participation, row.benefit])
                      for row in evaluation.by_child], series)


def coverage_chart(evaluation: Evaluation, series: Sequence[str]) -> BarChart:
    """The subtree's reach, highest first: the share of each child's enterprises that entered
    a worker in the year (`series`: its one label); a child with no enterprise (no rate) last."""
    return bar_chart([(row.label, [row.coverage])
                      for row in sorted(evaluation.by_child, key=_reach)], series[:1])


def _reach(row: Breakdown):
    percent = row.coverage.percent
    return (percent is None, -(percent or 0), row.label)
