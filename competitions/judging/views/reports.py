"""Reports for the chief judge and the organisers: judge consistency."""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.models import User
from competitions.contests.models import Event
from competitions.extensions import db
from competitions.judging import panels
from competitions.judging.blueprint import bp
from competitions.judging.consistency import (
    DEFAULT_MIN_MARKS,
    DEFAULT_THRESHOLD,
    PanelMarks,
    chart_layout,
    judge_deviations,
    rounded,
    signed,
)
from competitions.judging.models import CriterionKind


def can_see_consistency(user, event: Event) -> bool:
    """The event's chief judge, the competition's organisers and admins."""
    return panels.is_chief_judge(user, event) or event.competition.can_manage(user)


def _threshold(raw: str | None) -> tuple[Decimal, str | None]:
    """The outlier threshold asked for in the query string, or the default with a message."""
    if not raw:
        return DEFAULT_THRESHOLD, None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) < value <= 100:
        return DEFAULT_THRESHOLD, _("The threshold is a percentage above 0 and at most 100.")
    return value, None


def complete_judgement_panels(event: Event) -> tuple[list[PanelMarks], int]:
    """The event's complete judgement panels as plain data, and how many panels there are."""
    cells = [c for c in panels.panel_cells(event) if c.criterion.kind is CriterionKind.JUDGEMENT]
    complete = [PanelMarks(maximum=c.criterion.max_mark, aggregate=c.aggregate, marks=c.marks)
                for c in cells if c.complete]
    return complete, len(cells)


@bp.route("/events/<int:event_id>/consistency")
@login_required
def consistency(event_id):
    event = db.get_or_404(Event, event_id)
    if not can_see_consistency(current_user, event):
        abort(403)
    threshold, threshold_error = _threshold(request.args.get("threshold"))
    complete, total = complete_judgement_panels(event)
    results = judge_deviations(complete, threshold=threshold)
    judges = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_([r.judge_id for r in results])))}
    chart = chart_layout(
        [(f"{judges[r.judge_id].display_name} ({judges[r.judge_id].username})",
          r.mean_deviation, r.is_outlier) for r in results], threshold)
    return render_template(
        "judging/consistency.html", event=event, competition=event.competition,
        results=results, judges=judges, chart=chart, signed=signed, rounded=rounded,
        threshold=threshold, threshold_error=threshold_error,
        min_marks=DEFAULT_MIN_MARKS, complete=len(complete), total=total)
