"""The embedded CJK fonts, registered once on first use, and text drawn with per-character
fallback between them.

reportlab cannot embed CFF-outline fonts such as Noto CJK, and its built-in STSong-Light is not
embedded (the PDF then depends on the reader having a Chinese font). TrueType fonts are embedded
as a subset holding only the glyphs a document uses, so a one-page list stays small. Two faces
ship (fonts/README): WenQuanYi Micro Hei, a sans for tables and running text, and AR PL UKai, a
formal kai for titles and names. Neither covers every character in people's names, and reportlab
prints a character its font lacks as a blank; so `draw_text` takes each character from the first
font that has it, and prints one that no font has as 〓 (the geta mark), never as a blank.
"""

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
SANS = "sans"
KAI = "kai"
GETA = "〓"  # U+3013, typesetters' mark for a character the font lacks


@dataclass(frozen=True)
class Face:
    font_name: str  # as registered with reportlab
    file: Path
    subfont: int = 0  # index in a TrueType collection


MING_EXT_A = "ming-ext-a"
FACES = {  # in fallback order: a character missing from the requested face comes from the next
    SANS: Face("WenQuanYiMicroHei", FONT_DIR / "wqy-microhei.ttc"),  # LICENSE-Apache-2.0.txt
    KAI: Face("ARPLUKaiCN", FONT_DIR / "ukai.ttc"),  # LICENSE-Arphic-Public-License.txt
    # Fallback only: Extension A (䶮 …), which WenQuanYi lacks and UKai partly maps to blanks.
    MING_EXT_A: Face("ARPLUMingCNExtA", FONT_DIR / "uming-ext-a.ttf"),  # the same licence
}
FONT_FILE = FACES[SANS].file
FONT_NAME = FACES[SANS].font_name

_lock = threading.Lock()
_coverage: dict[str, frozenset[str]] = {}  # face -> the characters it has a glyph for


def font_name(face: str = SANS) -> str:
    """The face's reportlab font name, registering it on the first call (~0.05 s each)."""
    if face not in _coverage:
        with _lock:
            if face not in _coverage:
                spec = FACES[face]
                font = TTFont(spec.font_name, str(spec.file), subfontIndex=spec.subfont)
                _copy_glyphs_not_the_table(font.face)
                pdfmetrics.registerFont(font)
                _coverage[face] = _covered(font.face)
    return FACES[face].font_name


class _GlyphTable:
    """The font's glyf table as reportlab's subsetter reads it (it only slices it), copying
    just the slices taken."""

    def __init__(self, view: memoryview):
        self._view = view

    def __len__(self) -> int:
        return len(self._view)

    def __getitem__(self, index) -> bytes:
        return bytes(self._view[index])


def _copy_glyphs_not_the_table(face) -> None:
    """reportlab's `makeSubset` copies a face's whole glyf table (about 13 MB for UKai) to take
    the few dozen glyphs a document uses out of it: about 5 ms of every certificate. Give that
    one table to it as a view; every other table is read as before. (Checked against the
    copying reader in tests/test_certificate_fonts.py, byte for byte.)"""
    data = memoryview(face._ttf_data)
    read = face.get_table

    def get_table(tag):
        if tag != "glyf":
            return read(tag)
        start, length = face.get_table_pos(tag)
        return _GlyphTable(data[start:start + length])

    face.get_table = get_table


def _covered(face) -> frozenset[str]:
    # A character counts if the cmap maps it to a glyph with an outline: AR PL UKai maps 43
    # Extension A characters (䶮 among them) to empty glyphs, which would print as blanks.
    # glyphPos is the font's loca table: an empty glyph has no bytes.
    position = face.glyphPos
    return frozenset(chr(code) for code, glyph in face.charToGlyph.items()
                     if glyph and (position[glyph + 1] > position[glyph] or chr(code).isspace()))


def cjk_font() -> str:
    """The sans face's font name (the tables' font), registering it on first use."""
    return font_name(SANS)


