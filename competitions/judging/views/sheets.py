"""The judge's side: their events, their entries by blind code, and the score sheet.

Nothing rendered here may name an entrant: judges know entries only by blind code.
"""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from competitions.accounts.models import Role, RoleGrant
from competitions.contests.models import Event, EventStage
from competitions.errors import DomainError, NotFound, PermissionDenied
from competitions.extensions import db
from competitions.judging import marking, panels, signoff
from competitions.judging.blueprint import bp
from competitions.judging.panel_forms import DeclareConflictForm, SheetForm

JUDGING_ROLES = (Role.JUDGE, Role.CHIEF_JUDGE)


@bp.route("/")
@login_required
def index():
    """The events the user judges or leads."""
    grants = db.session.scalars(sa.select(RoleGrant).where(
        RoleGrant.user_id == current_user.id, RoleGrant.role.in_(JUDGING_ROLES))
        .order_by(RoleGrant.event_id.desc())).all()
    if not grants:
        abort(403)
    events = {e.id: e for e in db.session.scalars(
        sa.select(Event).where(Event.id.in_([g.event_id for g in grants]))
        .options(selectinload(Event.competition)))}
    return render_template("judging/index.html",
                           appointments=[(g.role, events[g.event_id]) for g in grants])


def _event_for_judge(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not panels.is_judge(current_user, event):
        abort(403)
    return event


@bp.route("/events/<int:event_id>/sheets")
@login_required
def my_sheets(event_id):
    event = _event_for_judge(event_id)
    work = marking.judge_work(current_user, event)
    return render_template("judging/my_sheets.html", event=event, work=work,
                           done=sum(1 for w in work if w.is_submitted))


def _parse_marks(criteria) -> tuple[dict, dict, dict]:
    """The posted marks as Decimals (blank → None), the raw text, and per-field errors."""
    values, raw, errors = {}, {}, {}
    for criterion in criteria:
        text = request.form.get(f"mark-{criterion.id}", "").strip()
        raw[criterion.id] = text
        if not text:
            values[criterion.id] = None
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            errors[criterion.id] = _("Enter a number, such as 12.5.")
        else:
            values[criterion.id] = value
    return values, raw, errors


def _render_sheet(work, form, *, raw=None, errors=None, status=200, stale=None):
    conflict_form = DeclareConflictForm()
    shown = raw if raw is not None else {
        c.id: marking.format_mark(work.values.get(c.id)) or "" for c in work.criteria}
    return render_template("judging/score_sheet.html", event=work.event, work=work,
                           form=form, conflict_form=conflict_form, shown=shown,
                           errors=errors or {}, stale=stale,
                           open=work.event.stage is EventStage.SCORING), status


@bp.route("/events/<int:event_id>/sheets/<blind_code>", methods=["GET", "POST"])
@login_required
def score_sheet(event_id, blind_code):
    event = _event_for_judge(event_id)
    try:
        work = marking.open_sheet(current_user, event, blind_code)
    except NotFound:
        abort(404)
    form = SheetForm()
    if request.method == "GET":
        form.version.data = work.version
        return _render_sheet(work, form)
    if not form.validate_on_submit():
        abort(400)
    values, raw, errors = _parse_marks(work.criteria)
    if errors:
        return _render_sheet(work, form, raw=raw, errors=errors, status=422)
    submit = request.form.get("action") == "submit"
    try:
        marking.save_sheet(current_user, event, blind_code, values,
                           version=form.version.data, submit=submit, work=work)
    except marking.SheetInvalid as invalid:
        db.session.rollback()
        flash(invalid.message, "error")
        return _render_sheet(work, form, raw=raw, errors=invalid.errors, status=422)
    except (marking.StaleSheet, marking.SheetLocked, marking.MarkingClosed) as refused:
        db.session.rollback()
        flash(refused.message, "error")
        work = marking.open_sheet(current_user, event, blind_code)
        form.version.data = work.version
        return _render_sheet(work, form, stale=raw, status=409)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    if submit:
        # Found before the commit, while the event and the judge are still loaded: this
        # transaction already sees the sheet just submitted.
        onwards = _next_sheet_url(event, blind_code, work.setting)
        db.session.commit()
        flash(_("Sheet %(code)s submitted.", code=blind_code), "success")
        return redirect(onwards, code=303)
    db.session.commit()
    flash(_("Draft saved."), "success")
    return redirect(url_for("judging.score_sheet", event_id=event.id, blind_code=blind_code),
                    code=303)


@bp.route("/events/<int:event_id>/sheets/next")
@login_required
def next_sheet(event_id):
    """On to the judge's next sheet still to submit after `after` (a submit goes there
    directly; this is where marking starts or resumes)."""
    event = _event_for_judge(event_id)
    return redirect(_next_sheet_url(event, request.args.get("after", "")), code=303)


def _next_sheet_url(event: Event, after: str, setting=None) -> str:
    """The judge's next sheet still to submit (in blind-code order, wrapping round), so that
    marking goes on from the keyboard; the list once every sheet is in."""
    code = marking.next_to_submit(current_user, event, after, setting=setting)
    if code is None:
        return url_for("judging.my_sheets", event_id=event.id)
    return url_for("judging.score_sheet", event_id=event.id, blind_code=code)


@bp.route("/events/<int:event_id>/sheets/<blind_code>/conflict", methods=["POST"])
@login_required
def declare_conflict(event_id, blind_code):
    event = _event_for_judge(event_id)
    try:
        marking.open_sheet(current_user, event, blind_code)
    except NotFound:
        abort(404)
    form = DeclareConflictForm()
    if not form.validate_on_submit():
        flash(_("Say why you cannot mark this entrant."), "error")
        return redirect(url_for("judging.score_sheet", event_id=event.id,
                                blind_code=blind_code), code=303)
    try:
        panels.declare_conflict(current_user, event, signoff.entry_by_code(event, blind_code),
                                form.reason.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("judging.score_sheet", event_id=event.id,
                                blind_code=blind_code), code=303)
    db.session.commit()
    flash(_("Conflict declared: another judge will mark %(code)s.", code=blind_code), "success")
    return redirect(url_for("judging.my_sheets", event_id=event.id), code=303)
