"""The results officials' way in: the events of the competitions they decrypt or arbitrate."""

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user, login_required

from competitions.accounts.models import Role
from competitions.contests.models import Competition
from competitions.extensions import db
from competitions.results.blueprint import bp

OFFICIAL_ROLES = (Role.ENCRYPTION_OFFICER, Role.ARBITRATOR)


@bp.route("/")
@login_required
def index():
    grants = [g for g in current_user.grants
              if g.role in OFFICIAL_ROLES and g.competition_id is not None]
    if not grants:
        abort(403)
    competitions = db.session.scalars(sa.select(Competition).where(
        Competition.id.in_({g.competition_id for g in grants}))
        .order_by(Competition.year.desc(), Competition.id.desc())).all()
    roles = {}
    for grant in grants:
        roles.setdefault(grant.competition_id, []).append(grant.role)
    return render_template("results/index.html", competitions=competitions, roles=roles)
