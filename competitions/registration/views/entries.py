"""Entries: open events and self-registration, my entries, and the organisers' entry lists."""

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from competitions.contests.models import Competition, Event
from competitions.contests.services import open_competitions
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error, is_safe_next
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.pagination import paginate
from competitions.registration import entries
from competitions.registration.blueprint import bp
from competitions.registration.forms import (
    RejectForm,
    TeamEntryForm,
    WithdrawForm,
    WorkerChoiceForm,
)
from competitions.registration.models import Entry, EntryMember, EntryStatus, Nomination, Worker
from competitions.registration.services import workers_query
from competitions.results import lifecycle
from competitions.results.exports import is_under_review
from competitions.results.honours import HonourTitle
from competitions.results.models import Result

SEARCH_LIMIT = 20


def _ancestor_paths(path: str) -> list[str]:
    """"/1/7/42/" → ["/1/", "/1/7/", "/1/7/42/"]."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def _area_condition(user):
    """Competitions whose area holds the user's employer or a unit the user organises."""
    paths = list(user.organiser_paths) + ([user.worker.employer.path] if user.worker else [])
    ancestors = {a for path in paths for a in _ancestor_paths(path)}
    return sa.or_(Organisation.path.in_(ancestors),
                  Organisation.in_any_subtree(user.organiser_paths))


def _back(default: str):
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


def _event_url(event: Event) -> str:
    return url_for("registration.event_entries", event_id=event.id)


@bp.route("/open")
@login_required
def open_events():
    stmt = open_competitions().options(selectinload(Competition.events))
    if not current_user.is_admin:
        stmt = stmt.join(Competition.organiser).where(_area_condition(current_user))
    page = paginate(stmt)
    worker, now = current_user.worker, utcnow()
    events = [e for c in page.items if c.starts_on for e in c.events]
    eligibility, entered, left = {}, {}, {}
    if worker is not None and events:
        eligibility = entries.eligibility_table([worker], events)
        left = entries.places_left(worker, events)
        entered = {e.event_id: e for e in db.session.scalars(
            sa.select(Entry).join(EntryMember).where(
                EntryMember.worker_id == worker.id, EntryMember.active,
                Entry.event_id.in_([e.id for e in events])))}
    return render_template("registration/entries/open.html", page=page, worker=worker,
                           eligibility=eligibility, entered=entered, places_left=left,
                           now=now,
                           honour_title=HonourTitle,
                           can_view_entries=entries.can_view_entries)


@bp.route("/events/<int:event_id>/enter", methods=["POST"])
@login_required
def register_self(event_id):
    event = db.get_or_404(Event, event_id)
    if current_user.worker is None:
        abort(403)
    try:
        entries.register(current_user, event, [current_user.worker])
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("registration.open_events"))
    # Worded before the commit, which would expire the event and reload it for its name.
    done = _("You are registered for %(event)s. Your unit will now endorse the entry.",
             event=event.name)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("registration.my_entries"))


@bp.route("/entries")
@login_required
def my_entries():
    worker = current_user.worker
    if worker is None:
        return render_template("registration/no_profile.html"), 404
    rows = db.session.scalars(
        sa.select(Entry).join(EntryMember).where(EntryMember.worker_id == worker.id)
        .options(selectinload(Entry.event).selectinload(Event.competition))
        .order_by(Entry.id.desc())).all()
    nominations = db.session.scalars(
        sa.select(Nomination).where(Nomination.worker_id == worker.id)
        .options(selectinload(Nomination.event).selectinload(Event.competition))
        .order_by(Nomination.id.desc())).all()
    results = {r.entry_id: r for r in db.session.scalars(
        sa.select(Result).where(Result.entry_id.in_([e.id for e in rows]),
                                 Result.is_current()))}
    return render_template("registration/entries/mine.html", rows=rows,
                           can_withdraw=entries.can_withdraw, nominations=nominations,
                           results=results, in_notice=lifecycle.in_notice,
                           appeals_open=lifecycle.appeals_open, under_review=is_under_review)


def _event_page(event: Event, team_form: TeamEntryForm | None = None):
    """The event's entries as `current_user` may see them, with the forms they may use."""
    stmt = entries.event_entries_query(current_user, event)
    counts = dict(db.session.execute(
        stmt.with_only_columns(Entry.status, sa.func.count(Entry.id)).group_by(Entry.status)
    ).tuples().all())
    status = request.args.get("status")
    status = status if status in {s.value for s in EntryStatus} else None
    if status:
        stmt = stmt.where(Entry.status == EntryStatus(status))
    page = paginate(stmt.options(selectinload(Entry.unit)).order_by(Entry.id))
    is_open = event.competition.is_registration_open(utcnow())
    query, found = request.args.get("q", "").strip(), []
    if query and is_open:
        found = db.session.scalars(workers_query(current_user, query).where(
            Organisation.in_subtree(event.competition.organiser.path)).limit(SEARCH_LIMIT)).all()
    return render_template(
        "registration/entries/event.html", event=event, competition=event.competition,
        page=page, counts=counts, status=status, statuses=list(EntryStatus),
        manage=event.competition.can_manage(current_user), is_open=is_open, query=query,
        found=found, refusals=entries.eligibility_table(found, [event]) if found else {},
        entered_ids=set(db.session.scalars(sa.select(EntryMember.worker_id).where(
            EntryMember.event_id == event.id, EntryMember.active,
            EntryMember.worker_id.in_([w.id for w in found])))) if found else set(),
        nominations=db.session.scalars(
            entries.event_nominations_query(current_user, event).limit(500)).all(),
        team_form=team_form or TeamEntryForm(), honour_title=HonourTitle,
        endorsed=counts.get(EntryStatus.PENDING_APPROVAL, 0),
        here=url_for("registration.event_entries", event_id=event.id, status=status,
                     q=query or None, page=request.args.get("page", type=int)),
        can_endorse=entries.can_endorse, can_withdraw=entries.can_withdraw)


