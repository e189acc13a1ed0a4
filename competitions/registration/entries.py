"""Entries: registering, the two-step approval (unit endorses, organiser decides), withdrawal."""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from competitions.audit.services import record
from competitions.contests.models import Competition, Event
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.notifications import recipients
from competitions.notifications.services import event_params, notify_many
from competitions.organisations.models import Organisation
from competitions.registration.eligibility import Entrant, EventRules, check_eligibility
from competitions.registration.models import (
    Entry,
    EntryMember,
    EntryStatus,
    Nomination,
    Worker,
    WorkerTitle,
)


class RegistrationRefused(DomainError):
    """Registration refused; `rule` names the rule that failed (closed, duplicate, quota …)."""

    def __init__(self, message, rule: str, field: str | None = None):
        super().__init__(message, field=field)
        self.rule = rule


class NominationRefused(RegistrationRefused):
    pass


class InvalidDecision(DomainError):
    pass


def event_rules(event: Event) -> EventRules:
    competition = event.competition
    return EventRules(
        first_day=competition.starts_on, group=event.group.value, min_age=event.min_age,
        max_age=event.max_age, until_retirement=event.until_retirement,
        female_retirement_base=event.female_retirement_base, min_level=event.min_level,
        max_level=event.max_level, barred_titles=frozenset(event.barred_titles or ()),
        nomination_required=event.nomination_required)


def entrant_facts(worker: Worker, titles: frozenset[str], nominated: bool) -> Entrant:
    return Entrant(birth_date=worker.birth_date, sex=worker.sex, group=worker.group.value,
                   skill_level=worker.skill_level, titles=titles, nominated=nominated)


def quota_unit(worker: Worker, competition: Competition,
               ancestors: list[Organisation]) -> Organisation:
    """The unit whose quota an entry uses: the highest of the employer's ancestors (employer
    included) below the competition's tier — a city contest counts per enterprise, a
    provincial contest per city, a national contest per province."""
    below = [org for org in ancestors if org.tier < competition.tier
             and org.is_within(competition.organiser)]
    return below[0] if below else worker.employer


def _ancestors(org: Organisation) -> list[Organisation]:
    ids = org.ancestor_ids
    rows = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))).all()
    return sorted(rows, key=lambda o: len(o.path))


def eligibility_table(workers: list[Worker], events: list[Event]) -> dict[tuple[int, int], list]:
    """Refusals for every (worker id, event id) pair, in two queries whatever the sizes."""
    worker_ids, event_ids = [w.id for w in workers], [e.id for e in events]
    titles = defaultdict(set)
    for worker_id, title in db.session.execute(sa.select(
            WorkerTitle.worker_id, WorkerTitle.title).where(WorkerTitle.worker_id.in_(worker_ids))):
        titles[worker_id].add(title.value)
    nominated = set(db.session.execute(sa.select(Nomination.worker_id, Nomination.event_id).where(
        Nomination.worker_id.in_(worker_ids), Nomination.event_id.in_(event_ids))).tuples())
    return {(w.id, e.id): check_eligibility(
        entrant_facts(w, frozenset(titles[w.id]), (w.id, e.id) in nominated), event_rules(e))
        for w in workers for e in events}


def places_left(worker: Worker, events: list[Event]) -> dict[int, int | None]:
    """Per event, how many more entries the worker's quota unit may make, within the event's
    capacity too (None: neither limits it), in two queries."""
    ancestors = _ancestors(worker.employer)
    units = {e.id: quota_unit(worker, e.competition, ancestors) for e in events}
    active = [s for s in EntryStatus if s.is_active]
    per_unit, per_event = defaultdict(int), defaultdict(int)
    for event_id, unit_id, count in db.session.execute(
            sa.select(Entry.event_id, Entry.unit_id, sa.func.count(Entry.id))
            .where(Entry.event_id.in_([e.id for e in events]), Entry.status.in_(active))
            .group_by(Entry.event_id, Entry.unit_id)):
        per_unit[(event_id, unit_id)] = count
        per_event[event_id] += count
    left = {}
    for event in events:
        limits = []
        if event.quota_per_org is not None:
            limits.append(event.quota_per_org - per_unit[(event.id, units[event.id].id)])
        if event.capacity is not None:
            limits.append(event.capacity - per_event[event.id])
        left[event.id] = max(min(limits), 0) if limits else None
    return left


def refusals_for(worker: Worker, event: Event) -> list:
    """Every eligibility rule `worker` fails for `event` (age, level, group, titles, nomination)."""
    return eligibility_table([worker], [event])[(worker.id, event.id)]


