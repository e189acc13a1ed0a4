"""The occupation catalogue page (administrators)."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from competitions.accounts.permissions import admin_required
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error
from competitions.promotion import services
from competitions.promotion.forms import OccupationForm
from competitions.promotion.models import Occupation

bp = Blueprint("promotion", __name__, url_prefix="/promotion")


@bp.route("/occupations", methods=["GET", "POST"])
@admin_required
def occupations():
    form = OccupationForm()
    if form.validate_on_submit():
        try:
            occupation = services.add_occupation(current_user, form.name.data,
                                                 form.has_national_standard.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s added to the catalogue.", name=occupation.name), "success")
            return redirect(url_for("promotion.occupations"))
    rows = db.session.scalars(sa.select(Occupation).order_by(Occupation.name)).all()
    return render_template("promotion/occupations.html", form=form, occupations=rows)


@bp.route("/occupations/<int:occupation_id>/standard", methods=["POST"])
@admin_required
def set_standard(occupation_id):
    occupation = db.get_or_404(Occupation, occupation_id)
    services.set_national_standard(current_user, occupation, request.form.get("value") == "1")
    db.session.commit()
    return redirect(url_for("promotion.occupations"))


from competitions.promotion import record_views, review_views  # noqa: E402,F401,I001  (routes on bp)
