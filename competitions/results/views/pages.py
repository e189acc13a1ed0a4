"""The results pages: a competition's results settings, an event's results from sign-off to
final (decryption, publication, the notice, finalisation, reopening, titles), appeals, and the
nominations a final competition sends on.

Names appear beside scores only once the encryption officer has decrypted the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from competitions.accounts.models import Role
from competitions.certificates.models import Certificate, CertificateStatus
from competitions.certificates.services import IssueReport
from competitions.certificates.views import flash_report
from competitions.contests.access import managed_competition
from competitions.contests.models import Event, EventStage
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.forms import act, apply_error
from competitions.i18n import local_time
from competitions.judging.history import clock
from competitions.judging.models import Component, Criterion, MarkingScheme
from competitions.judging.scoring import two_places
from competitions.organisations.models import Organisation
from competitions.registration.models import (
    Entry,
    EntryMember,
    EntryStatus,
    Nomination,
    Worker,
)
from competitions.results import honours_rules, lifecycle, ranking, services
from competitions.results.award_plans import (
    AWARD_PRESETS,
    AwardConfig,
    AwardPlan,
    Decision,
    award_citation,
)
from competitions.results.awards import Award
from competitions.results.blueprint import bp
from competitions.results.forms import (
    AppealDecisionForm,
    AppealForm,
    ConfirmForm,
    TitleDecisionForm,
    title_prefix,
)
from competitions.results.models import Appeal, AppealStatus, Result, TitleAward, TitleState
from competitions.results.reopen_form import ReopenForm
from competitions.results.settings import results_made_public, save_results_settings
from competitions.results.settings_form import ResultsSettingsForm
from competitions.results.titles import TITLE_RULES

# Who may see what


def can_read_results(user, event: Event) -> bool:
    """The competition's organisers, encryption officers and arbitrators, and administrators."""
    return (event.competition.can_manage(user) or lifecycle.can_decrypt(user, event)
            or lifecycle.is_arbitrator(user, event))


def _readable_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not can_read_results(current_user, event):
        abort(403)
    return event


def _managed_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    return event


def can_read_appeal(user, appeal: Appeal, event: Event) -> bool:
    """Whoever filed it, the entrants it is about, the competition's organisers, its
    arbitrators, and the event's chief judge (who corrects the marks if it is upheld)."""
    return user.is_authenticated and (
        appeal.filed_by_id == user.id or event.competition.can_manage(user)
        or lifecycle.is_arbitrator(user, event) or is_chief_judge(user, event)
        or any(m.worker.user_id == user.id for m in appeal.entry.members))


def is_chief_judge(user, event: Event) -> bool:
    return any(g.role is Role.CHIEF_JUDGE and g.event_id == event.id for g in user.grants)


def _criteria(event: Event) -> list[Criterion]:
    return list(db.session.scalars(sa.select(Criterion).join(Component).join(MarkingScheme)
                                   .where(MarkingScheme.event_id == event.id)
                                   .order_by(Component.position, Criterion.position)))


def _decision_form(event: Event, form: AppealDecisionForm | None = None) -> AppealDecisionForm:
    form = form or AppealDecisionForm()
    form.criterion_id.choices = [("", _("Not named"))] + [
        (c.id, f"{c.code} {c.description}") for c in _criteria(event)]
    return form


def _readable_appeal(appeal_id) -> tuple[Appeal, Event]:
    appeal = db.get_or_404(Appeal, appeal_id)
    event = db.session.get(Event, appeal.event_id)
    if not can_read_appeal(current_user, appeal, event):
        abort(403)
    return appeal, event


# Acting


def _refused(form, error: DomainError) -> None:
    """Undo the attempt; a permission error becomes the 403 page, anything else a message."""
    db.session.rollback()
    if isinstance(error, PermissionDenied):
        raise error
    if form is not None:
        apply_error(form, error)
    else:
        flash(error.message, "error")


def _to_event(event: Event, anchor: str | None = None):
    return redirect(url_for("results.event", event_id=event.id, _anchor=anchor))


# The results settings (a service: it takes the actor, flushes and records, never commits)