def lock_event(event: Event) -> None:
    """Serialise registrations per event: the UPDATE takes the row (or database) write lock."""
    db.session.execute(sa.update(Event).where(Event.id == event.id)
                       .values(entry_counter=Event.entry_counter + 1)
                       .execution_options(synchronize_session=False))


def _active_count(event: Event, unit: Organisation | None = None) -> int:
    stmt = sa.select(sa.func.count(Entry.id)).where(
        Entry.event_id == event.id,
        Entry.status.in_([s for s in EntryStatus if s.is_active]))
    if unit is not None:
        stmt = stmt.where(Entry.unit_id == unit.id)
    return db.session.scalar(stmt)


def _require_open(competition: Competition, now, error_class) -> None:
    # Eligibility is judged on the first day of the contest: without one nobody can be checked.
    if competition.starts_on is None or not competition.is_registration_open(now):
        raise error_class(_l("Registration for %(name)s is not open.", name=competition.name),
                          rule="closed")


def register(actor, event: Event, workers: list[Worker], *, team_name: str | None = None,
             now=None) -> Entry:
    """Register one worker (or a team, leader first). Refusals name the failed rule."""
    competition = event.competition
    now = now or utcnow()
    _require_open(competition, now, RegistrationRefused)
    is_self = actor.is_authenticated and [w.user_id for w in workers] == [actor.id]
    if not is_self and not all(actor.manages(w.employer) for w in workers):
        raise PermissionDenied(_l("You can only register yourself or workers of your units."))
    if len(workers) != event.team_size or len({w.id for w in workers}) != len(workers):
        raise RegistrationRefused(_l("This event takes teams of %(n)d different workers.",
                                     n=event.team_size), rule="team", field="members")
    if event.team_size > 1 and not (team_name or "").strip():
        raise RegistrationRefused(_l("Give the team a name."), rule="team", field="team_name")
    for worker in workers:
        if not worker.employer.is_within(competition.organiser):
            raise RegistrationRefused(_l(
                "%(name)s works at %(unit)s, outside the area of this competition.",
                name=worker.name, unit=worker.employer.name), rule="area")
        refusals = refusals_for(worker, event)
        if refusals:
            raise RegistrationRefused(
                _l("%(name)s is not eligible: %(reasons)s", name=worker.name,
                   reasons=" ".join(str(r) for r in refusals)), rule=refusals[0].rule)
    lock_event(event)
    taken = db.session.scalars(sa.select(Worker.name).join(EntryMember).where(
        EntryMember.event_id == event.id, EntryMember.active,
        EntryMember.worker_id.in_([w.id for w in workers]))).all()
    if taken:
        raise RegistrationRefused(_l("%(name)s is already registered for this event.",
                                     name="、".join(taken)), rule="duplicate")
    if event.capacity is not None and _active_count(event) >= event.capacity:
        raise RegistrationRefused(_l("The event is full (%(n)d places).", n=event.capacity),
                                  rule="capacity")
    unit = quota_unit(workers[0], competition, _ancestors(workers[0].employer))
    if event.quota_per_org is not None and _active_count(event, unit) >= event.quota_per_org:
        raise RegistrationRefused(_l("%(unit)s has used its quota of %(n)d for this event.",
                                     unit=unit.name, n=event.quota_per_org), rule="quota")
    endorsed = not is_self
    entry = Entry(event=event, unit=unit, team_name=(team_name or "").strip() or None,
                  status=EntryStatus.PENDING_APPROVAL if endorsed
                  else EntryStatus.PENDING_ENDORSEMENT,
                  registered_by_id=actor.id, endorsed_by_id=actor.id if endorsed else None)
    entry.members = [EntryMember(event_id=event.id, worker=w, is_leader=(i == 0))
                     for i, w in enumerate(workers)]
    db.session.add(entry)
    db.session.flush()
    record(actor, "entry.register", entry, after=_entry_snapshot(entry))
    _notify_members(entry)
    _notify_next(actor, entry)
    return entry


def _entry_snapshot(entry: Entry) -> dict:
    return {"event_id": entry.event_id, "workers": [m.worker_id for m in entry.members],
            "unit_id": entry.unit_id, "status": entry.status, "team_name": entry.team_name}


def _notify_members(entry: Entry) -> None:
    """Tell the entrants where their registration stands (with the reason, if rejected)."""
    users = [m.worker.user_id for m in entry.members if m.worker.user_id]
    if users:
        notify_many(users, "entry_status", entry_id=entry.id, status=entry.status.value,
                    reason=entry.decision_reason if entry.status is EntryStatus.REJECTED
                    else None, **event_params(entry.event))


