"""Reading an uploaded .xlsx with every cost bounded, before parsing and while parsing.

openpyxl reads a workbook's whole shared-strings table inside `load_workbook`, even in read-only
mode, so a 977 KB file holding one 1 GB cell cost a worker 2 GB before any row could be checked;
and its read-only rows pad out to the size the sheet claims. So an upload is read here instead,
with the standard library's streaming XML parser (expat) and these bounds, in this order:
1. the zip's own directory: the first sheet's XML and the shared-strings table may not unpack to
   more than `sheet_bytes` / `text_bytes`, nor be compressed more than `ratio` to 1 (zipfile
   also never inflates a member past the size its directory states);
2. while parsing: rows are counted as they are read, blank ones included, and reading stops at
   the first row past `rows`; a value in a column past `columns`, or a cell (or shared string)
   longer than `cell_chars` (Excel's own limit), stops it too.
Each refusal names its bound. Nothing here touches the database.
"""

import io
import math
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from openpyxl.utils import column_index_from_string, get_column_letter

from competitions.errors import DomainError
from competitions.i18n import lazy_gettext as _l

NOT_XLSX = _l("The file is not an .xlsx spreadsheet. Download the template and fill it in.")
CHUNK = 64 * 1024
MB = 1024 * 1024
# What a damaged, truncated or foreign file makes zipfile, zlib and expat raise (an encrypted
# member: RuntimeError; a bad CRC: BadZipFile; broken deflate data: zlib.error).
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, IndexError,
           EOFError, OSError, RuntimeError, NotImplementedError, zlib.error, expat.ExpatError)


class ImportRejected(DomainError):
    """The file as a whole is refused: not a workbook, or past one of the bounds."""


@dataclass(frozen=True)
class Limits:
    rows: int = 20_000  # below the header, blank rows included
    columns: int = 60
    cell_chars: int = 32_767  # the most Excel itself lets one cell hold
    sheet_bytes: int = 64 * MB  # the first sheet's XML, unpacked
    text_bytes: int = 16 * MB  # the shared-strings table, unpacked
    ratio: int = 100  # unpacked to packed size of either; spreadsheet XML packs about 10 to 1
    part_bytes: int = 1 * MB  # workbook.xml and its relationships
    # All the text kept, so that what is stored with the upload stays small too: one long
    # shared string used in every cell would otherwise be copied into every row.
    text_chars: int = 10_000_000


LIMITS = Limits()


@dataclass
class Table:
    """Row 1's cell texts, and (row number, cell values) of every later row holding a value.

    Values are str, int, float or bool; None is an empty cell. Lists stop at the row's last value.
    """

    header: list[str]
    rows: list[tuple[int, list]]


def read_table(content: bytes, limits: Limits = LIMITS) -> Table:
    """The first sheet of the workbook `content`, read within `limits`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        sheet_name, strings_name = _parts(archive, limits)
        sheet = archive.getinfo(sheet_name)
        strings = archive.getinfo(strings_name) if strings_name else None
    except DAMAGED:
        raise ImportRejected(NOT_XLSX, field="file") from None
    _check_size(sheet, limits.sheet_bytes, limits.ratio)
    if strings is not None:
        _check_size(strings, limits.text_bytes, limits.ratio)
    try:
        shared = _SharedStrings(limits).read(archive, strings) if strings is not None else []
        return _SheetReader(limits, shared).read(archive, sheet)
    except ImportRejected:
        raise
    except DAMAGED:
        raise ImportRejected(NOT_XLSX, field="file") from None


def _check_size(info: zipfile.ZipInfo, limit: int, ratio: int) -> None:
    size = f"{info.file_size / MB:,.0f}"
    if info.file_size > limit and "sharedStrings" in info.filename:
        raise ImportRejected(_l(
            "Unpacked, the spreadsheet's text would take %(size)s MB; at most %(n)d MB is read. "
            "Split the file into smaller ones.", size=size, n=limit // MB), field="file")
    if info.file_size > limit:
        raise ImportRejected(_l(
            "Unpacked, the spreadsheet's sheet would take %(size)s MB; at most %(n)d MB is "
            "read. Split the file into smaller ones.", size=size, n=limit // MB), field="file")
    if info.file_size > max(info.compress_size, 1) * ratio and info.file_size > MB:
        raise ImportRejected(_l(
            "The spreadsheet is packed more than %(n)d to 1, as no real spreadsheet is; it was "
            "not opened.", n=ratio), field="file")


def _parts(archive: zipfile.ZipFile, limits: Limits) -> tuple[str, str | None]:
    """The archive names of the first sheet and of the shared-strings table (None if none)."""
    first_id = None

    def on_workbook(name, attrs):
        nonlocal first_id
        if first_id is None and _local(name) == "sheet":
            first_id = next((v for k, v in attrs.items() if _local(k) == "id"), None)

    _parse_small(archive, "xl/workbook.xml", on_workbook, limits)
    targets: dict[str, str] = {}
    strings = None

    def on_rels(name, attrs):
        nonlocal strings
        if _local(name) == "Relationship" and "Target" in attrs:
            target = attrs["Target"]
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            targets[attrs.get("Id", "")] = path
            if attrs.get("Type", "").endswith("/sharedStrings"):
                strings = path

    _parse_small(archive, "xl/_rels/workbook.xml.rels", on_rels, limits)
    if first_id not in targets:
        raise ValueError("no first sheet")
    if strings is not None and strings not in archive.NameToInfo:
        strings = None
    return targets[first_id], strings


def _parse_small(archive, name: str, on_start, limits: Limits) -> None:
    info = archive.getinfo(name)
    if info.file_size > limits.part_bytes:
        raise ValueError(name)
    parser = _parser()
    parser.StartElementHandler = on_start
    parser.Parse(archive.read(info), True)


def _parser():
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    # No spreadsheet declares a DOCTYPE; refusing one shuts out entity expansion of any kind.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    return parser


def _refuse_doctype(*_args):
    raise ValueError("DOCTYPE")


def _local(name: str) -> str:
    """An element or attribute name without its namespace prefix (x:row → row)."""
    return name.rpartition(":")[2]


def _feed(parser, archive, info: zipfile.ZipInfo) -> None:
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _too_long(limits: Limits):
    return ImportRejected(_l(
        "The file holds a text longer than %(n)s characters, the most one cell may hold.",
        n=f"{limits.cell_chars:,}"), field="file")


class _SharedStrings:
    """The shared-strings table: one text per <si>, phonetic runs (<rPh>) left out."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.texts: list[str] = []
        self.parts: list[str] = []
        self.length = 0
        self.in_text = False
        self.phonetic = 0

    def read(self, archive, info) -> list[str]:
        parser = _parser()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        _feed(parser, archive, info)
        return self.texts

    def start(self, name, _attrs):
        name = _local(name)
        if name == "si":
            self.parts, self.length = [], 0
        elif name == "rPh":
            self.phonetic += 1
        elif name == "t" and not self.phonetic:
            self.in_text = True

    def end(self, name):
        name = _local(name)
        if name == "t":
            self.in_text = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si":
            self.texts.append("".join(self.parts))

    def data(self, text):
        if self.in_text:
            self.length += len(text)
            if self.length > self.limits.cell_chars:
                raise _too_long(self.limits)
            self.parts.append(text)


