"""Competitions and events: organisers create, configure and move them through their stages."""

import json
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy.orm import selectinload

from competitions.accounts.models import Role, RoleGrant
from competitions.accounts.permissions import organiser_required
from competitions.accounts.services import find_user_by_username, grant_role
from competitions.contests import services, status
from competitions.contests.forms import (
    AppointForm,
    CompetitionForm,
    EventForm,
    StageChangeForm,
)
from competitions.contests.models import Competition, CompetitionState, Event
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import act, apply_error
from competitions.organisations.models import Organisation, OrgKind
from competitions.pagination import paginate
from competitions.promotion.models import Occupation
from competitions.registration.entries import entry_counts

bp = Blueprint("contests", __name__, url_prefix="/contests")
bp.add_app_template_global(status.event_status_label)
bp.add_app_template_global(status.competition_status_label)

COMPETITION_ROLES = (Role.ENCRYPTION_OFFICER, Role.ARBITRATOR, Role.HR_OFFICER)


def _competition_or_403(competition_id) -> Competition:
    competition = db.get_or_404(Competition, competition_id)
    if not competition.can_manage(current_user):
        abort(403)
    return competition


def _organisers() -> list[Organisation]:
    """The organisations the user may create a competition for."""
    if current_user.is_admin:
        return list(db.session.scalars(sa.select(Organisation).where(
            Organisation.kind.in_([k for k in OrgKind if not k.employs_workers]))
            .order_by(Organisation.path).limit(500)))
    return [g.organisation for g in current_user.grants
            if g.role is Role.ORGANISER and g.organisation is not None]


def _offer_organisers(form: CompetitionForm, organisers: list[Organisation]) -> None:
    """The organiser choices, each with its tier for static/js/app.js to follow."""
    form.organiser_id.choices = [(org.id, f"{org.name}（{org.tier.label}）")
                                 for org in organisers]
    form.organiser_id.render_kw = {"data-tiers": json.dumps(
        {str(org.id): org.tier.value for org in organisers}), "data-tier-field": form.tier.id}


def _feeds_choices(exclude: Competition | None = None):
    stmt = sa.select(Competition).where(Competition.state.not_in(
        [CompetitionState.FINAL, CompetitionState.ARCHIVED])).order_by(Competition.year.desc())
    rows = [c for c in db.session.scalars(stmt.limit(200)) if c is not exclude]
    return [(0, _("None"))] + [(c.id, f"{c.name}（{c.tier.label}）") for c in rows]


LOCAL_TIMES = ("registration_opens_at", "registration_closes_at")


def _local(moment: datetime) -> datetime:
    """A stored (naive UTC) moment as a datetime-local field shows it: local, naive."""
    return to_user_timezone(moment).replace(tzinfo=None)


def _competition_values(form: CompetitionForm) -> dict:
    """The form's values; its date-times are local (Asia/Shanghai) and are stored in UTC."""
    values = {name: getattr(form, name).data for name in services.COMPETITION_FIELDS}
    for name in LOCAL_TIMES:
        if values[name] is not None:
            values[name] = to_utc(values[name])
    values["feeds"] = db.session.get(Competition, form.feeds_id.data) if form.feeds_id.data \
        else None
    return values


def _store_rules(form: CompetitionForm, competition: Competition) -> None:
    """The rules PDF chosen on the form, if any (an empty file input sends nothing)."""
    if form.rules_file.data:
        services.set_rules_document(current_user, competition, form.rules_file.data)


