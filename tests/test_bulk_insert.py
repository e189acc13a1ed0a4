"""bulk.insert_rows: COPY on PostgreSQL, executemany elsewhere, storing what Core's
INSERT of the same rows stores (the registration import and the scale seeds use it)."""

from datetime import date

import sqlalchemy as sa

from competitions.bulk import Ids, insert_rows
from competitions.contests.models import EventGroup
from competitions.extensions import db
from competitions.notifications.models import Notification
from competitions.registration.models import Entry, EntryStatus, Worker
from competitions.registration.sex import Sex
from tests.factories import make_competition, make_event, make_user

NOT_COMPARED = {"id", "id_number", "created_at", "updated_at"}  # unique, or the clock's


def stored(model, ids) -> list[dict]:
    table = model.__table__
    rows = db.session.execute(sa.select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
    return [{k: v for k, v in row._mapping.items() if k not in NOT_COMPARED} for row in rows]


def both_ways(model, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The rows inserted by insert_rows and again (new ids) by Core's INSERT, as stored."""
    table = model.__table__
    ids = Ids()
    bulk = [{**row, "id": n} for row, n in zip(rows, ids.take(table, len(rows)), strict=True)]
    insert_rows(table, bulk)
    core = [{**row, "id": n} for row, n in zip(rows, ids.take(table, len(rows)), strict=True)]
    if "id_number" in rows[0]:  # unique: the second copy needs numbers of its own
        core = [{**row, "id_number": row["id_number"][:-4] + f"{9000 + n:04d}"}
                for n, row in enumerate(core)]
    db.session.execute(sa.insert(table), core)
    db.session.commit()
    return stored(model, [r["id"] for r in bulk]), stored(model, [r["id"] for r in core])


def test_workers_enums_dates_and_blanks_are_stored_as_by_an_insert(tree):
    rows = [{"name": name, "id_number": number, "birth_date": date(1990, 3, 7), "sex": sex,
             "phone": phone, "employer_id": tree.firm.id, "skill_level": None,
             "skill_certificate_no": None, "group": EventGroup.EMPLOYEE}
            for name, number, sex, phone in [
                ("张三", "320102199003070011", Sex.MALE, "13812345678"),
                ("O'Brien \\ \t \"李\"", "320102199003070022", Sex.FEMALE, None)]]
    copied, inserted = both_ways(Worker, rows)
    assert copied == inserted and len(copied) == 2
    assert copied[1]["name"] == "O'Brien \\ \t \"李\"" and copied[1]["phone"] is None
    workers = db.session.scalars(sa.select(Worker).where(Worker.name == "张三")).all()
    assert {w.group for w in workers} == {EventGroup.EMPLOYEE}
    assert all(w.created_at is not None for w in workers)  # the column's default


def test_entries_and_json_notifications_are_stored_as_by_an_insert(tree):
    event = make_event(make_competition(tree.city))
    user = make_user("bulk-user")
    db.session.commit()
    entries = [{"event_id": event.id, "unit_id": tree.firm.id,
                "status": EntryStatus.PENDING_APPROVAL, "registered_by_id": user.id,
                "endorsed_by_id": None}]
    copied, inserted = both_ways(Entry, entries)
    assert copied == inserted and copied[0]["status"] is EntryStatus.PENDING_APPROVAL
    notes = [{"user_id": user.id, "kind": "entry_status",
              "params": {"event": "焊工 <b>", "entry_id": 3, "reason": None}}]
    copied, inserted = both_ways(Notification, notes)
    assert copied == inserted and copied[0]["params"]["event"] == "焊工 <b>"
    assert copied[0]["read_at"] is None


def test_no_rows_is_nothing_to_do(app):
    insert_rows(Worker.__table__, [])
    assert db.session.scalar(sa.select(sa.func.count(Worker.id))) == 0
