"""Promotion eligibility: computed from final results under the competition's rule set,
reviewed by the human-resources side (or the organisers, where the competition allows), and on
confirmation the worker's level in the event's occupation goes up, with its history.

The engine (rules.py) is pure; this module reads the results and levels, stores each outcome,
and records every decision in the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from competitions.accounts.models import Role
from competitions.audit.services import record
from competitions.bulk import insert_rows
from competitions.collector import collector_paused
from competitions.contests.models import Competition, Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.i18n import local_time
from competitions.promotion import rules as engine
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus, PromotionEligibility
from competitions.promotion.worker_levels import levels_in, set_level
from competitions.registration.models import Entry, EntryMember, Worker
from competitions.results.models import Result


class PromotionRefused(DomainError):
    pass


# --- who may see and decide -----------------------------------------------------------------

def covers(user, competition: Competition) -> bool:
    """An HR officer whose grant covers the organiser's subtree, or is for this competition."""
    organiser = competition.organiser
    if any(organiser.path.startswith(path) for path in getattr(user, "hr_paths", ())):
        return True
    return any(grant.role is Role.HR_OFFICER and grant.competition_id == competition.id
               for grant in getattr(user, "grants", ()))


def can_review(user, competition: Competition) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin or covers(user, competition):
        return True
    return competition.promotion_by_organisers and competition.can_manage(user)


def can_view(user, competition: Competition) -> bool:
    return can_review(user, competition) or competition.can_manage(user)


def viewable(user) -> sa.ColumnElement[bool]:
    """can_view as an SQL condition on Competition: its organiser lies in a subtree the user
    organises or covers as an HR officer, or the user is its HR officer."""
    from competitions.organisations.models import Organisation
    if user.is_admin:
        return sa.true()
    granted = [grant.competition_id for grant in user.grants
               if grant.role is Role.HR_OFFICER and grant.competition_id]
    return sa.or_(Competition.organiser_id.in_(
        sa.select(Organisation.id).where(Organisation.in_any_subtree(
            [*user.organiser_paths, *user.hr_paths]))), Competition.id.in_(granted))


# --- the rule set ---------------------------------------------------------------------------

def rules_of(competition: Competition) -> engine.RuleSet | None:
    return engine.RuleSet.from_json(competition.promotion_rules) \
        if competition.promotion_rules else None


def save_rules(actor, competition: Competition, rules: engine.RuleSet | None, *,
               by_organisers: bool, expiry_days: int) -> None:
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers set its promotion rules."))
    if not 1 <= expiry_days <= 3650:
        raise PromotionRefused(_l("An eligibility waits between 1 and 3650 days."),
                               field="expiry_days")
    before = {"rules": competition.promotion_rules,
              "by_organisers": competition.promotion_by_organisers,
              "expiry_days": competition.promotion_expiry_days}
    competition.promotion_rules = rules.to_json() if rules else {}
    competition.promotion_by_organisers = by_organisers
    competition.promotion_expiry_days = expiry_days
    record(actor, "competition.promotion_rules", competition, before=before,
           after={"rules": competition.promotion_rules, "by_organisers": by_organisers,
                  "expiry_days": expiry_days})


# --- assessment at finalisation -------------------------------------------------------------

def _confirmed_dates(worker_ids: list[int] | sa.Select, exclude_event: int
                     ) -> dict[int, tuple]:
    """Per worker (of a list, or a select of ids), the dates their competition promotions
    elsewhere were confirmed."""
    dates: dict[int, tuple] = {}
    for worker_id, moment in db.session.execute(
            sa.select(PromotionEligibility.worker_id, PromotionEligibility.decided_at).where(
                PromotionEligibility.worker_id.in_(worker_ids),
                PromotionEligibility.status == EligibilityStatus.CONFIRMED,
                PromotionEligibility.event_id != exclude_event)):
        if moment:
            dates[worker_id] = (*dates.get(worker_id, ()), moment.date())
    return dates


def _outcome_fields(outcome: engine.Outcome) -> dict:
    return {"code": outcome.code.value, "eligible": outcome.eligible,
            "from_level": outcome.from_level, "to_level": outcome.to_level,
            "band": outcome.band, "reason": outcome.reason}


@dataclass(frozen=True)
class Assessed:
    """One entrant's eligibility as assess_event left it."""

    worker_id: int
    entry_id: int
    eligible: bool
    to_level: SkillLevel | None
    status: EligibilityStatus


