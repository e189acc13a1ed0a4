"""An entry's mark history, read back from the audit log for the chief judge to read."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from competitions.i18n import lazy_gettext as _l
from competitions.judging.models import Penalty
from competitions.judging.scoring import two_places

CENTS = Decimal("0.01")

# What each recorded action on an entry's marks is called in its history.
ACTION_LABELS = {
    "mark.save": _l("Draft saved"),
    "mark.submit": _l("Sheet submitted"),
    "mark.return": _l("Sheet returned to its judge"),
    "mark.correct": _l("Mark corrected"),
    "mark.import": _l("Score imported"),
    "penalty.add": _l("Penalty added"),
    "penalty.withdraw": _l("Penalty withdrawn"),
    "timing.record": _l("Time used recorded"),
    "conflict.declare": _l("Conflict declared"),
    "flag.accept": _l("Flagged panel accepted"),
}



def clock(seconds: int | None) -> str:
    """Seconds as m:ss (minutes past 59 are not carried into hours)."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"


@dataclass
class HistoryLine:
    """One recorded action, read back from the audit log for display."""

    when: datetime
    who: str
    action: str
    label: str
    changes: list[tuple[str, str | None, str | None]]  # (what, old, new)
    detail: str | None
    reason: str | None


def _loads(text: str | None) -> dict:
    return json.loads(text) if text else {}


def history_line(recorded, penalties: dict[int, Penalty]) -> HistoryLine:
    before, after = _loads(recorded.before), _loads(recorded.after)
    old_marks, new_marks = before.get("marks") or {}, after.get("marks") or {}
    changes = [(code, old_marks.get(code), new_marks.get(code))
               for code in sorted(set(old_marks) | set(new_marks))]
    if recorded.action == "timing.record":
        changes.append((_("Time used"), clock(before.get("seconds")),
                        clock(after.get("seconds"))))
    judge = after.get("judge") or before.get("judge")
    penalty_id = after.get("penalty") or before.get("penalty")
    points = after.get("points") or before.get("points")
    if penalty_id is not None:
        component = after.get("component") or (
            penalties[penalty_id].component.name if penalty_id in penalties else "")
        detail = _("%(component)s: −%(points)s points", component=component,
                   points=two_places(Decimal(points) if points else None))
    elif recorded.action == "flag.accept":
        detail = _("%(code)s, spread %(n)s%%", code=after.get("code", ""),
                   n=two_places(Decimal(after["spread"])))
    elif recorded.action == "mark.correct" and after.get("source") == "import":
        detail = _("imported score")
    elif judge:
        detail = _("sheet of %(judge)s", judge=judge)
    else:
        detail = None
    reason = recorded.reason or (after.get("reason") if recorded.action == "conflict.declare"
                                 else None)
    return HistoryLine(recorded.created_at, recorded.actor_name, recorded.action,
                       str(ACTION_LABELS.get(recorded.action, recorded.action)), changes,
                       detail, reason)