_COLUMN_RE = re.compile(r"[A-Z]{1,3}")


def column_letter(index: int) -> str:
    """The spreadsheet letters of a 0-based column index: 0 → A, 26 → AA."""
    return get_column_letter(index + 1)


def _column_index(ref: str) -> int:
    """The 0-based column of a cell reference such as "AB12"."""
    match = _COLUMN_RE.match(ref)
    if match is None:
        raise ValueError(ref)
    return column_index_from_string(match.group()) - 1


class _SheetReader:
    """Streams the sheet's XML, keeping the rows that hold a value, within the limits."""

    def __init__(self, limits: Limits, shared: list[str]):
        self.limits, self.shared = limits, shared
        self.last_row = self.max_row = limits.rows + 1  # row 1 is the header
        self.rows: list[tuple[int, list]] = []
        self.row_number = 0
        self.cells: dict[int, object] = {}
        self.column = -1
        self.kind = "n"
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.phonetic = 0
        self.kept_chars = 0

    def read(self, archive, info) -> Table:
        parser = _parser()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        _feed(parser, archive, info)
        header: list[str] = []
        if self.rows and self.rows[0][0] == 1:
            header = [cell_text(v) for v in self.rows.pop(0)[1]]
        while header and header[-1] == "":
            header.pop()
        return Table(header, self.rows)

    def start(self, name, attrs):
        name = _local(name)
        if name == "c":
            ref = attrs.get("r")
            self.column = _column_index(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            self.parts, self.length = [], 0
        elif name in ("v", "t"):
            self.collecting = not self.phonetic
        elif name == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            if self.row_number > self.max_row:
                raise ImportRejected(_l(
                    "A file may hold at most %(n)s rows below the header, blank rows included; "
                    "this one goes on to row %(row)s. Delete the rows below your data.",
                    n=f"{self.limits.rows:,}", row=f"{self.row_number:,}"), field="file")
            self.cells, self.column = {}, -1
        elif name == "rPh":
            self.phonetic += 1

    def end(self, name):
        name = _local(name)
        if name in ("v", "t"):
            self.collecting = False
        elif name == "c":
            value = self._value()
            if value is not None and value != "":
                if self.column >= self.limits.columns:
                    raise ImportRejected(_l(
                        "A file may use at most %(n)d columns; row %(row)d has a value in "
                        "column %(column)s.", n=self.limits.columns, row=self.row_number,
                        column=column_letter(self.column)), field="file")
                self.kept_chars += len(value) if isinstance(value, str) else 8
                if self.kept_chars > self.limits.text_chars:
                    raise ImportRejected(_l(
                        "The file holds more than %(n)s characters of text in all; split it.",
                        n=f"{self.limits.text_chars:,}"), field="file")
                self.cells[self.column] = value
        elif name == "row":
            if self.cells:
                values = [None] * (max(self.cells) + 1)
                for index, value in self.cells.items():
                    values[index] = value
                self.rows.append((self.row_number, values))
        elif name == "rPh":
            self.phonetic -= 1

    def data(self, text):
        if self.collecting:
            self.length += len(text)
            if self.length > self.limits.cell_chars:
                raise ImportRejected(_l(
                    "Row %(row)d, column %(column)s holds more than %(n)s characters, the most "
                    "one cell may hold.", row=self.row_number,
                    column=column_letter(self.column), n=f"{self.limits.cell_chars:,}"),
                    field="file")
            self.parts.append(text)

    def _value(self):
        """The cell's value as openpyxl's data_only mode gives it (dates stay numbers)."""
        if not self.parts:
            return None
        text = "".join(self.parts)
        kind = self.kind
        if kind == "s":
            index = int(text)
            if index < 0:
                raise IndexError(index)
            return self.shared[index]
        if kind in ("inlineStr", "str", "e", "d"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        text = text.strip()
        if not text:
            return None
        if "." in text or "E" in text or "e" in text:
            number = float(text)
            return number if math.isfinite(number) else text  # 1E999: no JSON number
        return int(text)


def cell_text(value) -> str:
    """A cell as trimmed text. A whole number (a phone typed as a number) reads as digits; an
    18-digit ID typed as a number has already lost digits, so it keeps its exponent form for
    validation to refuse."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()
