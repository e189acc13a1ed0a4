"""The one check that views of every package make before acting on a competition."""

from flask import abort
from flask_login import current_user

from competitions.contests.models import Competition
from competitions.extensions import db


def managed_competition(competition_id) -> Competition:
    """The competition, if the signed-in user manages it: 404 if there is none, else 403."""
    competition = db.get_or_404(Competition, competition_id)
    if not competition.can_manage(current_user):
        abort(403)
    return competition
