"""Titles recommended by final results, under the competition's title-rule presets; each waits
for the granting body's approval, which an organiser records (RULES.md B)."""

from __future__ import annotations

import sqlalchemy as sa

from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import EntryMember, WorkerTitle
from competitions.results import titles
from competitions.results.awards import Award
from competitions.results.models import Result, TitleAward, TitleState


def recommend_titles(actor, event: Event) -> list[TitleAward]:
    """Pending title awards for the event's final results, under each of the competition's
    title rules in turn (each award names the rule that gave it); nobody gets a title twice,
    so a title an earlier rule gave, or one already held or pending, is not given again."""
    competition = event.competition
    if not competition.title_rules:
        return []
    results = db.session.execute(
        sa.select(Result.entry_id, Result.rank, Result.awards)
        .where(Result.event_id == event.id, Result.is_current())
        .order_by(Result.rank, Result.id)).all()
    facts = {"competition_class": competition.competition_class.value,
             "group": event.group.value, "team_size": event.team_size}
    titled = []  # (entry, rank, [(rule, title), …]) of the results some rule gives a title
    for entry_id, rank, awards in results:
        awards = [Award(a) for a in awards or ()]
        found = [(rule_name, title) for rule_name, options in competition.title_rules
                 for title in titles.titles_for_all([(rule_name, options)], rank=rank,
                                                    awards=awards, **facts)]
        if found:
            titled.append((entry_id, rank, found))
    members = _active_members([entry_id for entry_id, _rank, _found in titled])
    proposals = [((worker_id, title), rule_name, rank) for entry_id, rank, found in titled
                 for rule_name, title in found for worker_id in members.get(entry_id, ())]
    workers = [worker for (worker, _title), _rule, _rank in proposals]
    held = {(w, t) for w, t in db.session.execute(
        sa.select(WorkerTitle.worker_id, WorkerTitle.title).where(
            WorkerTitle.worker_id.in_(workers)))}
    held |= {(w, t) for w, t in db.session.execute(
        sa.select(TitleAward.worker_id, TitleAward.title).where(
            TitleAward.worker_id.in_(workers)))}
    kept = titles.never_twice([key for key, _rule, _rank in proposals], held)
    first_rule = {}  # the first rule to propose each (worker, title): the one that gives it
    for key, rule_name, rank in proposals:
        first_rule.setdefault(key, (rule_name, rank))
    created = []
    for worker_id, title in kept:
        rule_name, rank = first_rule[(worker_id, title)]
        award = TitleAward(competition_id=competition.id, event_id=event.id,
                           worker_id=worker_id, title=title, rule=rule_name, rank=rank)
        db.session.add(award)
        created.append(award)
    db.session.flush()
    for award in created:
        record(actor, "title.recommend", award, after={
            "worker_id": award.worker_id, "title": award.title, "rank": award.rank})
    return created


def _active_members(entry_ids: list[int]) -> dict[int, list[int]]:
    """The active members' worker ids of each entry, leader first."""
    members: dict[int, list[int]] = {}
    if not entry_ids:
        return members
    for entry_id, worker_id in db.session.execute(
            sa.select(EntryMember.entry_id, EntryMember.worker_id)
            .where(EntryMember.active, EntryMember.entry_id.in_(entry_ids))
            .order_by(EntryMember.is_leader.desc(), EntryMember.id)):
        members.setdefault(entry_id, []).append(worker_id)
    return members


def decide_title(actor, award: TitleAward, *, approve: bool, note: str | None = None):
    """Record the granting body's decision; an approved title joins the worker's titles and
    issues its certificate (returned, when the competition issues title certificates)."""
    competition = db.session.get(Competition, award.competition_id)
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers record title approvals."))
    if award.state is not TitleState.PENDING:
        raise DomainError(_l("This title has already been decided."))
    award.state = TitleState.APPROVED if approve else TitleState.DECLINED
    award.decided_by_id, award.decided_at = actor.id, utcnow()
    award.note = (note or "").strip() or None
    if approve:
        db.session.add(WorkerTitle(worker_id=award.worker_id, title=award.title,
                                   year=competition.year))
    db.session.flush()
    record(actor, "title.approve" if approve else "title.decline", award, reason=award.note)
    if approve:
        from competitions.certificates.services import issue_for_title
        return issue_for_title(actor, award)
    return None
