"""The registration spreadsheet: its columns, the template with Chinese headers, and reading it."""

import io

from openpyxl import load_workbook

from competitions.errors import DomainError
from competitions.i18n import lazy_gettext as _l
from competitions.promotion.levels import SkillLevel
from competitions.spreadsheets.writer import TEXT_FORMAT, Column, Sheet, workbook_bytes


class ImportRejected(DomainError):
    pass


# (key, header, required). The header row must match exactly, in this order.
COLUMNS = [
    ("name", "姓名", True),
    ("id_number", "身份证号码", True),
    ("phone", "手机号码", False),
    ("employer", "工作单位", True),
    ("skill_level", "职业技能等级", False),
    ("skill_certificate_no", "职业技能等级证书编号", False),
]
HEADERS = [header for _key, header, _required in COLUMNS]
COLUMN_NAMES = {key: header for key, header, _required in COLUMNS}
MAX_ROWS = 20000
NOT_XLSX = _l("The file is not an .xlsx spreadsheet. Download the template and fill it in.")
TEXT_ROWS = 2000  # template rows pre-formatted as text, so Excel keeps all 18 ID digits
TEXT_COLUMNS = {"id_number", "phone", "skill_certificate_no"}


def template_workbook() -> bytes:
    form = Sheet("报名表", [Column(header, width, TEXT_FORMAT if key in TEXT_COLUMNS else None)
                          for (key, header, _required), width
                          in zip(COLUMNS, (12, 22, 14, 28, 18, 26), strict=True)],
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


def _cell_text(value) -> str:
    if value is None:
        return ""
    # Small whole numbers (a phone typed as a number) read back as text; an 18-digit ID typed as
    # a number has already lost digits, so it stays in exponent form for validation to reject.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """(spreadsheet row number, {column key: text}) for every non-empty row after the header."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(max_row=1, max_col=len(COLUMNS) + 20, values_only=True), ())
    except Exception:  # noqa: BLE001  (whatever a damaged or foreign file makes openpyxl raise)
        raise ImportRejected(NOT_XLSX, field="file") from None
    header = [_cell_text(v).lstrip("*") for v in first]
    while header and header[-1] == "":
        header.pop()
    if header != HEADERS:
        workbook.close()
        raise ImportRejected(_l("The header row must be exactly: %(expected)s. This file has: "
                                "%(found)s.", expected="、".join(HEADERS),
                                found="、".join(header) or "—"), field="file")
    try:
        return _data_rows(sheet)
    except ImportRejected:
        raise
    except Exception:  # noqa: BLE001  (damage further into the file)
        raise ImportRejected(NOT_XLSX, field="file") from None
    finally:
        workbook.close()


def _data_rows(sheet) -> list[tuple[int, dict]]:
    result = []
    for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS),
                                                    values_only=True), start=2):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        cells += [""] * (len(COLUMNS) - len(cells))
        result.append((number, dict(zip(COLUMN_NAMES, cells, strict=True))))
        if len(result) > MAX_ROWS:
            raise ImportRejected(_l("A file may hold at most %(n)d rows.", n=MAX_ROWS),
                                 field="file")
    return result