def _notify_next(actor, entry: Entry) -> None:
    """Tell whoever acts next on a registration: the entrant's unit endorses a worker's own
    registration, then the competition's organisers approve it."""
    if entry.status is EntryStatus.PENDING_ENDORSEMENT:
        employer = entry.members[0].worker.employer
        step, users = "endorse", recipients.unit_organisers(employer) if employer else []
    elif entry.status is EntryStatus.PENDING_APPROVAL:
        step = "approve"
        users = recipients.competition_organisers(entry.event.competition)
    else:
        return
    users = [user_id for user_id in users if user_id != actor.id]
    if users:
        notify_many(users, "entry_submitted", step=step, entry_id=entry.id,
                    names="、".join(m.worker.name for m in entry.members),
                    **event_params(entry.event))


def _set_status(actor, entry: Entry, status: EntryStatus, action: str,
                reason: str | None = None) -> Entry:
    before = entry.status
    entry.status = status
    for member in entry.members:
        member.active = status.is_active
    record(actor, action, entry, before={"status": before}, after={"status": status},
           reason=reason)
    _notify_members(entry)
    return entry


def can_endorse(user, entry: Entry) -> bool:
    return user.is_authenticated and all(user.manages(m.worker.employer) for m in entry.members)


def endorse(actor, entry: Entry) -> Entry:
    """Step one: an organiser whose subtree contains the entrant's employer vouches for them."""
    if not can_endorse(actor, entry):
        raise PermissionDenied(_l("Only an organiser of the entrant's unit can endorse."))
    if entry.status is not EntryStatus.PENDING_ENDORSEMENT:
        raise InvalidDecision(_l("This entry is not waiting for endorsement."))
    entry.endorsed_by_id = actor.id
    _set_status(actor, entry, EntryStatus.PENDING_APPROVAL, "entry.endorse")
    _notify_next(actor, entry)
    return entry


def decide(actor, entry: Entry, approve: bool, reason: str | None = None) -> Entry:
    """Step two: the competition's organiser approves, or rejects with a reason."""
    if not can_decide(actor, entry):
        raise PermissionDenied(_l("Only the competition's organisers decide on entries."))
    if entry.event.stage.value != "open":
        raise InvalidDecision(_l("The event has been drawn; entries can no longer change."))
    if approve and entry.status is not EntryStatus.PENDING_APPROVAL:
        raise InvalidDecision(_l("Only an endorsed entry can be approved."))
    if not approve:
        if entry.status not in (EntryStatus.PENDING_ENDORSEMENT, EntryStatus.PENDING_APPROVAL,
                                EntryStatus.APPROVED):
            raise InvalidDecision(_l("This entry cannot be rejected."))
        if not (reason or "").strip():
            raise InvalidDecision(_l("Give the reason for rejecting the entry."), field="reason")
    entry.decided_by_id = actor.id
    entry.decision_reason = (reason or "").strip() or None
    status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
    return _set_status(actor, entry, status, "entry.approve" if approve else "entry.reject",
                       reason=entry.decision_reason)


def approve_endorsed(actor, event: Event) -> list[Entry]:
    """Approve every endorsed entry of the event at once (the organiser's bulk action)."""
    if not event.competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers decide on entries."))
    entries = db.session.scalars(sa.select(Entry).where(
        Entry.event_id == event.id, Entry.status == EntryStatus.PENDING_APPROVAL)
        .order_by(Entry.id)).all()
    return [decide(actor, entry, approve=True) for entry in entries]


def can_decide(user, entry: Entry) -> bool:
    return entry.event.competition.can_manage(user)


def can_withdraw(user, entry: Entry) -> bool:
    """The entrant, an organiser of their unit, or the competition's organiser."""
    if not user.is_authenticated:
        return False
    own = any(m.worker.user_id == user.id for m in entry.members)
    return own or can_endorse(user, entry) or can_decide(user, entry)


def withdraw(actor, entry: Entry, reason: str | None = None) -> Entry:
    """The entrant, or an organiser of their unit, withdraws before the draw."""
    if not can_withdraw(actor, entry):
        raise PermissionDenied(_l("You cannot withdraw this entry."))
    if not entry.status.is_active:
        raise InvalidDecision(_l("This entry is no longer active."))
    if entry.event.stage.value != "open":
        raise InvalidDecision(_l("The event has been drawn; ask the organiser."))
    return _set_status(actor, entry, EntryStatus.WITHDRAWN, "entry.withdraw", reason=reason)