@bp.route("/")
@organiser_required
def index():
    # Each row's stage word follows its events (status.competition_status_label).
    page = paginate(services.visible_competitions(current_user)
                    .options(selectinload(Competition.events)))
    return render_template("contests/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    form = CompetitionForm()
    organisers = _organisers()
    _offer_organisers(form, organisers)
    form.feeds_id.choices = _feeds_choices()
    if request.method == "GET" and organisers:
        # A city union's new competition is city level, this year's: the first organisation's
        # tier (app.js follows the choice when there are several).
        form.organiser_id.data = organisers[0].id
        form.tier.data = services.default_tier(organisers[0])
        form.year.data = to_user_timezone(utcnow()).year
    if form.validate_on_submit():
        organiser = db.get_or_404(Organisation, form.organiser_id.data)
        try:
            competition = services.create_competition(current_user, organiser,
                                                      **_competition_values(form))
            _store_rules(form, competition)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Competition created. Now add its events."), "success")
            return redirect(url_for("contests.detail", competition_id=competition.id))
    return render_template("contests/form.html", form=form, competition=None)


@bp.route("/<int:competition_id>")
@organiser_required
def detail(competition_id):
    competition = _competition_or_403(competition_id)
    counts = entry_counts([event.id for event in competition.events])
    officials = db.session.scalars(sa.select(RoleGrant).where(
        RoleGrant.competition_id == competition.id).order_by(RoleGrant.role)).all()
    return render_template("contests/detail.html", competition=competition, counts=counts,
                           officials=officials, appoint=_appoint_form(),
                           transitions=services.TRANSITIONS, stage_change=StageChangeForm(),
                           waiting=sum(c.pending_endorsement + c.pending_approval
                                       for c in counts.values()),
                           approved=sum(c.approved for c in counts.values()))


@bp.route("/<int:competition_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(competition_id):
    competition = _competition_or_403(competition_id)
    form = CompetitionForm(obj=competition)
    form.organiser_id.choices = [(competition.organiser.id, competition.organiser.name)]
    form.feeds_id.choices = _feeds_choices(exclude=competition)
    if request.method == "GET":
        form.feeds_id.data = competition.feeds_id or 0
        for name in LOCAL_TIMES:
            if getattr(competition, name) is not None:
                getattr(form, name).data = _local(getattr(competition, name))
    if form.validate_on_submit():
        try:
            services.update_competition(current_user, competition, **_competition_values(form))
            _store_rules(form, competition)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Competition saved."), "success")
            return redirect(url_for("contests.detail", competition_id=competition.id))
    return render_template("contests/form.html", form=form, competition=competition)


@bp.route("/<int:competition_id>/transition/<name>", methods=["POST"])
@organiser_required
def transition(competition_id, name):
    competition = _competition_or_403(competition_id)
    if name not in services.TRANSITIONS:
        abort(404)
    if act(StageChangeForm(), lambda: services.transition(current_user, competition, name)):
        flash(_("The competition is now: %(state)s.",
                state=status.competition_status_label(competition)), "success")
    return redirect(url_for("contests.detail", competition_id=competition.id))


def _event_form(obj=None) -> EventForm:
    form = EventForm(obj=obj)
    form.occupation_id.choices = [(o.id, o.name) for o in db.session.scalars(
        sa.select(Occupation).order_by(Occupation.name))]
    if request.method == "GET" and obj is not None and obj.checkin_at is not None:
        form.checkin_at.data = _local(obj.checkin_at)
    if isinstance(form.required_documents.data, list):  # the event's, one name a line
        form.required_documents.data = "\n".join(form.required_documents.data)
    return form


def _event_values(form: EventForm) -> dict:
    """The form's values; the check-in time is local and is stored in UTC."""
    values = {name: getattr(form, name).data for name in services.EVENT_FIELDS
              if name != "occupation"}
    values["occupation"] = db.get_or_404(Occupation, form.occupation_id.data)
    values["barred_titles"] = sorted(form.barred_titles.data or [])
    if values["checkin_at"] is not None:
        values["checkin_at"] = to_utc(values["checkin_at"])
    return values


@bp.route("/<int:competition_id>/events/new", methods=["GET", "POST"])
@organiser_required
def new_event(competition_id):
    competition = _competition_or_403(competition_id)
    form = _event_form()  # 须经推荐 starts unticked: the organiser ticks it if it applies
    if form.validate_on_submit():
        try:
            services.add_event(current_user, competition, **_event_values(form))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Event added."), "success")
            return redirect(url_for("contests.detail", competition_id=competition.id))
    return render_template("contests/event_form.html", form=form, competition=competition,
                           event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_event(event_id):
    event = db.get_or_404(Event, event_id)
    competition = _competition_or_403(event.competition_id)
    form = _event_form(obj=event)
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event, **_event_values(form))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("contests.detail", competition_id=competition.id))
    return render_template("contests/event_form.html", form=form, competition=competition,
                           event=event)


def _appoint_form() -> AppointForm:
    form = AppointForm()
    form.role.choices = [(role.value, role.label) for role in COMPETITION_ROLES]
    return form


@bp.route("/<int:competition_id>/officials", methods=["POST"])
@organiser_required
def appoint(competition_id):
    competition = _competition_or_403(competition_id)
    form = _appoint_form()
    if form.validate_on_submit():
        user = find_user_by_username(form.username.data)
        if user is None:
            flash(_("There is no account with the username %(name)s.",
                    name=form.username.data), "error")
        else:
            try:
                grant_role(current_user, user, Role(form.role.data),
                           competition_id=competition.id)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                db.session.commit()
                flash(_("%(name)s appointed.", name=user.display_name), "success")
    return redirect(url_for("contests.detail", competition_id=competition.id))
