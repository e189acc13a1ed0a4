"""Organisers find people for their competitions' official roles, or create and invite an
account for an official who has none."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts import people
from competitions.accounts.blueprint import bp
from competitions.accounts.forms import (
    AppointPersonForm,
    NewOfficialForm,
)
from competitions.accounts.models import Role, TokenPurpose, User
from competitions.accounts.views.links import shown_once
from competitions.contests.access import managed_competition
from competitions.contests.models import Competition, Event
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.forms import Form, act, apply_error, parse_id
from competitions.organisations.models import Organisation
from competitions.organisations.services import search_organisations


def _role_choices(competition: Competition) -> list[tuple[str, str]]:
    choices = [(role.value, str(role.label)) for role in people.COMPETITION_ROLES]
    for event in competition.events:
        choices += [(f"{role.value}:{event.id}", f"{role.label} · {event.name}")
                    for role in people.EVENT_ROLES]
    return choices


def _chosen_role(competition: Competition, value: str) -> tuple[Role, Event | None]:
    role, _sep, event_id = value.partition(":")
    event = next((e for e in competition.events if str(e.id) == event_id), None)
    return Role(role), event


def _people_forms(competition: Competition):
    appoint, new = AppointPersonForm(), NewOfficialForm()
    appoint.role.choices = new.role.choices = _role_choices(competition)
    unit_q = request.args.get("unit_q", "").strip()
    units = search_organisations(unit_q) if unit_q else []
    new.unit.choices = [(competition.organiser.id, competition.organiser.name)] + [
        (org.id, org.name) for org in units if org.id != competition.organiser.id]
    return appoint, new


def _people_page(competition: Competition, appoint, new):
    query = request.args.get("q", "").strip()
    return render_template("accounts/people.html", competition=competition, query=query,
                           found=people.search_people(current_user, query), appoint=appoint,
                           new=new, unit_q=request.args.get("unit_q", "").strip(),
                           waiting=people.not_signed_in(competition), confirm=Form())


@bp.route("/competitions/<int:competition_id>/people")
@login_required
def find_people(competition_id):
    competition = managed_competition(competition_id)
    return _people_page(competition, *_people_forms(competition))


@bp.route("/competitions/<int:competition_id>/people/appoint", methods=["POST"])
@login_required
def appoint_person(competition_id):
    competition = managed_competition(competition_id)
    form, _new = _people_forms(competition)
    if form.validate_on_submit():
        try:
            user_id = parse_id(form.user_id.data)
        except ValueError:
            abort(400)
        user = db.session.scalar(sa.select(User).where(
            User.id == user_id, people.visible_people(current_user)))
        if user is None:
            abort(404)
        role, event = _chosen_role(competition, form.role.data)
        if act(form, lambda: people.appoint(current_user, competition, user, role, event)):
            flash(_("%(name)s appointed.", name=user.display_name), "success")
    else:
        flash(_("Choose the role."), "error")
    return redirect(url_for("accounts.find_people", competition_id=competition.id))


@bp.route("/competitions/<int:competition_id>/people/new", methods=["POST"])
@login_required
def new_official(competition_id):
    competition = managed_competition(competition_id)
    appoint, form = _people_forms(competition)
    if form.validate_on_submit():
        role, event = _chosen_role(competition, form.role.data)
        try:
            user, link = people.create_official(
                current_user, competition, display_name=form.display_name.data,
                email=form.email.data, phone=form.phone.data, role=role, event=event,
                unit=db.get_or_404(Organisation, form.unit.data))
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, PermissionDenied):
                abort(403)
            apply_error(form, error)
        else:
            db.session.commit()
            return shown_once("accounts/link_issued.html", account=user, link=link,
                               purpose=TokenPurpose.INVITE,
                               back=url_for("contests.detail", competition_id=competition.id))
    return _people_page(competition, appoint, form)


@bp.route("/competitions/<int:competition_id>/people/<int:user_id>/invite", methods=["POST"])
@login_required
def reinvite(competition_id, user_id):
    """Send an official who has never signed in a new invitation link."""
    competition = managed_competition(competition_id)
    user = db.get_or_404(User, user_id)
    if not Form().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        link = people.reinvite(current_user, competition, user)
    except PermissionDenied:
        abort(404)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.find_people", competition_id=competition.id))
    db.session.commit()
    return shown_once("accounts/link_issued.html", account=user, link=link,
                      purpose=TokenPurpose.INVITE,
                      back=url_for("accounts.find_people", competition_id=competition.id))
