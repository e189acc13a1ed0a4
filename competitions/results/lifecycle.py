"""An event's results from sign-off to final (DESIGN.md §3): decryption, the public notice
(公示), appeals (申诉) decided by the arbitrators, finalisation, and formal reopening."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from competitions.accounts.models import Role
from competitions.audit.checkpoints import make_checkpoint
from competitions.audit.reconcile import results_digest
from competitions.audit.services import record
from competitions.contests.models import CompetitionState, Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.i18n import local_time
from competitions.judging.models import Criterion, SignOff
from competitions.judging.panels import drawn_entries, event_officials
from competitions.notifications import recipients
from competitions.notifications.services import event_params, notify_many
from competitions.registration.draw import can_see_blind_codes
from competitions.registration.models import Entry
from competitions.results import services
from competitions.results.models import Appeal, AppealStatus, Result


class ResultsRefused(DomainError):
    pass


def _holds(user, role: Role, event: Event) -> bool:
    return user.is_authenticated and any(
        g.role is role and g.competition_id == event.competition_id for g in user.grants)


def can_decrypt(user, event: Event) -> bool:
    """Those who hold the blind codes: the competition's encryption officers and admins."""
    return can_see_blind_codes(user, event)


def is_arbitrator(user, event: Event) -> bool:
    return _holds(user, Role.ARBITRATOR, event)


def names_visible(event: Event) -> bool:
    """Organisers see names beside scores only once the event has been decrypted."""
    return event.decrypted_at is not None


def decrypt(actor, event: Event, now: datetime | None = None) -> None:
    """Join blind codes back to entries (blind code → check-in code → entry) after sign-off."""
    if not can_decrypt(actor, event):
        raise PermissionDenied(_l("Only the competition's encryption officer decrypts."))
    if event.stage is not EventStage.SIGNED_OFF:
        raise ResultsRefused(_l("An event is decrypted once its chief judge has signed off."))
    event.decrypted_at = now or utcnow()
    if event.notice_ends_at is None:
        event.stage = EventStage.DECRYPTED
    db.session.flush()
    record(actor, "event.decrypt", event,
           after={"entries": len(drawn_entries(event)), "stage": event.stage})
    if event.stage is EventStage.DECRYPTED:
        organisers = recipients.competition_organisers(event.competition)
        notify_many([u for u in organisers if u != actor.id], "event_ready", task="publish",
                    **event_params(event))


def publish(actor, event: Event, now: datetime | None = None) -> None:
    """Publish the results for the public notice; after an upheld appeal, this restarts it.
    The notice and the appeal window both run from now (RULES.md D: 深圳 2016 takes appeals
    for 2 hours)."""
    if not event.competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers publish results."))
    ready = event.stage is EventStage.DECRYPTED or (
        event.stage is EventStage.SIGNED_OFF and event.decrypted_at is not None)
    if not ready:
        raise ResultsRefused(_l("Results are published once the event is signed off and "
                                "decrypted."))
    now = now or utcnow()
    lines = services.compute_results(event)
    services.store_results(event, lines, now)
    version = services.current_version(event)
    restarted = event.notice_ends_at is not None
    event.notice_ends_at = now + timedelta(hours=event.competition.notice_hours)
    event.appeals_close_at = now + timedelta(hours=event.competition.appeal_hours)
    event.stage = EventStage.PUBLISHED
    db.session.flush()
    action = "results.republish" if restarted else "results.publish"
    record(actor, action, event,
           after={"entries": len(lines), "notice_ends_at": event.notice_ends_at,
                  "appeals_close_at": event.appeals_close_at, "stage": event.stage,
                  "version": version, "results": results_digest(event.id, version)})
    make_checkpoint(action, event)  # the notice prints its fingerprint
    notify_many(recipients.entrants(drawn_entries(event)), "results_published",
                **event_params(event), version=version,
                notice_ends=event.notice_ends_at.isoformat(),
                appeals_close=event.appeals_close_at.isoformat())