def nominate(actor, event: Event, worker: Worker, note: str | None = None, *,
             now=None) -> Nomination:
    """An organiser of the worker's unit nominates them for an event that requires it."""
    competition = event.competition
    if not (actor.is_authenticated and actor.manages(worker.employer)):
        raise PermissionDenied(_l("Only an organiser of the worker's unit can nominate them."))
    _require_open(competition, now or utcnow(), NominationRefused)
    if not worker.employer.is_within(competition.organiser):
        raise NominationRefused(_l(
            "%(name)s works at %(unit)s, outside the area of this competition.",
            name=worker.name, unit=worker.employer.name), rule="area")
    duplicate = db.session.scalar(sa.select(Nomination.id).where(
        Nomination.event_id == event.id, Nomination.worker_id == worker.id))
    if duplicate is not None:
        raise NominationRefused(_l("%(name)s is already nominated for this event.",
                                   name=worker.name), rule="duplicate")
    nomination = Nomination(
        event=event, worker=worker, note=(note or "").strip() or None,
        nominated_by=quota_unit(worker, competition, _ancestors(worker.employer)))
    db.session.add(nomination)
    db.session.flush()
    record(actor, "nomination.create", nomination, after=_nomination_snapshot(nomination))
    return nomination


def withdraw_nomination(actor, nomination: Nomination, *, now=None) -> None:
    """Take a nomination back while registration is open and the worker holds no place."""
    worker, event = nomination.worker, nomination.event
    if not (actor.is_authenticated and actor.manages(worker.employer)):
        raise PermissionDenied(_l("Only an organiser of the worker's unit can nominate them."))
    _require_open(event.competition, now or utcnow(), NominationRefused)
    entered = db.session.scalar(sa.select(EntryMember.id).where(
        EntryMember.event_id == event.id, EntryMember.worker_id == worker.id,
        EntryMember.active))
    if entered is not None:
        raise NominationRefused(_l("%(name)s is registered for this event: withdraw the entry "
                                   "first.", name=worker.name), rule="nomination")
    record(actor, "nomination.withdraw", nomination, before=_nomination_snapshot(nomination))
    db.session.delete(nomination)
    db.session.flush()


def _nomination_snapshot(nomination: Nomination) -> dict:
    return {"event_id": nomination.event_id, "worker_id": nomination.worker_id,
            "nominated_by_id": nomination.nominated_by_id, "note": nomination.note}


@dataclass
class EntryCounts:
    pending_endorsement: int = 0
    pending_approval: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0


def entry_counts(event_ids: list[int]) -> dict[int, EntryCounts]:
    """Entries per status for each event, in one grouped query."""
    counts = {event_id: EntryCounts() for event_id in event_ids}
    rows = db.session.execute(
        sa.select(Entry.event_id, Entry.status, sa.func.count(Entry.id))
        .where(Entry.event_id.in_(event_ids)).group_by(Entry.event_id, Entry.status))
    for event_id, status, count in rows:
        setattr(counts[event_id], status.value, count)
    return counts


def unit_paths_in_area(user, event: Event) -> list[str]:
    """The subtrees the user organises inside the competition's area."""
    area = event.competition.organiser.path
    return [path for path in user.organiser_paths if path.startswith(area)]


def can_view_entries(user, event: Event) -> bool:
    """The competition's organisers see every entry; organisers of units inside its area, theirs."""
    return user.is_authenticated and (event.competition.can_manage(user)
                                      or bool(unit_paths_in_area(user, event)))


def event_entries_query(user, event: Event):
    """The event's entries that `user` may see (check can_view_entries first)."""
    stmt = sa.select(Entry).where(Entry.event_id == event.id)
    if not event.competition.can_manage(user):
        stmt = stmt.where(Entry.id.in_(
            sa.select(EntryMember.entry_id).join(EntryMember.worker).join(Worker.employer)
            .where(EntryMember.event_id == event.id,
                   Organisation.in_any_subtree(unit_paths_in_area(user, event)))))
    return stmt


def event_nominations_query(user, event: Event):
    """The event's nominations that `user` may see (check can_view_entries first)."""
    stmt = sa.select(Nomination).join(Nomination.worker).join(Worker.employer).where(
        Nomination.event_id == event.id)
    if not event.competition.can_manage(user):
        stmt = stmt.where(Organisation.in_any_subtree(unit_paths_in_area(user, event)))
    return stmt.options(selectinload(Nomination.worker), selectinload(Nomination.nominated_by)) \
        .order_by(Nomination.id)