@bp.route("/competitions/<int:competition_id>/settings", methods=["GET", "POST"])
@login_required
def settings(competition_id):
    competition = managed_competition(competition_id)
    form = ResultsSettingsForm()
    locked = results_made_public(competition)
    if not form.is_submitted():
        form.show_rules(competition.award_scheme, AwardConfig.from_json(competition.award_config),
                        competition.title_rules or [])
        form.advance_top_n.data = competition.advance_top_n
        form.show_hours("notice", competition.notice_hours)
        form.show_hours("appeal", competition.appeal_hours)
        chain = list(competition.tie_breaks or ranking.DEFAULT_CHAIN)
        for step, name in zip(form.tie_breaks, chain + [""] * len(ranking.TIE_BREAKS),
                              strict=False):
            step.data = name
    elif locked:
        flash(_("Results of this competition have been published, so its results settings "
                "can no longer change."), "error")
    elif form.validate():
        try:
            save_results_settings(
                current_user, competition, award_scheme=form.award_scheme.data,
                award_config=form.award_config, title_rules=form.chosen_title_rules,
                notice_hours=form.hours("notice"), appeal_hours=form.hours("appeal"),
                tie_breaks=form.chain, advance_top_n=form.advance_top_n.data)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Results settings saved."), "success")
            return redirect(url_for("results.settings", competition_id=competition.id))
    return render_template(
        "results/settings.html", competition=competition, form=form, locked=locked,
        award_presets=AWARD_PRESETS, title_rules=TITLE_RULES)


# An event's results


@dataclass
class ResultRow:
    """One line of the results table, from the computed results or the published snapshot."""

    rank: int
    entry: Entry
    components: list[tuple[str, Decimal]]
    penalties: Decimal
    total: Decimal
    time_used: int | None
    standardised: int
    awards: tuple[Award, ...]  # prize first, then medal
    decided_by: str | None  # the tie-break step that put it behind the line above
    decisions: tuple[Decision, ...] = ()  # the award rule steps (computed results only)


def _computed_rows(event: Event) -> tuple[list[ResultRow], AwardPlan | None]:
    ranked = services.compute_with_plan(event)
    return [ResultRow(line.rank, line.entry, line.components, line.penalties, line.total,
                      line.time_used, line.standardised, line.awards, line.decided_by,
                      line.decisions)
            for line in ranked.lines], ranked.plan


def _published_rows(event: Event) -> list[ResultRow]:
    chain = event.competition.tie_breaks or list(ranking.DEFAULT_CHAIN)
    rows, previous = [], None
    for result in services.published_results(event):
        standing = ranking.Standing(result.entry_id, result.total, result.time_used,
                                    result.practical, result.theory)
        decided = None
        if previous is not None and previous[1] != result.rank:
            decided = ranking.decided_by(previous[0], standing, chain)
        rows.append(ResultRow(
            result.rank, result.entry,
            [(name, Decimal(score)) for name, score in result.components or []],
            result.penalties, result.total, result.time_used, result.standardised,
            tuple(result.award_list), decided))
        previous = (standing, result.rank)
    return rows


def _preload_units(rows: list[ResultRow]) -> None:
    """Load every entry's unit in one query (the rows then read them from the session)."""
    unit_ids = {row.entry.unit_id for row in rows}
    if unit_ids:
        db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(unit_ids))).all()


def _result_rows(event: Event) -> tuple[list[ResultRow], str | None, AwardPlan | None]:
    """The rows to show, where they come from ("computed" or "published") and, for computed
    results, the award plan the organiser previews; none before decryption, so that nobody
    reads names beside scores before then."""
    if not lifecycle.names_visible(event):
        return [], None, None
    plan = None
    if event.stage in (EventStage.DECRYPTED, EventStage.SIGNED_OFF):
        (rows, plan), source = _computed_rows(event), "computed"
    else:
        rows, source = _published_rows(event), "published"
    _preload_units(rows)
    return rows, source, plan


