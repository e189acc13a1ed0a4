"""Registrations to .xlsx: one row per entrant, Chinese headers, never the blind code."""

import io

import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy.orm import aliased

from competitions.contests.models import Event
from competitions.extensions import db
from competitions.organisations.models import Organisation
from competitions.registration.models import Entry, EntryMember, Worker

# (header, column width). The export is a working document for Chinese organisers, like the
# import template, so its headers are fixed Chinese text whatever the interface language.
COLUMNS = [("赛项", 24), ("姓名", 10), ("性别", 6), ("出生日期", 12), ("身份证号码", 21),
           ("手机号码", 14), ("工作单位", 28), ("推荐单位", 24), ("状态", 16), ("参赛号", 8),
           ("检录号", 8)]
HEADERS = [header for header, _width in COLUMNS]


def registration_rows(events: list[Event]):
    """Yield one tuple per entrant (team members each get a row), in event and entry order."""
    employer, unit = aliased(Organisation), aliased(Organisation)
    stmt = (sa.select(Entry.event_id, Worker.name, Worker.sex, Worker.birth_date,
                      Worker.id_number, Worker.phone, employer.name, unit.name, Entry.status,
                      Entry.entry_number, Entry.checkin_code)
            .join(EntryMember, EntryMember.entry_id == Entry.id)
            .join(Worker, Worker.id == EntryMember.worker_id)
            .join(employer, employer.id == Worker.employer_id)
            .join(unit, unit.id == Entry.unit_id)
            .where(Entry.event_id.in_([event.id for event in events]))
            .order_by(Entry.event_id, Entry.entry_number.is_(None), Entry.entry_number, Entry.id,
                      EntryMember.is_leader.desc(), EntryMember.id))
    with force_locale("zh"):
        names = {event.id: event.name for event in events}
        for (event_id, name, sex, birth, id_number, phone, employer_name, unit_name, status,
             number, checkin) in db.session.execute(stmt.execution_options(yield_per=2000)):
            yield (names[event_id], name, str(sex.label), birth, id_number, phone or "",
                   employer_name, unit_name, str(status.label), number or "", checkin or "")


def registrations_workbook(events: list[Event]) -> bytes:
    """The registrations of `events` as an .xlsx file, written row by row (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报名信息")
    for index, (_header, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in registration_rows(events):
        birth = WriteOnlyCell(sheet, value=row[3])
        birth.number_format = "yyyy-mm-dd"
        sheet.append([*row[:3], birth, *row[4:]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