@collector_paused()
def assess_event(actor, event: Event, now: datetime | None = None) -> list[Assessed]:
    """Assess every entrant of a final event (team members one by one), in result order. An
    eligibility nobody has decided is recomputed; a decided one whose outcome would now differ
    is flagged for review, its decision kept. New ones go in together (COPY on PostgreSQL) and
    are not loaded back: the statements do not grow with the entrants."""
    rules = rules_of(event.competition)
    if rules is None:
        return []
    now = now or utcnow()
    on = (event.finalised_at or now).date()
    results = db.session.execute(
        sa.select(Result.entry_id, Result.rank, Result.awards, Result.theory, Result.practical)
        .where(Result.event_id == event.id, Result.is_current())
        .order_by(Result.rank, Result.id)).all()
    existing = {e.worker_id: e for e in db.session.scalars(sa.select(PromotionEligibility)
                                                           .where(PromotionEligibility
                                                                  .event_id == event.id))}
    expiry = timedelta(days=event.competition.promotion_expiry_days)
    entered = sa.select(Result.entry_id).where(Result.event_id == event.id)
    members: dict[int, list] = {}
    for member in db.session.execute(
            sa.select(EntryMember.entry_id, Worker.id, Worker.skill_level, Worker.occupation_id)
            .join(Worker, Worker.id == EntryMember.worker_id)
            .where(EntryMember.entry_id.in_(entered))
            .order_by(EntryMember.is_leader.desc(), EntryMember.id)):
        members.setdefault(member.entry_id, []).append(member)
    workers = [worker for result in results for worker in members.get(result.entry_id, ())]
    worker_ids = sa.select(EntryMember.worker_id).where(EntryMember.entry_id.in_(entered))
    levels = levels_in(workers, event.occupation_id, among=worker_ids)
    promoted = _confirmed_dates(worker_ids, event.id)
    group, standard = event.group.value, event.occupation.has_national_standard
    stored, new = [], []
    for result in results:
        standing = engine.Standing(rank=result.rank, entrants=len(results),
                                   awards=frozenset(result.awards or ()),
                                   theory=result.theory, practical=result.practical)
        for worker in members.get(result.entry_id, ()):
            person = engine.Person(group=group, level=levels[worker.id],
                                   promoted_on=promoted.get(worker.id, ()))
            outcome = engine.assess(rules, standing, person, has_national_standard=standard,
                                    on=on)
            fields = {**_outcome_fields(outcome), "rule_name": rules.name,
                      "rule_version": rules.version, "rank": result.rank,
                      "awards": list(result.awards or ()), "computed_at": now,
                      "expires_at": now + expiry if outcome.eligible else None}
            eligibility = existing.get(worker.id)
            if eligibility is None:
                new.append({"competition_id": event.competition_id, "event_id": event.id,
                            "entry_id": result.entry_id, "worker_id": worker.id,
                            "occupation_id": event.occupation_id, **fields})
                stored.append(Assessed(worker.id, result.entry_id, outcome.eligible,
                                       outcome.to_level, EligibilityStatus.PENDING))
                continue
            if eligibility.status is EligibilityStatus.PENDING:
                for name, value in fields.items():
                    setattr(eligibility, name, value)
            else:
                changed = (eligibility.eligible, eligibility.to_level) != (
                    outcome.eligible, outcome.to_level)
                eligibility.needs_review = eligibility.needs_review or changed
            stored.append(Assessed(eligibility.worker_id, eligibility.entry_id,
                                   eligibility.eligible, eligibility.to_level,
                                   eligibility.status))
    db.session.flush()
    insert_rows(PromotionEligibility.__table__, new)
    record(actor, "promotion.assess", event, after={
        "rules": f"{rules.name}@{rules.version}", "assessed": len(stored),
        "eligible": sum(1 for e in stored if e.eligible)})
    return stored


def flag_for_review(actor, event: Event, reason: str) -> int:
    """A formal reopening: decided eligibilities are flagged; pending ones wait (they cannot
    be confirmed until the results are final again, when they are recomputed)."""
    decided = list(db.session.scalars(sa.select(PromotionEligibility).where(
        PromotionEligibility.event_id == event.id,
        PromotionEligibility.status == EligibilityStatus.CONFIRMED)))
    for eligibility in decided:
        eligibility.needs_review = True
        record(actor, "promotion.flag", eligibility, after=snapshot(eligibility), reason=reason)
    return len(decided)


# --- decisions ------------------------------------------------------------------------------

# 职业技能等级证书编号 (人社部 coding rules): the assessing body's kind (Y an employer, S a social
# training and assessment body), its code (4), province (2), site (6), year (2), the level
# (1 高级技师 … 5 初级工), and a serial (6).
CERTIFICATE_RE = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}([1-5])\d{6}$")
LEVEL_DIGITS = {SkillLevel.LEVEL_1: "1", SkillLevel.LEVEL_2: "2", SkillLevel.LEVEL_3: "3",
                SkillLevel.LEVEL_4: "4", SkillLevel.LEVEL_5: "5"}