@bp.route("/events/<int:event_id>")
@login_required
def event(event_id):
    event = _readable_event(event_id)
    manages = event.competition.can_manage(current_user)
    rows, source, plan = _result_rows(event)
    appeals = db.session.scalars(sa.select(Appeal).where(Appeal.event_id == event.id)
                                 .options(selectinload(Appeal.filed_by))
                                 .order_by(Appeal.filed_at.desc(), Appeal.id.desc())).all()
    title_awards = db.session.scalars(sa.select(TitleAward).where(
        TitleAward.event_id == event.id).order_by(TitleAward.rank, TitleAward.id)).all()
    return render_template(
        "results/event.html", event=event, competition=event.competition, stages=EventStage,
        rows=rows, source=source, manages=manages, plan=plan,
        award_citation=award_citation(event.competition),
        can_decrypt=lifecycle.can_decrypt(current_user, event),
        is_arbitrator=lifecycle.is_arbitrator(current_user, event),
        names_visible=lifecycle.names_visible(event), in_notice=lifecycle.in_notice(event),
        appeals_open=lifecycle.appeals_open(event),
        can_publish=event.stage is EventStage.DECRYPTED or (
            event.stage is EventStage.SIGNED_OFF and event.decrypted_at is not None),
        open_appeals=sum(a.status is AppealStatus.OPEN for a in appeals),
        appeals=appeals, title_awards=title_awards, pending=TitleState.PENDING,
        tie_break_labels={name: label for name, (_key, label) in ranking.TIE_BREAKS.items()},
        confirm=ConfirmForm(), reopen_form=ReopenForm(prefix="reopen"),
        live_certificates=_live_certificates(event) if manages else 0,
        title_form=lambda award: TitleDecisionForm(prefix=title_prefix(award.id)),
        two_places=two_places, clock=clock)


def _live_certificates(event: Event) -> int:
    """Certificates a reopening puts under review (复核中), for its confirmation."""
    if event.stage is not EventStage.FINAL:
        return 0
    return db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
        Certificate.event_id == event.id, Certificate.status == CertificateStatus.VALID))


@bp.route("/events/<int:event_id>/decrypt", methods=["POST"])
@login_required
def decrypt(event_id):
    event = _readable_event(event_id)
    if not lifecycle.can_decrypt(current_user, event):
        abort(403)
    if act(ConfirmForm(), lambda: lifecycle.decrypt(current_user, event)):
        flash(_("The event is decrypted: names now appear beside the scores."), "success")
    return _to_event(event)


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@login_required
def publish(event_id):
    event = _managed_event(event_id)
    if act(ConfirmForm(), lambda: lifecycle.publish(current_user, event)):
        flash(_("The results are published. Appeals are accepted until %(deadline)s.",
                deadline=local_time(event.appeals_close_at)), "success")
    return _to_event(event)


@bp.route("/events/<int:event_id>/finalise", methods=["POST"])
@login_required
def finalise(event_id):
    event = _managed_event(event_id)
    outcome = {}
    if act(ConfirmForm(), lambda: outcome.setdefault(
            "report", lifecycle.finalise(current_user, event))):
        flash(_("The results are final."), "success")
        flash_report(outcome["report"])
    return _to_event(event)


@bp.route("/events/<int:event_id>/reopen", methods=["POST"])
@login_required
def reopen(event_id):
    event = _managed_event(event_id)
    form = ReopenForm(prefix="reopen")
    if act(form, lambda: lifecycle.reopen_results(current_user, event, form.reason.data)):
        flash(_("The results are reopened. Publish them again once they are corrected."),
              "success")
    return _to_event(event)


@bp.route("/titles/<int:title_award_id>", methods=["POST"])
@login_required
def decide_title(title_award_id):
    award = db.get_or_404(TitleAward, title_award_id)
    event = db.session.get(Event, award.event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    form = TitleDecisionForm(prefix=title_prefix(award.id))
    outcome = {}
    if act(form, lambda: outcome.setdefault("certificate", honours_rules.decide_title(
            current_user, award, approve=form.decision.data == "approve",
            note=form.note.data))):
        flash(_("The granting body's decision is recorded."), "success")
        if outcome["certificate"] is not None:
            flash_report(IssueReport(issued=[outcome["certificate"]]))
    return _to_event(event, "titles")


# Appeals


def appealable_entries(user, event: Event) -> list[Entry]:
    """The event's drawn entries `user` may appeal for: their own, or their units' entries."""
    stmt = sa.select(Entry).where(Entry.event_id == event.id,
                                  Entry.status == EntryStatus.APPROVED,
                                  Entry.blind_code.is_not(None))
    if not user.is_admin:
        own = sa.select(EntryMember.entry_id).join(Worker).where(
            Worker.user_id == user.id, EntryMember.active)
        units = sa.select(Organisation.id).where(
            Organisation.in_any_subtree(user.organiser_paths))
        stmt = stmt.where(sa.or_(Entry.id.in_(own), Entry.unit_id.in_(units)))
    entries = db.session.scalars(stmt.order_by(Entry.entry_number, Entry.id)).all()
    return [entry for entry in entries if lifecycle.can_appeal(user, entry)]


def _entry_label(entry: Entry) -> str:
    names = "、".join(m.worker.name for m in entry.members if m.active)
    label = f"{entry.team_name}（{names}）" if entry.team_name else names
    return f"{entry.entry_number} · {label}" if entry.entry_number else label


@bp.route("/events/<int:event_id>/appeal", methods=["GET", "POST"])
@login_required
def appeal(event_id):
    event = db.get_or_404(Event, event_id)
    entries = {entry.id: entry for entry in appealable_entries(current_user, event)}
    if not entries:
        abort(403)
    form = AppealForm()
    form.entry_id.choices = [(entry.id, _entry_label(entry)) for entry in entries.values()]
    if form.validate_on_submit():
        try:
            filed = lifecycle.file_appeal(current_user, entries[form.entry_id.data],
                                          form.text.data)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Your appeal is filed. The arbitrators will decide it; their decision is "
                    "final."), "success")
            return redirect(url_for("results.appeal_detail", appeal_id=filed.id))
    filed = db.session.scalars(sa.select(Appeal).where(
        Appeal.event_id == event.id, Appeal.filed_by_id == current_user.id)
        .order_by(Appeal.filed_at.desc())).all()
    return render_template("results/appeal.html", event=event, form=form,
                           in_notice=lifecycle.in_notice(event),
                           appeals_open=lifecycle.appeals_open(event), filed=filed,
                           stages=EventStage)