def _covering(face: str) -> list[tuple[str, frozenset[str]]]:
    """(font name, coverage) of the requested face, then of the others in fallback order."""
    order = [face, *(other for other in FACES if other != face)]
    return [(font_name(name), _coverage[name]) for name in order]


def _is_ignorable(char: str) -> bool:
    # Whitespace, control and format characters, and variation selectors (a name typed with an
    # ideographic variation sequence prints in the base character's usual form).
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf") or (
        "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef")


def missing_characters(text: str) -> list[str]:
    """The distinct characters of `text`, in order of first appearance, that no shipped font
    has (whitespace and control characters aside): they print as 〓."""
    covered = _covering(SANS)
    seen = dict.fromkeys(text)
    return [char for char in seen if not _is_ignorable(char)
            and not any(char in coverage for _, coverage in covered)]


def runs(text: str, face: str = SANS) -> list[tuple[str, str]]:
    """`text` as (font name, text) runs: each character in `face` if it has it, else in the
    first other shipped font that has it, else 〓; whitespace stays in the current run."""
    covered = _covering(face)
    primary, coverage = covered[0]
    if coverage.issuperset(text):  # the usual case: one run, no per-character work
        return [(primary, text)] if text else []
    by_font = dict(covered)
    result: list[tuple[str, list[str]]] = []
    for char in text:
        if _is_ignorable(char):
            if not char.isspace():
                continue
            font = result[-1][0] if result else primary
            char = char if char in by_font[font] else " "
        else:
            if not any(char in cover for _, cover in covered):
                char = GETA
            font = next(name for name, cover in covered if char in cover)
        if result and result[-1][0] == font:
            result[-1][1].append(char)
        else:
            result.append((font, [char]))
    return [(font, "".join(chars)) for font, chars in result]


def text_width(text: str, size: float, face: str = SANS) -> float:
    """The width of `text` at `size` points, as draw_text draws it."""
    return sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs(text, face))


def fit_size(text: str, max_width: float, size: float, face: str = SANS,
             min_size: float = 6) -> float:
    """The largest size up to `size` at which `text` fits `max_width`, but not below
    `min_size` (a very long text then overflows rather than becoming unreadable)."""
    width = text_width(text, 1, face)
    if width * size <= max_width:
        return size
    return max(min_size, max_width / width)


def draw_text(canvas, x: float, y: float, text: str, *, size: float, face: str = SANS,
              align: str = "left") -> float:
    """Draw `text` with its baseline at `y`, starting at `x` (align "left"), centred on it
    ("centre") or ending at it ("right"), each character in the first font that has it.
    Returns the width drawn. The canvas's current font is left unchanged."""
    parts = [(font, run, pdfmetrics.stringWidth(run, font, size)) for font, run in runs(text, face)]
    width = sum(part[2] for part in parts)
    if align == "centre":
        x -= width / 2
    elif align == "right":
        x -= width
    elif align != "left":
        raise ValueError(f"align must be left, centre or right, not {align!r}")
    canvas.saveState()  # font changes inside the text object must not leak to the caller
    text_object = canvas.beginText(x, y)
    for font, run, _ in parts:
        text_object.setFont(font, size)
        text_object.textOut(run)
    canvas.drawText(text_object)
    canvas.restoreState()
    return width


def markup(text: str, face: str = SANS) -> str:
    """`text` escaped for a platypus Paragraph whose style uses `face`, with <font> runs for
    the characters that come from another font."""
    primary = font_name(face)
    return "".join(escape(run) if font == primary else f'<font name="{font}">{escape(run)}</font>'
                   for font, run in runs(text, face))


def unprintable(texts: Iterable[str | None]) -> list[tuple[str, list[str]]]:
    """(text, its characters no shipped font has) for each distinct text that has any: what a
    PDF of these texts prints as 〓."""
    found = {}
    for text in texts:
        if text and text not in found:
            found[text] = missing_characters(text)
    return [(text, missing) for text, missing in found.items() if missing]