def check_certificate_no(number: str | None, level: SkillLevel) -> str | None:
    number = re.sub(r"\s+", "", number or "").upper() or None
    if number is None:
        return None
    match = CERTIFICATE_RE.match(number)
    if match is None:
        raise PromotionRefused(_l("A skill-level certificate number is Y or S followed by 21 "
                                  "digits (22 characters), e.g. Y000032000123264000001."),
                               field="certificate_no")
    if match.group(1) != LEVEL_DIGITS.get(level):
        raise PromotionRefused(_l("Digit 16 of the number gives the level: %(digit)s is not "
                                  "%(level)s.", digit=match.group(1), level=level.label),
                               field="certificate_no")
    return number


def snapshot(eligibility: PromotionEligibility) -> dict:
    """What the audit log keeps of a decision, and `flask audit verify` compares."""
    return {"worker_id": eligibility.worker_id, "occupation_id": eligibility.occupation_id,
            "from_level": eligibility.from_level.value if eligibility.from_level else None,
            "to_level": eligibility.to_level.value if eligibility.to_level else None,
            "status": eligibility.status.value, "document_no": eligibility.document_no,
            "certificate_no": eligibility.certificate_no}


def _reviewable(actor, eligibility: PromotionEligibility) -> Competition:
    competition = db.session.get(Competition, eligibility.competition_id)
    if not can_review(actor, competition):
        raise PermissionDenied(_l("Only the human-resources officers covering this competition "
                                  "(or its organisers, where it allows) decide promotions."))
    return competition


def _decidable(actor, eligibility: PromotionEligibility, now: datetime) -> Competition:
    competition = _reviewable(actor, eligibility)
    if eligibility.status is not EligibilityStatus.PENDING:
        raise PromotionRefused(_l("This eligibility has already been decided."))
    if not eligibility.eligible:
        raise PromotionRefused(_l("This entrant is not eligible: %(reason)s",
                                  reason=eligibility.reason))
    if eligibility.is_expired(now):
        raise PromotionRefused(_l("This eligibility expired on %(date)s without a decision.",
                                  date=local_time(eligibility.expires_at)))
    if db.session.get(Event, eligibility.event_id).stage is not EventStage.FINAL:
        raise PromotionRefused(_l("The event's results are reopened: decide once they are "
                                  "final again."))
    return competition


def _tell(eligibility: PromotionEligibility) -> None:
    from competitions.notifications.services import notify
    from competitions.organisations.services import organisers_of

    worker = db.session.get(Worker, eligibility.worker_id)
    entry = db.session.get(Entry, eligibility.entry_id)
    params = {"status": eligibility.status.value, "name": worker.name,
              "occupation": eligibility.occupation.name,
              "level": eligibility.to_level.value if eligibility.to_level else None}
    users = {grant.user_id for grant in organisers_of(entry.unit)}
    if worker.user_id:
        users.add(worker.user_id)
    for user_id in sorted(users):
        notify(user_id, "promotion_decided", worker_id=worker.id, **params)


def confirm(actor, eligibility: PromotionEligibility, *, document_no: str,
            certificate_no: str | None = None, now: datetime | None = None) -> None:
    """The granting authority's approval: the worker's level in the occupation goes up."""
    now = now or utcnow()
    _decidable(actor, eligibility, now)
    document_no = (document_no or "").strip()
    if not document_no:
        raise PromotionRefused(_l("Give the approval document's number (文号)."),
                               field="document_no")
    certificate_no = check_certificate_no(certificate_no, eligibility.to_level)
    eligibility.status = EligibilityStatus.CONFIRMED
    eligibility.decided_by_id, eligibility.decided_at = getattr(actor, "id", None), now
    eligibility.document_no, eligibility.certificate_no = document_no[:60], certificate_no
    worker = db.session.get(Worker, eligibility.worker_id)
    set_level(actor, worker, eligibility.occupation, eligibility.to_level, on=now.date(),
              source="promotion", certificate_no=certificate_no,
              eligibility_id=eligibility.id, document_no=eligibility.document_no)
    record(actor, "promotion.confirm", eligibility, after=snapshot(eligibility))
    _tell(eligibility)


def decline(actor, eligibility: PromotionEligibility, *, reason: str,
            now: datetime | None = None) -> None:
    now = now or utcnow()
    _decidable(actor, eligibility, now)
    reason = (reason or "").strip()
    if not reason:
        raise PromotionRefused(_l("Give a reason for declining; the worker sees it."),
                               field="reason")
    eligibility.status = EligibilityStatus.DECLINED
    eligibility.decided_by_id, eligibility.decided_at = getattr(actor, "id", None), now
    eligibility.decline_reason = reason
    record(actor, "promotion.decline", eligibility, after=snapshot(eligibility), reason=reason)
    _tell(eligibility)


