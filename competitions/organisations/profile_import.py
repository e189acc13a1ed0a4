"""The organisation data import: units' workforce, industry, ownership and size from a
spreadsheet, through the shared pipeline (competitions/spreadsheets/pipeline.py).

An organiser downloads the template for an organisation: every employing unit under it, one per
row, with its number, name, parent and what is recorded now. They fill in or correct the
figures and upload the file; every row is checked against the units as they are, the preview
lists what would change, and confirming writes every change at once, or none.

- A unit is found by its number (单位编号, as the template gives it) or, without one, by its name
  among the units under the organisation; a name that several units share needs the number.
- Columns may come in any order and any may be left out, but the unit's number or name must be
  there; a column the import does not know is refused, so that a typo is not silently ignored.
- An empty cell leaves what is recorded unchanged: a file holding only names and workforces
  keeps each unit's industry, ownership and size. (A value is cleared on the unit's own page.)
- The rules are the unit form's (organisations.services.check_profile), applied to the unit's
  profile as it would be after the row, so a workforce without a year counted is refused
  unless the unit already records the year.
"""

from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from flask_babel import force_locale

from competitions.audit.services import record
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.field_rules import TextRule
from competitions.i18n import lazy_gettext as _l
from competitions.organisations import industries
from competitions.organisations.models import (
    EnterpriseSize,
    Organisation,
    OrganisationImport,
    OrgKind,
    Ownership,
)
from competitions.organisations.services import Profile, check_profile
from competitions.spreadsheets import pipeline
from competitions.spreadsheets.pipeline import (
    Column,
    ImportRejected,
    Preview,
    RowError,
    cell_text,
    check_fields,
    refused_cells,
)
from competitions.spreadsheets.writer import TEXT_FORMAT, Sheet, workbook_bytes
from competitions.spreadsheets.writer import Column as SheetColumn

COLUMNS = [
    Column("id", "单位编号", TextRule(20)),
    Column("name", "单位名称", TextRule(200)),
    Column("parent", "上级单位", TextRule(200)),  # for the reader: never read back
    Column("workforce", "职工人数", TextRule(20)),
    Column("workforce_year", "统计年度", TextRule(10)),
    Column("industry", "行业门类", TextRule(100)),
    Column("ownership", "所有制", TextRule(40)),
    Column("size", "规模", TextRule(20)),
]
BY_HEADER = {column.header: column for column in COLUMNS}
PROFILE_KEYS = ("workforce", "workforce_year", "industry", "ownership", "size")
HEADER_OF = {column.key: column.header for column in COLUMNS}
MAX_ROWS = pipeline.MAX_ROWS


@dataclass
class Change:
    """One row's unit, what it records now and what it would record after the import."""

    row: int
    organisation: Organisation
    before: Profile
    after: Profile

    @property
    def changed(self) -> list[str]:
        return [key for key in PROFILE_KEYS
                if getattr(self.before, key) != getattr(self.after, key)]


@dataclass
class ImportPlan(Preview):
    changes: list[Change] = field(default_factory=list)  # rows that change something
    unchanged: int = 0


# Reading the cells


def _names(pairs) -> dict[str, object]:
    """{text: value} for each value's own text and its label in Chinese and in English."""
    names = {}
    for value, label in pairs:
        names[str(value).casefold()] = value
        for locale in ("zh", "en"):
            with force_locale(locale):
                names[str(label).casefold()] = value
    return names


# What people also type for an ownership or a size, beyond the labels the template offers.
OWNERSHIP_ALIASES = {"国有企业": Ownership.STATE, "集体企业": Ownership.COLLECTIVE,
                     "私营": Ownership.PRIVATE, "民营企业": Ownership.PRIVATE,
                     "私营企业": Ownership.PRIVATE, "外资": Ownership.FOREIGN,
                     "港澳台": Ownership.FOREIGN, "外商投资": Ownership.FOREIGN,
                     "港澳台投资": Ownership.FOREIGN}
SIZE_ALIASES = {"大": EnterpriseSize.LARGE, "中": EnterpriseSize.MEDIUM,
                "小": EnterpriseSize.SMALL, "微": EnterpriseSize.MICRO}


