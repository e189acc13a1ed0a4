"""What waits for each person: the tasks a dashboard lists, with counts and a link to each.

One query per kind of task, whatever the numbers; a task with nothing waiting is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from competitions.accounts.models import Role
from competitions.accounts.roles import event_detail
from competitions.contests.models import Competition, CompetitionState, Event, EventStage
from competitions.database import utcnow
from competitions.extensions import db
from competitions.i18n import gettext as _
from competitions.i18n import lazy_gettext as _l
from competitions.i18n import local_time
from competitions.judging.progress import marking_progress
from competitions.organisations.models import Organisation
from competitions.registration.models import Entry, EntryMember, EntryStatus, Nomination
from competitions.results.models import Appeal, AppealStatus, TitleAward, TitleState

PENDING = [EntryStatus.PENDING_ENDORSEMENT, EntryStatus.PENDING_APPROVAL]


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


def _joined(parts) -> str:
    return _("; ").join(parts)


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


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
    tasks += _draw_and_nominee_tasks(managed)
    # Decrypted events, and ones signed off again after an upheld appeal (already decrypted).
    republish = sa.and_(Event.stage == EventStage.SIGNED_OFF, Event.decrypted_at.is_not(None))
    events = db.session.scalars(sa.select(Event).join(Competition).where(
        managed, sa.or_(Event.stage.in_([EventStage.DECRYPTED, EventStage.PUBLISHED]),
                        republish)).order_by(Event.id)).all()
    to_publish = [e for e in events if e.stage is EventStage.DECRYPTED
                  or (e.stage is EventStage.SIGNED_OFF and e.decrypted_at is not None)]
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
    appeals = db.session.scalars(sa.select(Appeal.id).join(Event).join(Competition).where(
        managed, Appeal.status == AppealStatus.OPEN).order_by(Appeal.filed_at)).all()
    if appeals:
        tasks.append(Task("appeals_open", _l("Appeals open in your competitions"), len(appeals),
                          url_for("results.appeal_detail", appeal_id=appeals[0])))
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


def _draw_and_nominee_tasks(managed) -> list[Task]:
    """Events whose registration is closed and decided, not yet drawn; nominees (sent by a unit
    or by advancement) whose place is not yet registered while registration runs."""
    tasks = []
    ready = db.session.scalars(
        sa.select(Event.id).join(Competition).join(Entry, Entry.event_id == Event.id)
        .where(managed, Event.stage == EventStage.OPEN,
               Competition.state.in_([CompetitionState.REVIEW, CompetitionState.DRAWN]))
        .group_by(Event.id)
        .having(_count_if(Entry.status.in_(PENDING)) == 0,
                _count_if(Entry.status == EntryStatus.APPROVED) > 0)
        .order_by(Event.id)).all()
    if ready:
        tasks.append(Task("draw", _l("Events ready to draw"), len(ready),
                          url_for("registration.draw_event", event_id=ready[0])))
    registered = sa.exists().where(EntryMember.event_id == Nomination.event_id,
                                   EntryMember.worker_id == Nomination.worker_id,
                                   EntryMember.active)
    total, event_id = _first_by_event(db.session.execute(
        sa.select(Nomination.event_id, sa.func.count(Nomination.id))
        .join(Event, Event.id == Nomination.event_id).join(Competition)
        .where(managed, ~registered, Competition.state.in_(
            [CompetitionState.DRAFT, CompetitionState.REGISTRATION]))
        .group_by(Nomination.event_id)).all())
    if total:
        tasks.append(Task("nominees", _l("Nominees received but not yet registered"), total,
                          url_for("registration.event_entries", event_id=event_id)))
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
    return tasks + arbitrator_tasks(user) + marking_tasks(user)


def arbitrator_tasks(user) -> list[Task]:
    """One task per event with open appeals, with the dates the decision is bound by."""
    arbitrated = _competition_ids(user, Role.ARBITRATOR)
    if not arbitrated:
        return []
    rows = db.session.execute(sa.select(Appeal.id, Event).join(Event).where(
        Event.competition_id.in_(arbitrated), Appeal.status == AppealStatus.OPEN)
        .options(joinedload(Event.competition)).order_by(Appeal.filed_at)).all()
    by_event: dict[Event, list[int]] = {}
    for appeal_id, event in rows:
        by_event.setdefault(event, []).append(appeal_id)
    tasks = []
    for event, waiting in sorted(by_event.items(), key=lambda item: item[0].id):
        deadlines = []
        if event.appeals_close_at:
            deadlines.append(_("appeals close %(at)s", at=local_time(event.appeals_close_at)))
        if event.notice_ends_at:
            deadlines.append(_("decide before the notice ends %(at)s",
                               at=local_time(event.notice_ends_at)))
        tasks.append(Task(f"appeals-{event.id}", _l("Appeals to decide"), len(waiting),
                          url_for("results.appeal_detail", appeal_id=waiting[0]),
                          _joined([event_detail(event), *deadlines])))
    return tasks


def marking_tasks(user) -> list[Task]:
    """Per event being marked: the judge's sheets left; the chief judge's flags, missing marks
    or sign-off."""
    judged, led = _event_ids(user, Role.JUDGE), _event_ids(user, Role.CHIEF_JUDGE)
    if not judged | led:
        return []
    events = db.session.scalars(sa.select(Event).where(
        Event.id.in_(judged | led), Event.stage == EventStage.SCORING)
        .options(joinedload(Event.competition)).order_by(Event.id)).all()
    progress = marking_progress(events)
    tasks = []
    for event in events:
        state, detail = progress[event.id], event_detail(event)
        if event.id in led:
            overview = url_for("judging.overview", event_id=event.id)
            if state.unresolved_flags:
                tasks.append(Task(f"flags-{event.id}", _l("Flagged panels to resolve"),
                                  state.unresolved_flags, overview, detail))
            if state.missing_marks:
                tasks.append(Task(f"missing-{event.id}", _l("Marks still missing"),
                                  state.missing_marks, overview, detail))
            elif state.is_ready_to_sign_off:
                tasks.append(Task(f"sign_off-{event.id}",
                                  _l("Event ready to sign off: every mark is in"), 1,
                                  overview, detail))
        if event.id in judged and (left := state.sheets_left(user.id)):
            tasks.append(Task(f"mark-{event.id}", _l("Score sheets left to submit"), left,
                              url_for("judging.my_sheets", event_id=event.id), detail))
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
    """The worker's entries awaiting a decision (by when registration closes) and their drawn
    contests ahead (when and where to check in, while that is still to come)."""
    worker = user.worker
    if worker is None:
        return []
    entries = db.session.scalars(sa.select(Entry).join(EntryMember).join(
        Event, Event.id == Entry.event_id).where(
        EntryMember.worker_id == worker.id, sa.or_(
            Entry.status.in_(PENDING),
            sa.and_(Entry.status == EntryStatus.APPROVED, Entry.checkin_code.is_not(None),
                    Event.stage.in_([EventStage.DRAWN, EventStage.SCORING]), sa.or_(
                        Event.checkin_at > now,  # the check-in is still ahead
                        sa.and_(Event.checkin_at.is_(None), Event.stage == EventStage.DRAWN)))))
        .options(joinedload(Entry.event).joinedload(Event.competition))
        .order_by(Entry.id)).all()
    waiting = [e for e in entries if e.status in PENDING]
    drawn = [e for e in entries if e.status is EntryStatus.APPROVED]
    tasks = []
    if waiting:
        tasks.append(Task("my_pending", _l("My registrations awaiting a decision"), len(waiting),
                          url_for("registration.my_entries"),
                          _joined(_pending_detail(e) for e in waiting)))
    if drawn:
        tasks.append(Task("my_checkin", _l("Contests ahead: bring your check-in code"),
                          len(drawn), url_for("registration.my_entries"),
                          _joined(checkin_detail(e) for e in drawn)))
    return tasks


def _pending_detail(entry: Entry) -> str:
    closes = entry.event.competition.registration_closes_at
    if closes is None:
        return event_detail(entry.event)
    return _("%(event)s: registration closes %(at)s", event=event_detail(entry.event),
             at=local_time(closes))


def checkin_detail(entry: Entry) -> str:
    """检录号 J003, 2026年12月8日 08:00 at the venue, for an entry that has been drawn."""
    event = entry.event
    if event.checkin_at is None:
        where = _("check-in time and place to be announced")
    elif event.venue:
        where = _("check in at %(at)s, %(venue)s", at=local_time(event.checkin_at),
                  venue=event.venue)
    else:
        where = _("check in at %(at)s", at=local_time(event.checkin_at))
    return _("%(event)s: check-in code %(code)s, %(where)s", event=event_detail(event),
             code=entry.checkin_code, where=where)


def tasks_for(user, now: datetime | None = None) -> list[Task]:
    now = now or utcnow()
    return (organiser_tasks(user, now) + official_tasks(user, now)
            + reviewer_tasks(user, now) + worker_tasks(user, now))
