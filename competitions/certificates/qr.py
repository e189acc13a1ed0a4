"""The verification QR code: encoded by zxing-cpp, drawn as vector rectangles.

Error correction M (15 % of the symbol recoverable) is enough for a printed sheet kept in a
folder; H would make the symbol denser for the same URL and harder to scan from a phone. The
symbol is drawn as vectors, so it stays sharp at any printer resolution, with each run of dark
modules in a row merged into one rectangle and identical runs in consecutive rows merged into a
taller one: a 37×37 symbol has ~600 dark modules but ~200 rectangles, which keeps the page
stream small and the PDF quick to render.
"""

import re

import zxingcpp
from reportlab.lib import colors

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires
EC_LEVEL = "M"

Run = tuple[int, int]  # first and one-past-last column of dark modules


def qr_matrix(text: str) -> list[list[bool]]:
    """The symbol's modules without the quiet zone, row 0 at the top; True is dark."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    width = image.shape[1]
    pixels = bytes(memoryview(image)).translate(DARK)  # one byte per module, 1 is dark
    return [list(map(bool, pixels[start:start + width]))
            for start in range(0, len(pixels), width)]


DARK = bytes([1] + [0] * 255)  # zxing's pixels: 0 is a dark module, 255 a light one
RUN = re.compile(rb"\x01+")


def row_runs(row: list[bool]) -> list[Run]:
    """The runs of dark modules in one row."""
    return [match.span() for match in RUN.finditer(bytes(row))]


def merged_rects(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """Rectangles (column, row, width, height) in modules covering exactly the dark modules.

    Runs are merged across a row, then a run that repeats in the next row extends the rectangle
    above it downwards.
    """
    rects = []
    open_runs: dict[Run, int] = {}  # run -> the row where its rectangle began
    for row_index, row in enumerate(matrix + [[]]):  # the empty sentinel row closes every run
        runs = set(row_runs(row))
        for run in [run for run in open_runs if run not in runs]:
            top = open_runs.pop(run)
            rects.append((run[0], top, run[1] - run[0], row_index - top))
        for run in runs:
            open_runs.setdefault(run, row_index)
    return rects


def draw_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the symbol with its quiet zone as a `size`-point square with its lower left at (x, y).

    The quiet zone is painted white so that a patterned pre-printed sheet cannot break it.
    """
    matrix = qr_matrix(text)
    modules = len(matrix) + 2 * QUIET_ZONE
    unit = size / modules
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    # In module units with y pointing down from the symbol's top left module, every rectangle
    # is four small integers: written straight into the page stream, where reportlab's path
    # object would format each coordinate as a float (most of the drawing time).
    canvas.transform(unit, 0, 0, -unit, x + QUIET_ZONE * unit, y + size - QUIET_ZONE * unit)
    operators = [f"{col} {row} {width} {height} re" for col, row, width, height
                 in merged_rects(matrix)]
    operators.append("f")
    canvas._code.append("\n".join(operators))
    canvas.restoreState()