def in_notice(event: Event, now: datetime | None = None) -> bool:
    return (event.stage is EventStage.PUBLISHED and event.notice_ends_at is not None
            and (now or utcnow()) < event.notice_ends_at)


def appeals_open(event: Event, now: datetime | None = None) -> bool:
    """Appeals are accepted from publication until the deadline, within the notice."""
    now = now or utcnow()
    return (in_notice(event, now) and event.appeals_close_at is not None
            and now < event.appeals_close_at)


def can_appeal(user, entry: Entry) -> bool:
    """The entrant (any member of a team) or an organiser over the entrant's unit."""
    if not user.is_authenticated:
        return False
    if any(m.active and m.worker.user_id == user.id for m in entry.members):
        return True
    return user.manages(entry.unit)


def file_appeal(actor, entry: Entry, text: str, now: datetime | None = None) -> Appeal:
    event = entry.event
    if not can_appeal(actor, entry):
        raise PermissionDenied(_l("Only the entrant or their unit's organiser may appeal."))
    now = now or utcnow()
    if (event.stage is EventStage.PUBLISHED and event.appeals_close_at is not None
            and now >= event.appeals_close_at):
        raise ResultsRefused(_l("The appeal period closed on %(deadline)s.",
                                deadline=local_time(event.appeals_close_at)))
    if not appeals_open(event, now):
        raise ResultsRefused(_l("Appeals are accepted only while the results are on notice."))
    if not text or not text.strip():
        raise ResultsRefused(_l("Write the appeal: what is contested, and why."), field="text")
    appeal = Appeal(event_id=event.id, entry_id=entry.id, filed_by_id=actor.id,
                    text=text.strip())
    db.session.add(appeal)
    db.session.flush()
    record(actor, "appeal.file", appeal, after={"entry_id": entry.id})
    notify_many(recipients.competition_role(event.competition, Role.ARBITRATOR), "appeal_filed",
                appeal_id=appeal.id, notice_ends=event.notice_ends_at.isoformat(),
                **event_params(event))
    _notify_appellants(appeal, event)
    return appeal


def _notify_appellants(appeal: Appeal, event: Event) -> None:
    """Whoever filed the appeal and the entrants it is about (a unit may file for them)."""
    users = [appeal.filed_by_id, *recipients.entrants([appeal.entry])]
    notify_many(users, "appeal_status", appeal_id=appeal.id, status=appeal.status.value,
                reason=appeal.decision, **event_params(event))


def decide_appeal(actor, appeal: Appeal, *, upheld: bool, reason: str,
                  criterion: Criterion | None = None) -> None:
    """The arbitrators' final decision. Upholding reopens the event's marking for the chief
    judge's correction (of `criterion`, when the arbitrators name one); publishing again then
    restarts the notice."""
    event = db.session.get(Event, appeal.event_id)
    if not is_arbitrator(actor, event):
        raise PermissionDenied(_l("Only the competition's arbitrators decide appeals."))
    if appeal.status is not AppealStatus.OPEN:
        raise ResultsRefused(_l("This appeal has already been decided; the decision is final."))
    if not reason or not reason.strip():
        raise ResultsRefused(_l("Give the reasons for the decision."), field="reason")
    if criterion is not None and (not upheld or criterion.component.scheme.event_id != event.id):
        raise ResultsRefused(_l("Name a criterion of this event's marking scheme, and only when "
                                "upholding."), field="criterion")
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
    appeal.decision, appeal.decided_by_id, appeal.decided_at = reason.strip(), actor.id, utcnow()
    appeal.criterion_id = criterion.id if criterion is not None else None
    if upheld and event.stage in (EventStage.PUBLISHED, EventStage.SIGNED_OFF,
                                  EventStage.DECRYPTED):
        _reopen_marking(event, f"appeal {appeal.id} upheld")
    db.session.flush()
    record(actor, "appeal.uphold" if upheld else "appeal.dismiss", appeal,
           after={"stage": event.stage, "criterion": appeal.criterion_id} if upheld else None,
           reason=appeal.decision)
    _notify_appellants(appeal, event)
    if upheld:
        chiefs = [g.user_id for g in event_officials(event) if g.role is Role.CHIEF_JUDGE]
        notify_many(chiefs, "appeal_upheld", appeal_id=appeal.id,
                    blind_code=appeal.entry.blind_code,
                    criterion=f"{criterion.code} {criterion.description}" if criterion else None,
                    **event_params(event))