def _whole_number(text: str) -> int:
    """'1,200', '1200' or '1200.0' (a number cell) as 1200; anything else raises ValueError."""
    text = text.replace(",", "").replace("，", "")
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isascii() or not text.isdigit():
        raise ValueError(text)
    return int(text)


def _industry(text: str) -> str:
    """'C', 'C 制造业' or '制造业' (or the English name) as the section letter."""
    letter = text[:1].upper()
    if letter in industries.SECTIONS and (len(text) == 1 or not text[1:2].isalnum()):
        return letter
    names = _names(industries.SECTIONS.items())
    if text.casefold() in names:
        return names[text.casefold()]
    raise ValueError(text)


def _choice(text: str, enum_cls, aliases: dict):
    names = _names(enum_cls.choices())
    value = aliases.get(text, names.get(text.casefold()))
    if value is None:
        raise ValueError(text)
    return enum_cls.coerce(value)


def _allowed(enum_cls) -> str:
    return "、".join(str(member.label) for member in enum_cls)


PARSERS = {
    "workforce": (_whole_number,
                  lambda: _l("职工人数 is a whole number of people, e.g. 1200.")),
    "workforce_year": (lambda text: _whole_number(text.removesuffix("年")),
                       lambda: _l("统计年度 is a year, e.g. %(year)d.", year=utcnow().year)),
    "industry": (_industry,
                 lambda: _l("行业门类 is a section of GB/T 4754: a letter from A to T, e.g. "
                            "C 制造业.")),
    "ownership": (lambda text: _choice(text, Ownership, OWNERSHIP_ALIASES),
                  lambda: _l("所有制 is one of: %(allowed)s.", allowed=_allowed(Ownership))),
    "size": (lambda text: _choice(text, EnterpriseSize, SIZE_ALIASES),
             lambda: _l("规模 is one of: %(allowed)s.", allowed=_allowed(EnterpriseSize))),
}


# The header


def columns_of(header: list[str]) -> list[Column | None]:
    """The column of each header cell (None past the last named one), or ImportRejected naming
    every header the import does not know, or repeats, or misses."""
    known = "、".join(column.header for column in COLUMNS)
    problems, columns, seen = [], [], set()
    for text in header:
        column = BY_HEADER.get(text)
        if text and column is None:
            problems.append(_l("The column %(name)s is not one this import reads (%(known)s).",
                               name=text, known=known))
        elif column is not None and column.key in seen:
            problems.append(_l("The column %(name)s appears twice.", name=text))
        if column is not None:
            seen.add(column.key)
        columns.append(column)
    if not seen & {"id", "name"}:
        problems.append(_l("The file needs a 单位编号 or a 单位名称 column to say which unit each "
                           "row is for."))
    if not seen & set(PROFILE_KEYS):
        problems.append(_l("The file has none of the columns 职工人数, 统计年度, 行业门类, "
                           "所有制, 规模: there is nothing to import."))
    if len(problems) == 1:
        raise ImportRejected(problems[0], field="file")
    if problems:
        raise ImportRejected(_l("The header row has these problems: %(problems)s",
                                problems=" ".join(str(p) for p in problems)), field="file")
    return columns


def check_header(header: list[str]) -> None:
    columns_of(header)


