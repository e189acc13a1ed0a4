"""What waits for each person: the tasks a dashboard lists, with counts and a link to each.

One query per kind of task, whatever the numbers; a task with nothing waiting is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from competitions.accounts.models import Role
from competitions.contests.models import Competition, Event, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.registration.models import Entry, EntryMember, EntryStatus
from competitions.results.models import Appeal, AppealStatus, TitleAward, TitleState


@dataclass(frozen=True)
class Task:
    key: str  # stable, for tests and page anchors
    label: object  # a lazy string
    count: int
    url: str
    detail: str = ""  # e.g. the event it is about


def _first_by_event(rows) -> tuple[int, int | None]:
    """(total, the event id with most) from (event_id, count) rows."""
    rows = list(rows)
    if not rows:
        return 0, None
    return sum(n for _, n in rows), max(rows, key=lambda row: row[1])[0]


def _competition_ids(user, role: Role) -> set[int]:
    return {g.competition_id for g in user.grants if g.role is role and g.competition_id}


def _event_ids(user, role: Role) -> set[int]:
    return {g.event_id for g in user.grants if g.role is role and g.event_id}


def organiser_tasks(user, now: datetime) -> list[Task]:
    if user.is_admin:
        managed = sa.true()
        units = sa.true()
    else:
        paths = user.organiser_paths
        if not paths:
            return []
        organisers = sa.select(Organisation.id).where(Organisation.in_any_subtree(paths))
        managed = Competition.organiser_id.in_(organisers)
        units = Entry.unit_id.in_(organisers)
    tasks = []
    by_event = (sa.select(Entry.event_id, sa.func.count(Entry.id))
                .join(Event, Event.id == Entry.event_id)
                .join(Competition, Competition.id == Event.competition_id)
                .group_by(Entry.event_id))
    total, event_id = _first_by_event(db.session.execute(by_event.where(
        managed, Entry.status == EntryStatus.PENDING_APPROVAL)).all())
    if total:
        tasks.append(Task("approve", _l("Registrations to approve"), total,
                          url_for("registration.event_entries", event_id=event_id)))
    total, event_id = _first_by_event(db.session.execute(by_event.where(
        units, Entry.status == EntryStatus.PENDING_ENDORSEMENT)).all())
    if total:
        tasks.append(Task("endorse", _l("Registrations to endorse for your units"), total,
                          url_for("registration.event_entries", event_id=event_id)))
    events = db.session.scalars(sa.select(Event).join(Competition).where(
        managed, Event.stage.in_([EventStage.DECRYPTED, EventStage.PUBLISHED]))
        .order_by(Event.id)).all()
    to_publish = [e for e in events if e.stage is EventStage.DECRYPTED]
    if to_publish:
        tasks.append(Task("publish", _l("Results to publish"), len(to_publish),
                          url_for("results.event", event_id=to_publish[0].id)))
    open_appeals = dict(db.session.execute(
        sa.select(Appeal.event_id, sa.func.count(Appeal.id))
        .where(Appeal.status == AppealStatus.OPEN).group_by(Appeal.event_id)).all())
    to_finalise = [e for e in events if e.stage is EventStage.PUBLISHED
                   and e.notice_ends_at and e.notice_ends_at <= now
                   and not open_appeals.get(e.id)]
    if to_finalise:
        tasks.append(Task("finalise", _l("Results to finalise: the notice has ended"),
                          len(to_finalise),
                          url_for("results.event", event_id=to_finalise[0].id)))
    titles = db.session.execute(
        sa.select(TitleAward.event_id, sa.func.count(TitleAward.id))
        .join(Competition, Competition.id == TitleAward.competition_id)
        .where(managed, TitleAward.state == TitleState.PENDING)
        .group_by(TitleAward.event_id)).all()
    total, event_id = _first_by_event(titles)
    if total:
        tasks.append(Task("titles", _l("Titles awaiting the granting body's decision"), total,
                          url_for("results.event", event_id=event_id)))
    return tasks


def official_tasks(user, now: datetime) -> list[Task]:
    tasks = []
    officer = _competition_ids(user, Role.ENCRYPTION_OFFICER)
    if officer:
        waiting = db.session.scalars(sa.select(Event).where(
            Event.competition_id.in_(officer), Event.stage == EventStage.SIGNED_OFF,
            Event.decrypted_at.is_(None)).order_by(Event.id)).all()
        if waiting:
            tasks.append(Task("decrypt", _l("Events signed off, to decrypt"), len(waiting),
                              url_for("results.event", event_id=waiting[0].id)))
    arbitrated = _competition_ids(user, Role.ARBITRATOR)
    if arbitrated:
        appeals = db.session.scalars(sa.select(Appeal).join(Event).where(
            Event.competition_id.in_(arbitrated), Appeal.status == AppealStatus.OPEN)
            .order_by(Appeal.filed_at)).all()
        if appeals:
            tasks.append(Task("appeals", _l("Appeals to decide"), len(appeals),
                              url_for("results.appeal_detail", appeal_id=appeals[0].id)))
    for role, key, label, endpoint in (
            (Role.CHIEF_JUDGE, "chief", _l("Events to lead as chief judge: flags, missing "
                                           "marks, sign-off"), "judging.overview"),
            (Role.JUDGE, "mark", _l("Events being marked where you judge"), "judging.index")):
        events = db.session.scalars(sa.select(Event).where(
            Event.id.in_(_event_ids(user, role)), Event.stage == EventStage.SCORING)
            .order_by(Event.id)).all() if _event_ids(user, role) else []
        if events:
            url = (url_for(endpoint, event_id=events[0].id) if endpoint == "judging.overview"
                   else url_for(endpoint))
            tasks.append(Task(key, label, len(events), url))
    return tasks


def reviewer_tasks(user, now: datetime) -> list[Task]:
    from competitions.promotion import eligibility
    if not (user.is_admin or user.hr_paths or user.is_organiser):
        return []
    stmt = eligibility.eligibilities(user, status="pending", now=now)
    rows = [e for e in db.session.scalars(stmt)
            if eligibility.can_review(user, db.session.get(Competition, e.competition_id))]
    if not rows:
        return []
    return [Task("promotions", _l("Promotion eligibilities to decide"), len(rows),
                 url_for("promotion.eligibilities", status="pending"))]


def worker_tasks(user, now: datetime) -> list[Task]:
    worker = user.worker
    if worker is None:
        return []
    waiting = db.session.scalar(sa.select(sa.func.count(Entry.id)).join(EntryMember).where(
        EntryMember.worker_id == worker.id, Entry.status.in_(
            [EntryStatus.PENDING_ENDORSEMENT, EntryStatus.PENDING_APPROVAL])))
    drawn = db.session.scalar(sa.select(sa.func.count(Entry.id)).join(EntryMember).join(
        Event, Event.id == Entry.event_id).where(
        EntryMember.worker_id == worker.id, Entry.status == EntryStatus.APPROVED,
        Entry.checkin_code.is_not(None), Event.stage.in_([EventStage.DRAWN,
                                                          EventStage.OPEN])))
    tasks = []
    if waiting:
        tasks.append(Task("my_pending", _l("My registrations awaiting a decision"), waiting,
                          url_for("registration.my_entries")))
    if drawn:
        tasks.append(Task("my_checkin", _l("Contests ahead: bring your check-in code"), drawn,
                          url_for("registration.my_entries")))
    return tasks


def tasks_for(user, now: datetime | None = None) -> list[Task]:
    now = now or utcnow()
    return (organiser_tasks(user, now) + official_tasks(user, now)
            + reviewer_tasks(user, now) + worker_tasks(user, now))
