"""The spread of an event's totals: a histogram, a summary, and the geometry of the chart that
the public results page draws on the server (templates/public/_distribution_chart.html).

Pure functions over Decimals: no floats, no app. Coordinates are rounded to a tenth of a pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

BIN_WIDTH = Decimal(10)
SCALE_TOP = Decimal(100)  # totals are out of 100 (DESIGN.md §4)
PIXEL = Decimal("0.1")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Bin:
    """Totals from `low` up to `high`: `high` itself only in the last bin (`closed`)."""

    low: Decimal
    high: Decimal
    count: int
    closed: bool = False

    @property
    def text(self) -> str:
        return f"{_plain(self.low)}–{_plain(self.high)}"


def _plain(value: Decimal) -> str:
    """80 rather than 8E+1 or 80.00: bin edges are whole or short numbers."""
    return format(value.normalize(), "f")


def histogram(totals: Sequence[Decimal], *, width: Decimal = BIN_WIDTH,
              top: Decimal = SCALE_TOP) -> list[Bin]:
    """Counts of `totals` in [0, w), [w, 2w), …, [top − w, top], the last bin closed.

    The scale runs from 0 to `top`, stretched to the next multiple of `width` when a total lies
    beyond it, so every total falls in exactly one bin and the counts add up to len(totals).
    """
    width, top = Decimal(width), Decimal(top)
    if width <= 0:
        raise ValueError("the bin width must be positive")
    for total in totals:
        if isinstance(total, float) or not isinstance(total, Decimal | int):
            raise TypeError(f"totals must be Decimals, not {type(total).__name__}")
        if total < 0:
            raise ValueError(f"total {total} is below 0")
    highest = max([Decimal(top), *totals])
    bins = max(int((highest / width).to_integral_value(rounding=ROUND_CEILING)), 1)
    counts = [0] * bins
    for total in totals:
        counts[min(int(Decimal(total) // width), bins - 1)] += 1
    return [Bin(low=width * i, high=width * (i + 1), count=count, closed=(i == bins - 1))
            for i, count in enumerate(counts)]


@dataclass(frozen=True)
class Summary:
    count: int
    highest: Decimal | None
    lowest: Decimal | None
    median: Decimal | None  # the middle total, or the mean of the two middle ones (to 2 places)
    mean: Decimal | None  # to 2 places, half-up


def summarise(totals: Sequence[Decimal]) -> Summary:
    if not totals:
        return Summary(0, None, None, None, None)
    values = sorted(Decimal(t) for t in totals)
    n, middle = len(values), len(values) // 2
    median = values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2
    mean = sum(values, Decimal(0)) / n
    return Summary(n, values[-1], values[0],
                   median.quantize(CENTS, rounding=ROUND_HALF_UP),
                   mean.quantize(CENTS, rounding=ROUND_HALF_UP))


# --- the chart: a vertical column per bin, counts up the side ------------------------------

@dataclass(frozen=True)
class Column:
    bin: Bin
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    centre_x: Decimal  # where the bin's label and count are centred
    count_y: Decimal  # baseline of the count written above the column


@dataclass(frozen=True)
class Tick:
    value: int
    y: Decimal
    text_y: Decimal


@dataclass(frozen=True)
class Chart:
    width: Decimal
    height: Decimal
    plot_left: Decimal
    plot_right: Decimal
    plot_top: Decimal
    axis_y: Decimal
    tick_x: Decimal  # right edge of the count labels
    label_y: Decimal  # baseline of the bin labels under the axis
    caption_y: Decimal
    columns: list[Column]
    ticks: list[Tick]
    count: int  # entrants drawn


def count_axis(highest: int) -> tuple[int, int]:
    """(top, step) of a count axis from 0 covering `highest` with at most 5 steps of 1, 2, 5,
    10, 20, 50, … entrants."""
    highest = max(int(highest), 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            steps = -(-highest // step)
            if steps <= 5:
                return steps * step, step
        magnitude *= 10


def _px(value: Decimal) -> Decimal:
    return value.quantize(PIXEL)


def chart_layout(bins: Sequence[Bin], *, width: int = 640, plot_height: int = 200,
                 left: int = 44, right: int = 12, top: int = 32, gap: int = 4) -> Chart:
    """Geometry of the histogram: columns side by side, `gap` pixels apart, scaled so that the
    axis top (a round number at or above the largest count) meets the plot's top edge."""
    plot_left, plot_right = Decimal(left), Decimal(width - right)
    plot_top, axis_y = Decimal(top), Decimal(top + plot_height)
    axis_top, step = count_axis(max([b.count for b in bins], default=0))
    scale = (axis_y - plot_top) / axis_top
    slot = (plot_right - plot_left) / max(len(bins), 1)
    columns = []
    for index, item in enumerate(bins):
        height = _px(item.count * scale)
        x = plot_left + slot * index
        columns.append(Column(bin=item, x=_px(x + Decimal(gap) / 2), y=axis_y - height,
                              width=_px(slot - gap), height=height,
                              centre_x=_px(x + slot / 2), count_y=_px(axis_y - height - 4)))
    ticks = [Tick(value=n, y=_px(axis_y - n * scale), text_y=_px(axis_y - n * scale + 4))
             for n in range(0, axis_top + 1, step)]
    return Chart(width=Decimal(width), height=axis_y + 44, plot_left=plot_left,
                 plot_right=plot_right, plot_top=plot_top, axis_y=axis_y,
                 tick_x=plot_left - 6, label_y=axis_y + 16, caption_y=axis_y + 36,
                 columns=columns, ticks=ticks, count=sum(b.count for b in bins))
