"""An event's judges: appointing them, seating the panels, and starting the marking."""

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.models import Role, RoleGrant
from competitions.accounts.services import find_user_by_username
from competitions.contests.models import Event
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import act
from competitions.judging import panels, signoff
from competitions.judging.blueprint import bp
from competitions.judging.forms import ConfirmForm
from competitions.judging.models import Criterion, MarkingScheme
from competitions.judging.panel_forms import AppointOfficialForm
from competitions.organisations.models import Organisation
from competitions.organisations.services import search_organisations


def event_for_panels(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not panels.can_manage_panels(current_user, event):
        abort(403)
    return event


def _unit_query() -> str:
    return request.args.get("unit_q", "").strip()


def _appoint_form() -> AppointOfficialForm:
    form = AppointOfficialForm()
    query = _unit_query()
    units = search_organisations(query) if query else []
    form.unit.choices = [(0, _("— as recorded on the account —"))] + [
        (org.id, org.name) for org in units]
    return form


@bp.route("/events/<int:event_id>/officials")
@login_required
def officials(event_id):
    event = event_for_panels(event_id)
    cells = panels.panel_cells(event)
    criteria = panels.judged_criteria(event)
    seats = panels.seats_by_criterion(criteria)
    judges = panels.event_judges(event)
    kept_off: dict[int, Counter] = {}  # judge id → how many entrants they are kept off, why
    for _entry, judge_id, reason in {(c.entry_id, j, r) for c in cells
                                     for j, r in c.excluded.items()}:
        kept_off.setdefault(judge_id, Counter())[reason] += 1
    scheme = db.session.scalar(db.select(MarkingScheme).where(MarkingScheme.event_id == event.id))
    return render_template(
        "judging/officials.html", event=event, officials=panels.event_officials(event),
        judges=judges, criteria=criteria, seats=seats, gaps=panels.staffing_gaps(cells),
        kept_off=kept_off, reasons=panels.EXCLUSION_REASONS, appoint=_appoint_form(),
        unit_q=_unit_query(), scheme=scheme,
        can_appoint=event.competition.can_manage(current_user),
        entries=len({cell.entry_id for cell in cells}))


@bp.route("/events/<int:event_id>/officials", methods=["POST"])
@login_required
def appoint_official(event_id):
    event = event_for_panels(event_id)
    form = _appoint_form()
    if form.validate_on_submit():
        user = find_user_by_username(form.username.data)
        unit = db.session.get(Organisation, form.unit.data) if form.unit.data else None
        if user is None:
            flash(_("There is no account with the username %(name)s.",
                    name=form.username.data), "error")
        else:
            try:
                panels.appoint_official(current_user, event, user, Role(form.role.data), unit)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                db.session.commit()
                flash(_("%(name)s appointed.", name=user.display_name), "success")
    else:
        flash(_("Enter the username and choose the role."), "error")
    return redirect(url_for("judging.officials", event_id=event.id))


@bp.route("/events/<int:event_id>/officials/<int:grant_id>/remove", methods=["POST"])
@login_required
def remove_official(event_id, grant_id):
    event = event_for_panels(event_id)
    grant = db.get_or_404(RoleGrant, grant_id)
    if grant.event_id != event.id:
        abort(404)
    if act(ConfirmForm(), lambda: panels.remove_official(current_user, grant)):
        flash(_("Appointment revoked."), "success")
    return redirect(url_for("judging.officials", event_id=event.id))


@bp.route("/events/<int:event_id>/criteria/<int:criterion_id>/panel", methods=["POST"])
@login_required
def set_panel(event_id, criterion_id):
    event = event_for_panels(event_id)
    criterion = db.get_or_404(Criterion, criterion_id)
    if criterion.component.scheme.event_id != event.id or not criterion.is_marked_by_judges:
        abort(404)
    appointed = {str(judge.id): judge for judge in panels.event_judges(event)}
    seats = [request.form.get(f"seat-{n}", "") for n in range(1, len(appointed) + 1)]
    if any(seat and seat not in appointed for seat in seats):
        flash(_("Choose the panel from the event's judges."), "error")
    elif act(ConfirmForm(), lambda: panels.set_panel(
            current_user, criterion, [appointed[seat] for seat in seats if seat])):
        flash(_("Panel for %(code)s saved.", code=criterion.code), "success")
    return redirect(url_for("judging.officials", event_id=event.id) + f"#panel-{criterion.id}")


@bp.route("/events/<int:event_id>/start", methods=["POST"])
@login_required
def start_marking(event_id):
    event = event_for_panels(event_id)
    if act(ConfirmForm(), lambda: signoff.start_marking(current_user, event)):
        flash(_("Marking has started; the scheme is locked."), "success")
    return redirect(url_for("judging.officials", event_id=event.id))