def _viewable_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not entries.can_view_entries(current_user, event):
        abort(403)
    return event


@bp.route("/events/<int:event_id>/entries")
@login_required
def event_entries(event_id):
    return _event_page(_viewable_event(event_id))


def _chosen_worker() -> tuple[Worker, str | None]:
    form = WorkerChoiceForm()
    # ASCII digits only: "①".isdigit() is true, and int() then fails.
    if not form.validate_on_submit() or not re.fullmatch(r"[0-9]{1,9}", form.worker_id.data):
        abort(400)
    worker = db.get_or_404(Worker, int(form.worker_id.data))
    if not worker.can_edit(current_user):
        abort(403)
    return worker, form.note.data


def _run(action, success: str) -> bool:
    """Call a service; commit and flash `success`, or roll back and flash the refusal."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@login_required
def register_worker(event_id):
    event = _viewable_event(event_id)
    worker, _note = _chosen_worker()
    _run(lambda: entries.register(current_user, event, [worker]),
         _("%(name)s is registered for %(event)s.", name=worker.name, event=event.name))
    return _back(_event_url(event))


@bp.route("/events/<int:event_id>/nominate", methods=["POST"])
@login_required
def nominate_worker(event_id):
    event = _viewable_event(event_id)
    worker, note = _chosen_worker()
    _run(lambda: entries.nominate(current_user, event, worker, note),
         _("%(name)s is nominated for %(event)s.", name=worker.name, event=event.name))
    return _back(_event_url(event))


@bp.route("/nominations/<int:nomination_id>/withdraw", methods=["POST"])
@login_required
def withdraw_nomination(nomination_id):
    nomination = db.get_or_404(Nomination, nomination_id)
    event, worker = nomination.event, nomination.worker
    if not worker.can_edit(current_user):
        abort(403)
    _run(lambda: entries.withdraw_nomination(current_user, nomination),
         _("The nomination of %(name)s has been withdrawn.", name=worker.name))
    return _back(_event_url(event))


def _team_members(form: TeamEntryForm) -> list[Worker]:
    """The workers named by ID number, leader first, among the units the user organises."""
    numbers = form.id_numbers()
    found = {w.id_number: w for w in db.session.scalars(
        workers_query(current_user).where(Worker.id_number.in_(numbers)))}
    missing = [number for number in numbers if number not in found]
    if missing:
        raise entries.RegistrationRefused(_l(
            "No worker of your units has the ID card number %(number)s.",
            number="、".join(missing)), rule="team", field="members")
    return [found[number] for number in numbers]


@bp.route("/events/<int:event_id>/team", methods=["POST"])
@login_required
def register_team(event_id):
    event = _viewable_event(event_id)
    form = TeamEntryForm()
    if form.validate_on_submit():
        try:
            entry = entries.register(current_user, event, _team_members(form),
                                     team_name=form.team_name.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Team %(name)s is registered for %(event)s.", name=entry.team_name,
                    event=event.name), "success")
            return redirect(_event_url(event))
    return _event_page(event, team_form=form)


def _entry_for(entry_id, allowed) -> Entry:
    entry = db.get_or_404(Entry, entry_id)
    if not allowed(current_user, entry):
        abort(403)
    return entry


@bp.route("/entries/<int:entry_id>/endorse", methods=["POST"])
@login_required
def endorse_entry(entry_id):
    entry = _entry_for(entry_id, entries.can_endorse)
    _run(lambda: entries.endorse(current_user, entry),
         _("The entry of %(name)s is endorsed.", name=entry.display_name))
    return _back(_event_url(entry.event))


@bp.route("/entries/<int:entry_id>/approve", methods=["POST"])
@login_required
def approve_entry(entry_id):
    entry = _entry_for(entry_id, entries.can_decide)
    _run(lambda: entries.decide(current_user, entry, approve=True),
         _("The entry of %(name)s is approved.", name=entry.display_name))
    return _back(_event_url(entry.event))


@bp.route("/entries/<int:entry_id>/reject", methods=["GET", "POST"])
@login_required
def reject_entry(entry_id):
    entry = _entry_for(entry_id, entries.can_decide)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            entries.decide(current_user, entry, approve=False, reason=form.reason.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The entry of %(name)s is rejected.", name=entry.display_name), "success")
            return _back(_event_url(entry.event))
    return render_template("registration/entries/reject.html", entry=entry, form=form)


@bp.route("/events/<int:event_id>/approve-endorsed", methods=["POST"])
@login_required
def approve_endorsed(event_id):
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    try:
        approved = entries.approve_endorsed(current_user, event)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Entries approved: %(n)d.", n=len(approved)), "success")
    return _back(_event_url(event))


@bp.route("/entries/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw_entry(entry_id):
    entry = _entry_for(entry_id, entries.can_withdraw)
    form = WithdrawForm()
    form.validate_on_submit()
    _run(lambda: entries.withdraw(current_user, entry, reason=form.reason.data or None),
         _("The entry of %(name)s is withdrawn.", name=entry.display_name))
    own = any(m.worker.user_id == current_user.id for m in entry.members)
    return _back(url_for("registration.my_entries") if own else _event_url(entry.event))
