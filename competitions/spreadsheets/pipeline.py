"""One pipeline for every spreadsheet upload: stage, preview, confirm.

1. `stage` reads the file once, within the reader's bounds, and keeps its rows with the upload;
   a file that is no workbook, breaks a bound or has the wrong header is refused there.
2. The import validates the kept rows: `data_rows` trims them to the header and drops blank
   ones, `refused_cells` reports each cell the text rule refuses (that row goes no further, so
   no query ever sees a NUL), `check_fields` applies the same `TextRule`s as the forms, and a
   file with no rows is an error (`NO_ROWS`): no preview of nothing offers a confirm button.
3. Confirming `claim`s the upload with one conditional UPDATE, then the import locks its event
   and validates the kept rows again (quotas and places may have changed) before writing
   everything, or nothing.
An import is thus its columns (or its header check), its validation and its confirm step.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from competitions.database import utcnow
from competitions.extensions import db
from competitions.field_rules import TextRule
from competitions.i18n import lazy_gettext as _l
from competitions.spreadsheets.reader import (  # noqa: F401  (re-exported)
    LIMITS,
    NOT_XLSX,
    ImportRejected,
    Limits,
    Table,
    cell_text,
    column_letter,
    read_table,
)
from competitions.text_rules import find_text_problem, problem_message

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = LIMITS.rows
STALE_AFTER = timedelta(days=1)  # unconfirmed uploads older than this are deleted
NO_ROWS = _l("The file has no rows below the header: fill in at least one row and upload it "
             "again.")


class AlreadyImported(ImportRejected):
    pass


@dataclass
class RowError:
    row: int  # 0: the file as a whole; 1: the header
    column: str
    message: object


@dataclass
class Preview:
    """What validating a file found: its rows and every error. The imports extend it."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0

    def refuse_empty(self) -> None:
        if self.rows == 0 and not self.errors:
            self.errors.append(RowError(0, "", NO_ROWS))


@dataclass(frozen=True)
class Column:
    """A column of a fixed-layout sheet: its key in the row dict, its header, its text rule."""

    key: str
    header: str
    rule: TextRule


# Reading and checking rows


def data_rows(table: Table, width: int | None = None) -> list[tuple[int, list]]:
    """The rows cut to `width` cells (the header's by default), padded with None, blank ones
    (nothing but empty or blank cells) dropped."""
    width = len(table.header) if width is None else width
    result = []
    for number, values in table.rows:
        cells = values[:width]
        if any(cell_text(v) for v in cells):
            result.append((number, cells + [None] * (width - len(cells))))
    return result


def refused_cells(number: int, texts: dict[str, str]) -> list[RowError]:
    """A row error for each cell ({column name: text}) holding a character no text may hold."""
    return [RowError(number, name, problem_message(problem, name))
            for name, text in texts.items()
            if text and (problem := find_text_problem(text)) is not None]


def check_fields(number: int, row: dict[str, str], columns: list[Column]) -> list[RowError]:
    """A row error for each cell breaking its column's rule (required, at most n characters)."""
    return [RowError(number, column.header, message) for column in columns
            if (message := column.rule.problem(row[column.key], column.header)) is not None]


def header_texts(header: list[str]) -> list[str]:
    """Header cells as typed, without the * some templates put before required columns."""
    return [text.lstrip("*").strip() for text in header]


# Staging, the kept rows, and claiming


def check_size(content: bytes) -> None:
    if len(content) > MAX_FILE_BYTES:
        raise ImportRejected(_l("The file is larger than %(n)d MB.",
                                n=MAX_FILE_BYTES // 1024 // 1024), field="file")


def stage(model, actor, owner, filename: str, content: bytes, check_header=None):
    """Read `content` once and keep it, with its rows, as a `model` (a StagedFile) of the actor
    for `owner` (the event or organisation the import is for); the same file staged again is
    reused. `check_header(header)` raises ImportRejected for a header the import cannot take."""
    check_size(content)
    sha256 = hashlib.sha256(content).hexdigest()
    owned = getattr(model, model.owner_key) == owner.id
    same = db.session.scalar(sa.select(model).where(
        owned, model.user_id == actor.id, model.sha256 == sha256,
        model.imported_at.is_(None), model.parsed.is_not(None)))
    if same is not None:
        same.filename, same.created_at = filename[:200], utcnow()
        db.session.flush()
        return same
    parsed = parse_upload(content)
    if check_header is not None:
        check_header(parsed["header"])
    # Unconfirmed files are only kept until superseded or a day old, so storage stays small.
    # "fetch": the deleted rows leave the session too, even when expired, so a new row that
    # reuses an id (SQLite does) never meets a stale object of the same identity.
    db.session.execute(sa.delete(model).where(
        model.imported_at.is_(None),
        sa.or_(sa.and_(model.user_id == actor.id, owned),
               model.created_at < utcnow() - STALE_AFTER))
        .execution_options(synchronize_session="fetch"))
    staged = model(**{model.owner_key: owner.id}, user_id=actor.id, filename=filename[:200],
                   sha256=sha256, content=content, parsed=parsed)
    db.session.add(staged)
    db.session.flush()
    return staged


def parse_upload(content: bytes) -> dict:
    """The header and the rows of the file, read once within the bounds, as an upload keeps them."""
    table = read_table(content)
    header = header_texts(table.header)
    while header and header[-1] == "":
        header.pop()
    return {"header": header, "rows": data_rows(Table(header, table.rows))}


def kept_rows(staged) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and rows read at upload. A file staged before rows were kept is read now,
    once, and its rows kept."""
    if staged.parsed is None:
        staged.parsed = parse_upload(staged.content)
        db.session.flush()
    return staged.parsed["header"], [(number, cells) for number, cells in staged.parsed["rows"]]


def can_use(user, staged) -> bool:
    """A staged file is previewed and confirmed by the person who uploaded it (or an admin)."""
    return user.is_authenticated and (user.is_admin or staged.user_id == user.id)


def claim(model, staged, now) -> None:
    """Mark the upload imported with one conditional UPDATE: of two concurrent confirmations
    (a double click), the second waits for the first's row lock and then matches no row."""
    claimed = db.session.execute(
        sa.update(model).where(model.id == staged.id, model.imported_at.is_(None))
        .values(imported_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise AlreadyImported(_l("This file has already been imported."))


def release(staged) -> None:
    """After a confirmation: the claimed row's imported_at is read afresh when next used."""
    db.session.expire(staged, ["imported_at"])