def add_certificate(actor, eligibility: PromotionEligibility, number: str) -> None:
    """The new 职业技能等级证书, once the assessment body has issued it."""
    _reviewable(actor, eligibility)
    if eligibility.status is not EligibilityStatus.CONFIRMED:
        raise PromotionRefused(_l("A certificate is recorded for a confirmed promotion."))
    number = check_certificate_no(number, eligibility.to_level)
    if number is None:
        raise PromotionRefused(_l("Give the certificate number."), field="certificate_no")
    eligibility.certificate_no = number
    worker = db.session.get(Worker, eligibility.worker_id)
    from competitions.promotion.models import WorkerLevel
    row = db.session.scalar(sa.select(WorkerLevel).where(
        WorkerLevel.worker_id == worker.id,
        WorkerLevel.occupation_id == eligibility.occupation_id))
    if row is not None and row.level is eligibility.to_level:
        row.certificate_no = number
        if worker.occupation_id == eligibility.occupation_id:
            worker.skill_certificate_no = number
    record(actor, "promotion.certificate", eligibility, after=snapshot(eligibility))


# --- lists, expiry and reminders ------------------------------------------------------------

def eligibilities(user, *, competition_id: int | None = None, unit_path: str | None = None,
                  level: SkillLevel | None = None, status: str | None = None,
                  now: datetime | None = None):
    """The eligibilities `user` may see, filtered; `status` is a status value, "expired" or
    "review" (flagged after a reopening). A select, for paging and exports alike."""
    from competitions.organisations.models import Organisation
    now = now or utcnow()
    stmt = (sa.select(PromotionEligibility)
            .join(Competition, Competition.id == PromotionEligibility.competition_id)
            .join(Entry, Entry.id == PromotionEligibility.entry_id)
            .join(Organisation, Organisation.id == Entry.unit_id))
    stmt = stmt.where(viewable(user))
    if competition_id:
        stmt = stmt.where(PromotionEligibility.competition_id == competition_id)
    if unit_path:
        stmt = stmt.where(Organisation.in_subtree(unit_path))
    if level:
        stmt = stmt.where(PromotionEligibility.to_level == level)
    pending = PromotionEligibility.status == EligibilityStatus.PENDING
    if status == "expired":
        stmt = stmt.where(pending, PromotionEligibility.expires_at <= now)
    elif status == "review":
        stmt = stmt.where(PromotionEligibility.needs_review.is_(True))
    elif status == EligibilityStatus.PENDING.value:
        stmt = stmt.where(pending, PromotionEligibility.eligible.is_(True),
                          sa.or_(PromotionEligibility.expires_at.is_(None),
                                 PromotionEligibility.expires_at > now))
    elif status:
        stmt = stmt.where(PromotionEligibility.status == EligibilityStatus(status))
    return stmt.order_by(PromotionEligibility.competition_id, PromotionEligibility.event_id,
                         PromotionEligibility.rank, PromotionEligibility.id)


def reviewers_of(competition: Competition) -> set[int]:
    """Who can decide a competition's eligibilities: its HR officers (and organisers)."""
    from competitions.accounts.models import RoleGrant
    from competitions.organisations.services import organisers_of
    users = set()
    for grant in db.session.scalars(sa.select(RoleGrant).where(
            RoleGrant.role == Role.HR_OFFICER)):
        root = grant.covers or grant.organisation
        if grant.competition_id == competition.id or (
                root is not None and competition.organiser.path.startswith(root.path)):
            users.add(grant.user_id)
    if competition.promotion_by_organisers:
        users |= {grant.user_id for grant in organisers_of(competition.organiser)}
    return users


def remind(now: datetime | None = None, within_days: int = 14) -> int:
    """Tell each reviewer how many eligibilities expire within `within_days` undecided; each
    is counted in one reminder a day at most. Returns the reminders sent."""
    from competitions.notifications.services import notify
    now = now or utcnow()
    due = list(db.session.scalars(sa.select(PromotionEligibility).where(
        PromotionEligibility.status == EligibilityStatus.PENDING,
        PromotionEligibility.eligible.is_(True),
        PromotionEligibility.expires_at > now,
        PromotionEligibility.expires_at <= now + timedelta(days=within_days),
        sa.or_(PromotionEligibility.reminded_at.is_(None),
               PromotionEligibility.reminded_at <= now - timedelta(days=1)))))
    by_competition: dict[int, list[PromotionEligibility]] = {}
    for eligibility in due:
        by_competition.setdefault(eligibility.competition_id, []).append(eligibility)
    sent = 0
    for competition_id, items in by_competition.items():
        competition = db.session.get(Competition, competition_id)
        first = min(item.expires_at for item in items)
        for user_id in sorted(reviewers_of(competition)):
            notify(user_id, "promotion_pending", competition_id=competition.id,
                   competition=competition.name, count=len(items),
                   expires=first.isoformat())
            sent += 1
        for item in items:
            item.reminded_at = now
    return sent