def _appeal_page(appeal: Appeal, event: Event, form: AppealDecisionForm | None = None):
    can_decide = (lifecycle.is_arbitrator(current_user, event)
                  and appeal.status is AppealStatus.OPEN)
    return render_template("results/appeal_detail.html", appeal=appeal, event=event,
                           entry_label=_entry_label(appeal.entry), can_decide=can_decide,
                           form=_decision_form(event, form), statuses=AppealStatus,
                           chief_judge=is_chief_judge(current_user, event),
                           criterion=db.session.get(Criterion, appeal.criterion_id)
                           if appeal.criterion_id else None,
                           manages=event.competition.can_manage(current_user))


@bp.route("/appeals/<int:appeal_id>")
@login_required
def appeal_detail(appeal_id):
    appeal, event = _readable_appeal(appeal_id)
    return _appeal_page(appeal, event)


@bp.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
@login_required
def decide_appeal(appeal_id):
    appeal, event = _readable_appeal(appeal_id)
    if not lifecycle.is_arbitrator(current_user, event):
        abort(403)
    form = _decision_form(event)
    if form.validate_on_submit():
        upheld = form.decision.data == "upheld"
        criterion = (db.session.get(Criterion, form.criterion_id.data)
                     if form.criterion_id.data else None)
        try:
            lifecycle.decide_appeal(current_user, appeal, upheld=upheld, reason=form.reason.data,
                                    criterion=criterion)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Appeal upheld: the chief judge has been told to correct the marks; the "
                    "results are then published again and the notice restarts.") if upheld
                  else _("Appeal dismissed: the results stand."), "success")
            return redirect(url_for("results.appeal_detail", appeal_id=appeal.id))
        appeal, event = _readable_appeal(appeal_id)
    return _appeal_page(appeal, event, form)


# Nominations sent on by advancement


@dataclass
class NominationRow:
    nomination: Nomination
    source_event: Event | None
    rank: int | None


@bp.route("/competitions/<int:competition_id>/nominations")
@login_required
def nominations(competition_id):
    competition = managed_competition(competition_id)
    found = db.session.scalars(
        sa.select(Nomination).where(Nomination.source_competition_id == competition.id)
        .options(selectinload(Nomination.event).selectinload(Event.competition),
                 selectinload(Nomination.worker))
        .order_by(Nomination.event_id, Nomination.id)).all()
    sources = {(e.occupation_id, e.group): e for e in competition.events}
    ranks = {(worker_id, event_id): rank for worker_id, event_id, rank in db.session.execute(
        sa.select(EntryMember.worker_id, Entry.event_id, Result.rank)
        .join(Entry, Entry.id == Result.entry_id)
        .join(EntryMember, EntryMember.entry_id == Entry.id)
        .where(Entry.event_id.in_([e.id for e in competition.events]), Result.is_current()))}
    rows = []
    for nomination in found:
        source = sources.get((nomination.event.occupation_id, nomination.event.group))
        rank = ranks.get((nomination.worker_id, source.id)) if source else None
        rows.append(NominationRow(nomination, source, rank))
    rows.sort(key=lambda row: (row.source_event.id if row.source_event else 0,
                               row.rank or 0, row.nomination.id))
    return render_template("results/nominations.html", competition=competition, rows=rows)
