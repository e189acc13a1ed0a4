"""Pages for recording an enterprise's drills (岗位练兵、技术比武): record, correct, delete."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from competitions.accounts.permissions import organiser_required
from competitions.contests import drills
from competitions.contests.models import Drill
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import Form, apply_error, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.promotion.models import Occupation

bp = Blueprint("drills", __name__, url_prefix="/contests/drills")


def _optional_id(value):
    return parse_id(value) if value not in (None, "") else None


class DrillForm(Form):
    name = StringField(_l("Name of the drill"), validators=[DataRequired(), Length(max=200)],
                       description=_l("E.g. 2026年焊工岗位练兵技术比武."))
    held_on = DateField(_l("Held on"), validators=[InputRequired()])
    occupation = SelectField(_l("Occupation"), coerce=_optional_id,
                             validators=[InputRequired(message=_l("Choose the occupation of the "
                                                                  "drill."))])
    participants = IntegerField(_l("Number of participants"), validators=[InputRequired()],
                                description=_l("Everyone who took part, named below or not."))
    winners = TextAreaField(_l("Named winners (optional)"), validators=[Optional()],
                            render_kw={"rows": 5},
                            description=_l("One per line: the worker's ID number and place, e.g. "
                                           "“320102199001011234 1”. Only workers of this "
                                           "enterprise."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.occupation.choices = [("", "—"), *db.session.execute(
            sa.select(Occupation.id, Occupation.name).order_by(Occupation.name)).tuples()]

    def values(self) -> dict:
        return {"name": self.name.data, "held_on": self.held_on.data,
                "occupation_id": self.occupation.data, "participants": self.participants.data,
                "winners": self.winners.data}


def _enterprise_or_403(org_id: int) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if not drills.can_record_drills(current_user, org):
        abort(403)
    return org


def _drill_or_403(drill_id: int) -> Drill:
    drill = db.get_or_404(Drill, drill_id)
    if not drills.can_record_drills(current_user, drill.organisation):
        abort(403)
    return drill


def _back(org: Organisation):
    return redirect(url_for("organisations.detail", org_id=org.id, _anchor="drills"))


@bp.route("/new/<int:org_id>", methods=["GET", "POST"])
@organiser_required
def new(org_id):
    org = _enterprise_or_403(org_id)
    form = DrillForm()
    if form.validate_on_submit():
        try:
            drill = drills.record_drill(current_user, org, **form.values())
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The drill %(name)s has been recorded.", name=drill.name), "success")
            return _back(org)
    return render_template("contests/drill_form.html", form=form, org=org, drill=None)


@bp.route("/<int:drill_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(drill_id):
    drill = _drill_or_403(drill_id)
    org = drill.organisation
    form = DrillForm(data={"name": drill.name, "held_on": drill.held_on,
                           "occupation": drill.occupation_id,
                           "participants": drill.participants,
                           "winners": drills.winners_text(drill)})
    if form.validate_on_submit():
        try:
            drills.update_drill(current_user, drill, **form.values())
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The changes have been saved."), "success")
            return _back(org)
    return render_template("contests/drill_form.html", form=form, org=org, drill=drill)


@bp.route("/<int:drill_id>/delete", methods=["POST"])
@organiser_required
def delete(drill_id):
    drill = _drill_or_403(drill_id)  # deleted already (a second post): 404, nothing changes
    org = drill.organisation
    form = Form()
    if form.validate_on_submit():
        drills.delete_drill(current_user, drill)
        db.session.commit()
        flash(_("The drill has been deleted."), "success")
    return _back(org)
