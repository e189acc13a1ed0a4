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


def module_rows(text: str) -> list[bytes]:
    """The symbol's rows without the quiet zone, top first, one byte a module: 1 is dark."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    width = image.shape[1]
    pixels = bytes(memoryview(image)).translate(DARK)
    return [pixels[start:start + width] for start in range(0, len(pixels), width)]


def qr_matrix(text: str) -> list[list[bool]]:
    """The symbol's modules without the quiet zone, row 0 at the top; True is dark."""
    return [list(map(bool, row)) for row in module_rows(text)]


DARK = bytes([1] + [0] * 255)  # zxing's pixels: 0 is a dark module, 255 a light one
RUN = re.compile(rb"\x01+")


def merged_rects(matrix: list[bytes] | list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """Rectangles (column, row, width, height) in modules covering exactly the dark modules of
    `matrix` (rows of module_rows or of qr_matrix).

    Runs are merged across a row, then a run that repeats in the next row extends the rectangle
    above it downwards.
    """
    rects = []
    above: dict[Run, int] = {}  # the runs of the row above -> the row where each one began
    for row_index, row in enumerate([*matrix, b""]):  # the empty row closes every run
        here = {}
        for match in RUN.finditer(bytes(row)):
            run = match.span()
            here[run] = above.pop(run, row_index)
        for (start, end), top in above.items():  # runs that stop above this row
            rects.append((start, top, end - start, row_index - top))
        above = here
    return rects


def draw_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the symbol with its quiet zone as a `size`-point square with its lower left at (x, y).

    The quiet zone is painted white so that a patterned pre-printed sheet cannot break it.
    """
    rows = module_rows(text)
    modules = len(rows) + 2 * QUIET_ZONE
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
                 in merged_rects(rows)]
    operators.append("f")
    canvas._code.append("\n".join(operators))
    canvas.restoreState()