def as_dicts(header: list[str], rows) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column key: trimmed text}) for the columns the file has."""
    columns = columns_of(header)
    return [(number, {column.key: cell_text(value)
                      for column, value in zip(columns, cells, strict=False) if column})
            for number, cells in rows]


# Permission, staging and validation


def can_import(user, org: Organisation) -> bool:
    """Organisers of the organisation (or above it): the import changes units under it."""
    return user.is_authenticated and user.manages(org)


def can_use(user, staged: OrganisationImport) -> bool:
    return pipeline.can_use(user, staged) and can_import(user, staged.organisation)


def stage_upload(actor, org: Organisation, filename: str, content: bytes) -> OrganisationImport:
    if not can_import(actor, org):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=org.name))
    return pipeline.stage(OrganisationImport, actor, org, filename, content, check_header)


class _Units:
    """The units the file names, under the organisation, loaded in two statements."""

    def __init__(self, org: Organisation, rows: list[tuple[int, dict[str, str]]]):
        ids = {int(r["id"]) for _n, r in rows if r.get("id", "").isdigit()
               and len(r["id"]) < 10}
        names = {r["name"] for _n, r in rows if r.get("name") and not r.get("id")}
        matched = sa.or_(Organisation.id.in_(ids), Organisation.name.in_(names))
        units = db.session.scalars(sa.select(Organisation).where(
            Organisation.in_subtree(org.path), matched)).all()
        self.by_id = {unit.id: unit for unit in units}
        self.by_name: dict[str, list[Organisation]] = {}
        for unit in units:
            self.by_name.setdefault(unit.name, []).append(unit)


def _unit(number: int, row: dict[str, str], units: _Units, org: Organisation):
    """The row's unit, or the RowError saying why there is none."""
    given_id, name = row.get("id", ""), row.get("name", "")
    if given_id:
        unit = units.by_id.get(int(given_id)) if given_id.isdigit() and len(given_id) < 10 \
            else None
        if unit is None:
            return RowError(number, HEADER_OF["id"], _l(
                "There is no unit numbered %(id)s under %(org)s: copy the number from the "
                "template.", id=given_id, org=org.name))
        if name and name != unit.name:
            return RowError(number, HEADER_OF["name"], _l(
                "Unit %(id)s is %(name)s, not %(given)s: check which unit this row is for.",
                id=given_id, name=unit.name, given=name))
        return unit
    if not name:
        return RowError(number, HEADER_OF["name"], _l("Give the unit's 单位编号 or 单位名称."))
    found = units.by_name.get(name, [])
    if not found:
        return RowError(number, HEADER_OF["name"], _l(
            "There is no unit named %(name)s under %(org)s.", name=name, org=org.name))
    if len(found) > 1:
        return RowError(number, HEADER_OF["name"], _l(
            "%(count)d units under %(org)s are named %(name)s: give the 单位编号 from the "
            "template to say which.", count=len(found), org=org.name, name=name))
    return found[0]


def _new_values(number: int, row: dict[str, str]) -> tuple[dict, list[RowError]]:
    values, errors = {}, []
    for key in PROFILE_KEYS:
        text = row.get(key, "")
        if not text:
            continue
        parse, message = PARSERS[key]
        try:
            values[key] = parse(text)
        except ValueError:
            errors.append(RowError(number, HEADER_OF[key], message()))
    return values, errors


def validate_rows(org: Organisation, rows: list[tuple[int, dict[str, str]]]) -> ImportPlan:
    """Check every row against the units as they are now; nothing is changed."""
    plan = ImportPlan(rows=len(rows))
    if len(rows) > MAX_ROWS:
        plan.errors.append(RowError(0, "", _l("The file has %(count)d rows; at most %(n)d are "
                                               "read.", count=len(rows), n=MAX_ROWS)))
        return plan
    checked = []
    for number, row in rows:
        errors = refused_cells(number, {HEADER_OF[key]: text for key, text in row.items()})
        # A refused character goes no further: no query sees a NUL.
        errors = errors or check_fields(number, row, [c for c in COLUMNS if c.key in row])
        plan.errors += errors
        if not errors:
            checked.append((number, row))
    units = _Units(org, checked)
    first_row: dict[int, int] = {}
    for number, row in checked:
        unit = _unit(number, row, units, org)
        if isinstance(unit, RowError):
            plan.errors.append(unit)
            continue
        if unit.id in first_row:
            plan.errors.append(RowError(number, HEADER_OF["name"], _l(
                "Row %(row)d is already for %(name)s: give each unit one row.",
                row=first_row[unit.id], name=unit.name)))
            continue
        first_row[unit.id] = number
        values, errors = _new_values(number, row)
        before = Profile.of(unit)
        after = replace(before, **values)
        try:
            check_profile(unit.kind, after)
        except DomainError as error:
            unreadable = {e.column for e in errors}  # already reported: not also "missing"
            errors += [RowError(number, HEADER_OF.get(problem.field, ""), problem.message)
                       for problem in error.problems
                       if HEADER_OF.get(problem.field) not in unreadable]
        if errors:
            plan.errors += errors
        elif after != before:
            plan.changes.append(Change(number, unit, before, after))
        else:
            plan.unchanged += 1
    plan.refuse_empty()
    return plan


