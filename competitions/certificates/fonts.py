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

import functools
import itertools
import struct
import threading
import unicodedata
import zlib
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
    # reportlab's asciiReadable: every subset holds all 95 printable ASCII characters, so that
    # a page stream's Latin text reads as itself. A space keeps code 32 either way (word
    # spacing works), so a face whose text is Chinese does without: a certificate's subset
    # then holds the ~75 glyphs it uses, not ~150 (6 KB and 0.5 ms less a certificate).
    ascii_block: bool = True
    # Embedded subsets compressed glyph by glyph, each glyph once (deflate_font_file): the
    # certificate's face, whose glyphs compress only ~15 % worse apart. WenQuanYi's compress
    # 50-60 % worse apart, so its subsets are compressed whole, as reportlab does.
    glyphs_deflated_once: bool = False


MING_EXT_A = "ming-ext-a"
FACES = {  # in fallback order: a character missing from the requested face comes from the next
    SANS: Face("WenQuanYiMicroHei", FONT_DIR / "wqy-microhei.ttc"),  # LICENSE-Apache-2.0.txt
    KAI: Face("ARPLUKaiCN", FONT_DIR / "ukai.ttc",  # LICENSE-Arphic-Public-License.txt
              ascii_block=False, glyphs_deflated_once=True),
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
                font = TTFont(spec.font_name, str(spec.file), subfontIndex=spec.subfont,
                              asciiReadable=spec.ascii_block)
                _copy_glyphs_not_the_table(font.face)
                if spec.glyphs_deflated_once:
                    _deflate_font_files_by_part(font.face)
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


# Compressing a subset: reportlab deflates each embedded subset whole, about 2 ms of every
# certificate (the kai subset is 48 KB: 25 KB of glyphs and the 22 KB name table, which is the
# same in every PDF). A deflate stream may be made of pieces each compressed on its own, so
# the name table and every glyph are compressed once and kept (a glyph is used again in the
# next certificate: the fixed wording, and most characters of names), and only the small
# tables that describe this subset (directory, cmap, hmtx, loca, …) are compressed per PDF.
# The subset is ~15 % larger than compressed whole: a glyph compressed alone cannot refer
# back to the glyphs before it.
SUBSET_TABLES = {b"cmap", b"head", b"hhea", b"hmtx", b"loca", b"maxp"}  # made per subset


def font_file_parts(font: bytes) -> list[tuple[bytes, bool]]:
    """A TrueType subset cut into consecutive (bytes, shared) parts that join up to it: each
    glyph and each table copied from the font is shared with other subsets of the face."""
    count = struct.unpack_from(">H", font, 4)[0]
    tables = {}
    for index in range(count):
        tag, _, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * index)
        tables[tag] = (offset, length)
    cuts = {0: False, len(font): False}  # offset -> whether the part starting there is shared
    for tag, (offset, length) in tables.items():
        cuts[offset] = tag not in SUBSET_TABLES
        cuts.setdefault(offset + length, False)  # its padding, or the next table
    if b"glyf" in tables and b"loca" in tables and b"head" in tables:
        start, length = tables[b"glyf"]
        for glyph in _glyph_offsets(font, tables):
            if glyph < length:
                cuts[start + glyph] = True
    points = sorted(offset for offset in cuts if 0 <= offset <= len(font))
    return [(font[begin:end], cuts[begin]) for begin, end in itertools.pairwise(points)]


def _glyph_offsets(font: bytes, tables) -> tuple[int, ...]:
    """Where each glyph starts in the glyf table, as the subset's own loca table says."""
    (head, _), (loca, length) = tables[b"head"], tables[b"loca"]
    if struct.unpack_from(">h", font, head + 50)[0]:  # indexToLocFormat 1: long offsets
        return struct.unpack_from(f">{length // 4}L", font, loca)
    return tuple(2 * offset for offset in struct.unpack_from(f">{length // 2}H", font, loca))


@functools.lru_cache(maxsize=4096)  # kai's glyphs: ~300 bytes, at most 2.3 KB
def _deflated(part: bytes) -> bytes:
    """`part` as raw deflate blocks that any other blocks may follow."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)


def deflate_font_file(font: bytes) -> bytes:
    """`font` as a zlib stream (a PDF's FlateDecode), its shared parts compressed once."""
    pieces, fresh = [b"\x78\x9c"], []
    for part, shared in font_file_parts(font):
        if not shared:
            fresh.append(part)
            continue
        if fresh:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            pieces.append(compressor.compress(b"".join(fresh))
                          + compressor.flush(zlib.Z_SYNC_FLUSH))
            fresh = []
        pieces.append(_deflated(part))
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    pieces.append(compressor.compress(b"".join(fresh)) + compressor.flush())  # the last block
    pieces.append(struct.pack(">L", zlib.adler32(font)))
    return b"".join(pieces)


class _FontFileFlate:
    """reportlab's FlateDecode filter for an embedded subset, compressing it by parts."""

    pdfname = "FlateDecode"

    def encode(self, font: bytes) -> bytes:
        return deflate_font_file(font)

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


FONT_FILE_FLATE = _FontFileFlate()


def _deflate_font_files_by_part(face) -> None:
    """Each subset of the face that reportlab embeds is compressed by deflate_font_file."""
    add = face.addSubsetObjects

    def addSubsetObjects(doc, fontname, subset):
        descriptor = add(doc, fontname, subset)
        font_file = doc.idToObject[doc.idToObject[descriptor.name].dict["FontFile2"].name]
        if font_file.filters:  # a compressed document
            font_file.filters = [FONT_FILE_FLATE]
        return descriptor

    face.addSubsetObjects = addSubsetObjects


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