def _reopen_marking(event: Event, reason: str) -> None:
    signed = db.session.scalar(sa.select(SignOff).where(
        SignOff.event_id == event.id, SignOff.voided_at.is_(None)))
    if signed is not None:
        signed.voided_at, signed.void_reason = utcnow(), reason
    event.stage = EventStage.SCORING


def reopening_appeal(event: Event) -> Appeal | None:
    """The upheld appeal that sent the current published results back to marking, if an
    appeal did (rather than a formal reopening)."""
    appeal = db.session.scalar(sa.select(Appeal).where(
        Appeal.event_id == event.id, Appeal.status == AppealStatus.UPHELD)
        .order_by(Appeal.decided_at.desc()).limit(1))
    published = db.session.scalar(sa.select(sa.func.max(Result.computed_at)).where(
        Result.event_id == event.id, Result.is_current()))
    if appeal is None or published is None or appeal.decided_at < published:
        return None
    return appeal


def open_appeals(event: Event) -> int:
    return db.session.scalar(sa.select(sa.func.count(Appeal.id)).where(
        Appeal.event_id == event.id, Appeal.status == AppealStatus.OPEN))


def finalise(actor, event: Event, now: datetime | None = None):
    """Freeze the results once the notice has ended with no appeal open, and issue the
    certificates they call for (returned: certificates.services.IssueReport); when every
    event of the competition is final, so is the competition, and its winners go on
    (advancement)."""
    from competitions.certificates import services as certificates
    from competitions.promotion import eligibility as promotion
    from competitions.results import advancement, honours_rules

    if not event.competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers finalise results."))
    if event.stage is not EventStage.PUBLISHED:
        raise ResultsRefused(_l("Only published results can be finalised."))
    now = now or utcnow()
    if now < event.notice_ends_at:
        raise ResultsRefused(_l("The public notice runs until %(end)s.",
                                end=local_time(event.notice_ends_at)))
    if open_appeals(event):
        raise ResultsRefused(_l("An appeal is still open: the arbitrators decide it first."))
    event.stage, event.finalised_at = EventStage.FINAL, now
    db.session.flush()
    record(actor, "results.finalise", event, after={"stage": event.stage})
    honours_rules.recommend_titles(actor, event)
    report = certificates.issue_for_event(actor, event)
    promotion.assess_event(actor, event, now=now)
    competition = event.competition
    if all(e.stage is EventStage.FINAL for e in competition.events if e.drawn_at is not None):
        competition.state = CompetitionState.FINAL
        db.session.flush()
        record(actor, "competition.finalise", competition, after={"state": competition.state})
        advancement.advance(actor, competition)
    make_checkpoint("results.finalise", event)
    return report


def reopen_results(actor, event: Event, reason: str) -> None:
    """Formally reopen final results (with a reason) so that they can be corrected."""
    if not event.competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers reopen results."))
    if event.stage is not EventStage.FINAL:
        raise ResultsRefused(_l("Only final results are reopened."))
    if not reason or not reason.strip():
        raise ResultsRefused(_l("Give a reason; it is kept in the record."), field="reason")
    event.stage, event.finalised_at = EventStage.SIGNED_OFF, None
    db.session.flush()
    record(actor, "results.reopen", event, after={"stage": event.stage},
           reason=reason.strip())
    from competitions.certificates.services import put_under_review
    from competitions.promotion.eligibility import flag_for_review
    put_under_review(actor, event, reason.strip())
    flag_for_review(actor, event, reason.strip())
    if event.competition.state is CompetitionState.FINAL:
        event.competition.state = CompetitionState.DRAWN
        record(actor, "competition.reopen", event.competition,
               after={"state": event.competition.state}, reason=reason.strip())
