"""The levels a worker holds, per occupation, and their history.

A worker's level in an occupation is its `WorkerLevel` row; for their own occupation the
profile's level (Worker.skill_level) stands when no row has been written since, and a row
written for the own occupation is copied to the profile, so the two never disagree.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from competitions.extensions import db
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import LevelChange, Occupation, WorkerLevel
from competitions.registration.models import Worker


def levels_in(workers: list[Worker], occupation_id: int, *, among: sa.Select | None = None
              ) -> dict[int, SkillLevel | None]:
    """Each worker's level in the occupation (None when none is recorded), in one query.
    `workers` may be rows of a Worker's id, skill_level and occupation_id; `among`, a select
    of (at least) their ids, spares sending every id."""
    ids = [worker.id for worker in workers] if among is None else among
    rows = dict(db.session.execute(sa.select(WorkerLevel.worker_id, WorkerLevel.level).where(
        WorkerLevel.worker_id.in_(ids),
        WorkerLevel.occupation_id == occupation_id)).all()) if workers else {}
    return {worker.id: rows.get(worker.id, worker.skill_level
                                if worker.occupation_id == occupation_id else None)
            for worker in workers}


def level_in(worker: Worker, occupation_id: int) -> SkillLevel | None:
    """The worker's level in the occupation; None when none is recorded."""
    return levels_in([worker], occupation_id)[worker.id]


def levels_of(worker: Worker) -> list[tuple[Occupation, SkillLevel, str | None]]:
    """Every (occupation, level, certificate number) the worker holds, own occupation first."""
    rows = {row.occupation_id: row for row in db.session.scalars(
        sa.select(WorkerLevel).where(WorkerLevel.worker_id == worker.id))}
    held = [(row.occupation, row.level, row.certificate_no) for row in rows.values()]
    if worker.occupation_id and worker.skill_level and worker.occupation_id not in rows:
        held.append((worker.occupation, worker.skill_level, worker.skill_certificate_no))
    return sorted(held, key=lambda item: (item[0].id != worker.occupation_id, item[0].name))


def set_level(actor, worker: Worker, occupation: Occupation, level: SkillLevel, *,
              on: date, source: str, certificate_no: str | None = None,
              eligibility_id: int | None = None, document_no: str | None = None) -> LevelChange:
    """Record the worker's new level in the occupation, keeping the history."""
    before = level_in(worker, occupation.id)
    row = db.session.scalar(sa.select(WorkerLevel).where(
        WorkerLevel.worker_id == worker.id, WorkerLevel.occupation_id == occupation.id))
    if row is None:
        row = WorkerLevel(worker_id=worker.id, occupation_id=occupation.id, level=level)
        db.session.add(row)
    row.level, row.certified_on = level, on
    if certificate_no is not None or before != level:
        row.certificate_no = certificate_no
    if worker.occupation_id == occupation.id:
        worker.skill_level, worker.skill_certificate_no = level, row.certificate_no
    change = LevelChange(worker_id=worker.id, occupation_id=occupation.id, from_level=before,
                         to_level=level, source=source, eligibility_id=eligibility_id,
                         document_no=document_no, changed_on=on,
                         actor_id=getattr(actor, "id", None))
    db.session.add(change)
    db.session.flush()
    return change


def history(worker: Worker) -> list[LevelChange]:
    return list(db.session.scalars(sa.select(LevelChange).where(
        LevelChange.worker_id == worker.id).order_by(LevelChange.changed_on,
                                                     LevelChange.id)))
