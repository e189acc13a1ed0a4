"""Registrations to .xlsx: one row per entrant, Chinese headers, never the blind code."""

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import aliased

from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.extensions import db
from competitions.organisations.models import Organisation
from competitions.registration.models import Entry, EntryMember, Worker
from competitions.spreadsheets.writer import (
    DATE_FORMAT,
    TEXT_FORMAT,
    Column,
    Sheet,
    workbook_bytes,
)

# The export is a working document for Chinese organisers, like the import template, so its
# headers are fixed Chinese text whatever the interface language.
COLUMNS = [Column("赛项", 24), Column("姓名", 10), Column("性别", 6),
           Column("出生日期", 12, DATE_FORMAT), Column("身份证号码", 21, TEXT_FORMAT),
           Column("手机号码", 14, TEXT_FORMAT), Column("工作单位", 28), Column("推荐单位", 24),
           Column("状态", 16), Column("参赛号", 8), Column("检录号", 8)]
HEADERS = [column.header for column in COLUMNS]


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
    """The registrations of `events` as an .xlsx file."""
    return workbook_bytes(_sheet(events))


def export_registrations(actor, scope: Event | Competition, events: list[Event]) -> bytes:
    """The .xlsx of `events` for `actor`, audited: it carries full ID and phone numbers.

    The entry records who, when, the event or competition (`scope`) and how many people (rows:
    a worker entered in two events is counted, and exported, twice).
    """
    sheet = _sheet(events)
    content = workbook_bytes(sheet)
    record(actor, "registration.export", scope, after={"people": sheet.rows_written})
    return content


def _sheet(events: list[Event]) -> Sheet:
    return Sheet("报名信息", COLUMNS, registration_rows(events))
