"""The chief judge's pages: completeness and spread before sign-off, corrections, time used and
penalties, sign-off and reopening, and an entry's mark history.

Entries appear by blind code only. Administrators read these pages but act on nothing; the
competition's organisers and judges do not see them at all (no marks before the results).
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.models import User
from competitions.contests.models import Event, EventStage
from competitions.errors import NotFound
from competitions.extensions import db
from competitions.forms import act
from competitions.judging import flags, marking, panels, signoff
from competitions.judging.blueprint import bp
from competitions.judging.forms import ConfirmForm
from competitions.judging.history import clock, history_line
from competitions.judging.models import (
    Criterion,
    CriterionKind,
    ImportedMark,
    MarkingScheme,
    Penalty,
    ScoreSheet,
    Timing,
)
from competitions.judging.scoring import two_places
from competitions.judging.signoff_forms import (
    AcceptFlagForm,
    CorrectMarkForm,
    PenaltyForm,
    ReasonForm,
    TimeUsedForm,
    flag_prefix,
    imported_prefix,
    mark_prefix,
    return_prefix,
    withdraw_prefix,
)
from competitions.registration.models import Entry

# Who may see what


def _readable_event(event_id) -> tuple[Event, bool]:
    """The event and whether the user may act on it: the chief judge acts, admins read."""
    event = db.get_or_404(Event, event_id)
    can_act = panels.is_chief_judge(current_user, event)
    if not (can_act or current_user.is_admin):
        abort(403)
    return event, can_act


def _chief_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not panels.is_chief_judge(current_user, event):
        abort(403)
    return event


def _entry(event: Event, blind_code: str) -> Entry:
    try:
        return signoff.entry_by_code(event, blind_code)
    except NotFound:
        abort(404)


def _sheet(event: Event, sheet_id: int) -> ScoreSheet:
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    if sheet.event_id != event.id:
        abort(404)
    return sheet


def _criterion(event: Event, criterion_id: int, *, imported: bool) -> Criterion:
    criterion = db.get_or_404(Criterion, criterion_id)
    if (criterion.component.scheme.event_id != event.id
            or (criterion.kind is CriterionKind.IMPORTED) is not imported):
        abort(404)
    return criterion


def _penalty(event: Event, penalty_id: int) -> Penalty:
    penalty = db.get_or_404(Penalty, penalty_id)
    if penalty.event_id != event.id:
        abort(404)
    return penalty


def _users(ids) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _scheme(event: Event) -> MarkingScheme | None:
    return db.session.scalar(sa.select(MarkingScheme).where(MarkingScheme.event_id == event.id))


# After a post


def _entry_url(event: Event, entry_id: int, anchor: str | None = None) -> str:
    code = db.session.scalar(sa.select(Entry.blind_code).where(Entry.id == entry_id))
    return url_for("judging.entry", event_id=event.id, blind_code=code, _anchor=anchor)


# The overview


@bp.route("/events/<int:event_id>/overview")
@login_required
def overview(event_id):
    event, can_act = _readable_event(event_id)
    state = signoff.overview(event)
    criteria = [c for component in (state.scheme.components if state.scheme else [])
                for c in component.criteria if c.is_marked_by_judges]
    flagged, gaps = state.flags, state.gaps
    judges = _users(j for cell in [*(f.cell for f in flagged), *gaps]
                    for j in [*cell.panel, *cell.excluded])
    return render_template(
        "judging/overview.html", event=event, state=state, criteria=criteria,
        flagged=flagged, unresolved=[f for f in flagged if not f.is_resolved], gaps=gaps,
        accept_form=lambda flag: AcceptFlagForm(
            prefix=flag_prefix(flag.cell.entry_id, flag.cell.criterion.id)),
        flagged_keys={(f.cell.entry_id, f.cell.criterion.id) for f in flagged}, judges=judges,
        reasons=panels.EXCLUSION_REASONS, can_act=can_act,
        stages=EventStage, confirm=ConfirmForm(), reopen_form=ReasonForm(prefix="reopen"),
        two_places=two_places, clock=clock)


@bp.route("/events/<int:event_id>/sign-off", methods=["POST"])
@login_required
def sign_off(event_id):
    event = _chief_event(event_id)
    if act(ConfirmForm(), lambda: signoff.sign_off(current_user, event)):
        flash(_("The event is signed off; its marks are frozen."), "success")
    return redirect(url_for("judging.overview", event_id=event.id))


@bp.route("/events/<int:event_id>/entries/<blind_code>/flags/<int:criterion_id>/accept",
          methods=["POST"])
@login_required
def accept_flag(event_id, blind_code, criterion_id):
    event = _chief_event(event_id)
    entry = _entry(event, blind_code)
    criterion = _criterion(event, criterion_id, imported=False)
    form = AcceptFlagForm(prefix=flag_prefix(entry.id, criterion.id))
    if act(form, lambda: flags.accept_flag(current_user, event, entry, criterion,
                                            form.note.data)):
        flash(_("%(code)s %(criterion)s: the panel's marks stand, with your note.",
                code=entry.blind_code, criterion=criterion.code), "success")
    return redirect(url_for("judging.overview", event_id=event.id, _anchor="for-discussion"))


@bp.route("/events/<int:event_id>/reopen", methods=["POST"])
@login_required
def reopen(event_id):
    event = _chief_event(event_id)
    form = ReasonForm(prefix="reopen")
    if act(form, lambda: signoff.reopen(current_user, event, form.reason.data)):
        flash(_("The event is reopened for correction; sign it off again when the marks "
                "are right."), "success")
    return redirect(url_for("judging.overview", event_id=event.id))


# One entry


@dataclass
class JudgeLine:
    """One judge's line in a criterion's panel."""

    judge: User
    sheet: ScoreSheet | None
    mark: Decimal | None
    counted: bool  # seated on this entry's panel (not excluded, not a spare reserve)
    excluded: str | None = None  # the reason key, when the judge is kept off


@dataclass
class CriterionPanel:
    cell: panels.PanelCell
    lines: list[JudgeLine] = field(default_factory=list)


def _panels(cells, sheets: list[ScoreSheet]) -> list[CriterionPanel]:
    by_judge = {sheet.judge_id: sheet for sheet in sheets}
    judges = _users({j for c in cells for j in [*c.panel, *c.excluded]} | set(by_judge))
    result = []
    for cell in cells:
        lines = []
        marked = [j for j, s in by_judge.items()
                  if any(m.criterion_id == cell.criterion.id for m in s.marks)]
        for judge_id in [*cell.panel, *(j for j in marked if j not in cell.panel)]:
            sheet = by_judge.get(judge_id)
            mark = next((m.value for m in (sheet.marks if sheet else [])
                         if m.criterion_id == cell.criterion.id), None)
            lines.append(JudgeLine(judges[judge_id], sheet, mark, judge_id in cell.panel,
                                   cell.excluded.get(judge_id)))
        lines += [JudgeLine(judges[j], None, None, False, reason)
                  for j, reason in cell.excluded.items() if j not in marked]
        result.append(CriterionPanel(cell, lines))
    return result


@bp.route("/events/<int:event_id>/entries/<blind_code>")
@login_required
def entry(event_id, blind_code):
    event, can_act = _readable_event(event_id)
    entry = _entry(event, blind_code)
    scheme = _scheme(event)
    sheets = signoff.sheets_of_entry(event, entry)
    imported = {m.criterion_id: m for m in db.session.scalars(
        sa.select(ImportedMark).where(ImportedMark.entry_id == entry.id))}
    timing = db.session.scalar(sa.select(Timing).where(Timing.entry_id == entry.id))
    penalties = list(db.session.scalars(sa.select(Penalty).where(
        Penalty.entry_id == entry.id).order_by(Penalty.id)))
    components = scheme.components if scheme else []
    penalty_form = PenaltyForm(prefix="penalty")
    penalty_form.component_id.choices = [(c.id, c.name) for c in components]
    return render_template(
        "judging/entry.html", event=event, blind_code=entry.blind_code, can_act=can_act,
        is_open=event.stage is EventStage.SCORING, stages=EventStage,
        panels=_panels(panels.panel_cells(event, [entry]), sheets), sheets=sheets,
        imported_criteria=[c for comp in components for c in comp.criteria
                           if not c.is_marked_by_judges],
        codes={c.id: c.code for comp in components for c in comp.criteria},
        imported=imported, timing=timing, penalties=penalties,
        recorders=_users(p.recorded_by_id for p in penalties if p.recorded_by_id),
        reasons=panels.EXCLUSION_REASONS, two_places=two_places, clock=clock,
        time_form=TimeUsedForm(prefix="time"), penalty_form=penalty_form,
        return_form=lambda sheet: ReasonForm(prefix=return_prefix(sheet.id)),
        mark_form=lambda sheet, criterion: CorrectMarkForm(
            prefix=mark_prefix(sheet.id, criterion.id)),
        imported_form=lambda criterion: CorrectMarkForm(prefix=imported_prefix(criterion.id)),
        withdraw_form=lambda penalty: ReasonForm(prefix=withdraw_prefix(penalty.id)))


@bp.route("/events/<int:event_id>/sheets/<int:sheet_id>/return", methods=["POST"])
@login_required
def return_sheet(event_id, sheet_id):
    event = _chief_event(event_id)
    sheet = _sheet(event, sheet_id)
    form = ReasonForm(prefix=return_prefix(sheet.id))
    judge = sheet.judge.display_name
    if act(form, lambda: marking.return_sheet(current_user, sheet, form.reason.data)):
        flash(_("The sheet is back with %(judge)s, who has been told why.", judge=judge),
              "success")
    return redirect(_entry_url(event, sheet.entry_id, "sheets"))


@bp.route("/events/<int:event_id>/sheets/<int:sheet_id>/criteria/<int:criterion_id>",
          methods=["POST"])
@login_required
def correct_mark(event_id, sheet_id, criterion_id):
    event = _chief_event(event_id)
    sheet = _sheet(event, sheet_id)
    criterion = _criterion(event, criterion_id, imported=False)
    form = CorrectMarkForm(prefix=mark_prefix(sheet.id, criterion.id))
    if act(form, lambda: marking.correct_mark(current_user, sheet, criterion,
                                               form.value.data, form.reason.data)):
        flash(_("Mark %(code)s corrected.", code=criterion.code), "success")
    return redirect(_entry_url(event, sheet.entry_id, f"criterion-{criterion.id}"))


@bp.route("/events/<int:event_id>/entries/<blind_code>/imported/<int:criterion_id>",
          methods=["POST"])
@login_required
def correct_imported(event_id, blind_code, criterion_id):
    event = _chief_event(event_id)
    entry = _entry(event, blind_code)
    criterion = _criterion(event, criterion_id, imported=True)
    form = CorrectMarkForm(prefix=imported_prefix(criterion.id))
    if act(form, lambda: signoff.correct_imported_mark(
            current_user, event, entry, criterion, form.value.data, form.reason.data)):
        flash(_("Imported score %(code)s corrected.", code=criterion.code), "success")
    return redirect(_entry_url(event, entry.id, "imported"))


@bp.route("/events/<int:event_id>/entries/<blind_code>/time", methods=["POST"])
@login_required
def record_time(event_id, blind_code):
    event = _chief_event(event_id)
    entry = _entry(event, blind_code)
    form = TimeUsedForm(prefix="time")
    if act(form, lambda: signoff.record_time(current_user, event, entry, form.total_seconds)):
        flash(_("Time used recorded: %(time)s.", time=clock(form.total_seconds)), "success")
    return redirect(_entry_url(event, entry.id, "time"))


@bp.route("/events/<int:event_id>/entries/<blind_code>/penalties", methods=["POST"])
@login_required
def add_penalty(event_id, blind_code):
    event = _chief_event(event_id)
    entry = _entry(event, blind_code)
    scheme = _scheme(event)
    components = {c.id: c for c in (scheme.components if scheme else [])}
    form = PenaltyForm(prefix="penalty")
    form.component_id.choices = [(c.id, c.name) for c in components.values()]
    if act(form, lambda: signoff.add_penalty(
            current_user, event, entry, components[form.component_id.data], form.points.data,
            form.reason.data)):
        flash(_("Penalty added."), "success")
    return redirect(_entry_url(event, entry.id, "penalties"))


@bp.route("/events/<int:event_id>/penalties/<int:penalty_id>/withdraw", methods=["POST"])
@login_required
def withdraw_penalty(event_id, penalty_id):
    event = _chief_event(event_id)
    penalty = _penalty(event, penalty_id)
    form = ReasonForm(prefix=withdraw_prefix(penalty.id))
    if act(form, lambda: signoff.withdraw_penalty(current_user, penalty, form.reason.data)):
        flash(_("Penalty withdrawn."), "success")
    return redirect(_entry_url(event, penalty.entry_id, "penalties"))


# The history


@bp.route("/events/<int:event_id>/entries/<blind_code>/history")
@login_required
def history(event_id, blind_code):
    event = db.get_or_404(Event, event_id)
    if not signoff.can_read_history(current_user, event):
        abort(403)
    entry = _entry(event, blind_code)
    recorded = signoff.mark_history(entry)
    penalties = {p.id: p for p in db.session.scalars(sa.select(Penalty).where(
        Penalty.entry_id == entry.id))}
    return render_template(
        "judging/history.html", event=event, blind_code=entry.blind_code,
        lines=[history_line(a, penalties) for a in recorded])