def preview(staged: OrganisationImport) -> ImportPlan:
    header, rows = pipeline.kept_rows(staged)
    return validate_rows(staged.organisation, as_dicts(header, rows))


def confirm(actor, staged: OrganisationImport, now=None) -> ImportPlan:
    """Validate again and write every change in one statement, or nothing. On a refusal the
    caller rolls back: the upload is already claimed."""
    if not can_use(actor, staged):
        raise PermissionDenied(_l("You cannot import this file."))
    pipeline.claim(OrganisationImport, staged, now or utcnow())
    plan = preview(staged)
    if not plan.ok:
        raise ImportRejected(_l("The file has errors; nothing was imported."))
    if plan.changes:
        db.session.execute(sa.update(Organisation), [
            {"id": change.organisation.id, **vars(change.after)} for change in plan.changes])
    # One entry for the file, holding each unit's values before and after.
    record(actor, "organisation.import", staged.organisation, after={
        "file": staged.filename, "sha256": staged.sha256, "rows": plan.rows,
        "unchanged": plan.unchanged,
        "changes": {change.organisation.id: {
            key: [_plain(getattr(change.before, key)), _plain(getattr(change.after, key))]
            for key in change.changed} for change in plan.changes}})
    pipeline.release(staged)
    return plan


def _plain(value):
    return getattr(value, "value", value)


# The template


def template_workbook(org: Organisation) -> bytes:
    """Every employing unit under `org`, with what it records now, ready to be filled in."""
    parent = sa.orm.aliased(Organisation)
    units = db.session.execute(
        sa.select(Organisation, parent.name).join(parent, Organisation.parent_id == parent.id,
                                                  isouter=True)
        .where(Organisation.in_subtree(org.path),
               Organisation.kind.in_([k for k in OrgKind if k.employs_workers]))
        .order_by(Organisation.path))
    with force_locale("zh"):
        rows = [[unit.id, unit.name, parent_name, unit.workforce, unit.workforce_year,
                 industries.text_of(unit.industry),
                 str(unit.ownership.label) if unit.ownership else None,
                 str(unit.size.label) if unit.size else None]
                for unit, parent_name in units]
        options = Sheet("可选值", [SheetColumn("行业门类", 40), SheetColumn("所有制", 16),
                                   SheetColumn("规模", 10)],
                        rows=_option_rows())
    widths = (10, 32, 24, 10, 10, 30, 14, 8)
    form = Sheet("单位数据", [SheetColumn(column.header, width,
                                         TEXT_FORMAT if column.key in ("name", "parent") else None)
                              for column, width in zip(COLUMNS, widths, strict=True)],
                 rows=rows, blank_rows=0,
                 lists={5: "'可选值'!$A$2:$A$21", 6: "'可选值'!$B$2:$B$6",
                        7: "'可选值'!$C$2:$C$5"})
    notes = Sheet("填写说明", rows=[[line] for line in (
        "每行一个单位。单位编号由平台给出，请勿修改；新增单位请先在平台上创建。",
        "职工人数填写整数，统计年度填写职工人数的统计年份（如 2026）。",
        "行业门类按《国民经济行业分类》(GB/T 4754) 门类填写，可只填字母，如 C。",
        "所有制填写：国有、集体、民营、外资/港澳台、其他；规模填写：大型、中型、小型、微型。",
        "留空的单元格不会改变平台上已有的数据。",
        "上传后系统逐行检查，全部无误并经确认后才一次性导入；有任何错误则不导入。")])
    return workbook_bytes(form, notes, options)


def _option_rows():
    sections = [text for _letter, text in industries.choices()]
    ownerships = [str(member.label) for member in Ownership]
    sizes = [str(member.label) for member in EnterpriseSize]
    for index in range(max(len(sections), len(ownerships), len(sizes))):
        yield [values[index] if index < len(values) else None
               for values in (sections, ownerships, sizes)]
