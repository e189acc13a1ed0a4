"""The registration spreadsheet: its columns, the template with Chinese headers, and its rows."""

from competitions.i18n import lazy_gettext as _l
from competitions.promotion.levels import SkillLevel
from competitions.registration import worker_rules
from competitions.spreadsheets.pipeline import (  # noqa: F401  (re-exported)
    MAX_ROWS,
    NOT_XLSX,
    Column,
    ImportRejected,
    Table,
    cell_text,
    data_rows,
    header_texts,
    read_table,
)
from competitions.spreadsheets.writer import TEXT_FORMAT, Sheet, workbook_bytes
from competitions.spreadsheets.writer import Column as SheetColumn

# The header row must match exactly, in this order. Each column follows the rule of the
# profile form's field, so an import accepts exactly what the form would.
COLUMNS = [
    Column("name", "姓名", worker_rules.NAME),
    Column("id_number", "身份证号码", worker_rules.ID_NUMBER),
    Column("phone", "手机号码", worker_rules.PHONE),
    Column("employer", "工作单位", worker_rules.EMPLOYER_NAME),
    Column("skill_level", "职业技能等级", worker_rules.SKILL_LEVEL),
    Column("skill_certificate_no", "职业技能等级证书编号", worker_rules.SKILL_CERTIFICATE_NO),
]
HEADERS = [column.header for column in COLUMNS]
COLUMN_NAMES = {column.key: column.header for column in COLUMNS}
TEXT_ROWS = 2000  # template rows pre-formatted as text, so Excel keeps all 18 ID digits
TEXT_COLUMNS = {"id_number", "phone", "skill_certificate_no"}


def template_workbook() -> bytes:
    form = Sheet("报名表", [SheetColumn(column.header, width,
                                        TEXT_FORMAT if column.key in TEXT_COLUMNS else None)
                          for column, width in zip(COLUMNS, (12, 22, 14, 28, 18, 26), strict=True)],
                 blank_rows=TEXT_ROWS)
    notes = Sheet("填写说明", rows=[[line] for line in (
        "必须填写的列：姓名、身份证号码、工作单位。",
        "工作单位须与平台中的单位名称完全一致。",
        "职业技能等级填写：学徒工、初级工、中级工、高级工、技师、高级技师、特级技师、首席技师。",
        "身份证号码请按文本填写（已预设为文本格式），末位 x 可小写，系统会统一为大写。",
        "已报名本赛项的职工会被跳过，重复上传同一文件不会重复报名。")])
    return workbook_bytes(form, notes)


LEVEL_NAMES = {
    "学徒工": SkillLevel.APPRENTICE, "初级工": SkillLevel.LEVEL_5, "五级": SkillLevel.LEVEL_5,
    "中级工": SkillLevel.LEVEL_4, "四级": SkillLevel.LEVEL_4, "高级工": SkillLevel.LEVEL_3,
    "三级": SkillLevel.LEVEL_3, "技师": SkillLevel.LEVEL_2, "二级": SkillLevel.LEVEL_2,
    "高级技师": SkillLevel.LEVEL_1, "一级": SkillLevel.LEVEL_1, "特级技师": SkillLevel.PRINCIPAL,
    "首席技师": SkillLevel.CHIEF,
}


def parse_level(text: str) -> SkillLevel:
    text = text.strip()
    for part in (text, text.split("（")[0], text.split("(")[0]):
        if part in LEVEL_NAMES:
            return LEVEL_NAMES[part]
    for level in SkillLevel:
        if text in (level.value, str(level.label)):
            return level
    raise ValueError(text)


def check_header(header: list[str]) -> None:
    """Refuse a file whose header row is not exactly the template's."""
    if header != HEADERS:
        raise ImportRejected(_l("The header row must be exactly: %(expected)s. This file has: "
                                "%(found)s.", expected="、".join(HEADERS),
                                found="、".join(header) or "—"), field="file")


def as_dicts(rows: list[tuple[int, list]]) -> list[tuple[int, dict]]:
    """(row number, {column key: trimmed text}) for rows read from the sheet."""
    return [(number, {column.key: cell_text(value) for column, value
                      in zip(COLUMNS, cells, strict=False)}) for number, cells in rows]


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """The rows of a registration file, as an upload keeps them (for tools and tests)."""
    table = read_table(content)
    header = header_texts(table.header)
    check_header(header)
    return as_dicts(data_rows(Table(header, table.rows)))
