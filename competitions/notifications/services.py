"""Sending, rendering and reading notifications."""

from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from competitions.database import utcnow
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.i18n import local_time
from competitions.notifications.models import Notification


def _entry_status(params):
    from competitions.contests.models import EventGroup
    from competitions.registration.models import EntryStatus
    status = EntryStatus(params["status"]).label
    # The event's name is rebuilt here so that its group label follows the reader's language.
    event = (f"{params['occupation']} · {EventGroup(params['group']).label}"
             if "group" in params else params["event"])
    return (_l("Your entry for %(event)s: %(status)s.", event=event, status=status),
            url_for("registration.my_entries"))


def _sheet_returned(params):
    return (_l("The chief judge returned your score sheet for %(code)s: %(reason)s",
               code=params["blind_code"], reason=params["reason"]),
            url_for("judging.score_sheet", event_id=params["event_id"],
                    blind_code=params["blind_code"]))


def _appeal_upheld(params):
    from competitions.contests.models import EventGroup
    event = f"{params['event']} · {EventGroup(params['group']).label}"
    return (_l("An appeal in %(event)s was upheld: marking is reopened for your correction.",
               event=event),
            url_for("judging.overview", event_id=params["event_id"]))


def _nominated(params):
    from competitions.contests.models import EventGroup
    event = f"{params['occupation']} · {EventGroup(params['group']).label}"
    return (_l("Your result in %(source)s sends you on: you are nominated for %(event)s of "
               "%(competition)s.", source=params["source"], event=event,
               competition=params["competition"]),
            url_for("registration.my_entries"))


def _certificate_issued(params):
    from competitions.contests.models import EventGroup
    event = f"{params['occupation']} · {EventGroup(params['group']).label}"
    return (_l("Your certificate for %(event)s of %(competition)s is ready to download.",
               event=event, competition=params["competition"]),
            url_for("certificates.mine"))


def _promotion_decided(params):
    from competitions.promotion.levels import SkillLevel
    level = SkillLevel(params["level"]).label if params.get("level") else ""
    if params["status"] == "confirmed":
        message = _l("%(name)s's promotion to %(level)s in %(occupation)s is confirmed.",
                     name=params["name"], level=level, occupation=params["occupation"])
    else:
        message = _l("%(name)s's promotion to %(level)s in %(occupation)s was declined.",
                     name=params["name"], level=level, occupation=params["occupation"])
    return message, url_for("promotion.record", worker_id=params["worker_id"])


def _promotion_pending(params):
    expires = local_time(datetime.fromisoformat(params["expires"]))  # stored in UTC
    return (_l("%(count)s promotion eligibilities of %(competition)s await your decision; the "
               "first expires on %(date)s.", count=params["count"],
               competition=params["competition"], date=expires),
            url_for("promotion.eligibilities", competition=params["competition_id"],
                    status="pending"))


# kind → function(params) -> (message, link)
RENDERERS = {"entry_status": _entry_status, "sheet_returned": _sheet_returned,
             "appeal_upheld": _appeal_upheld, "nominated": _nominated,
             "certificate_issued": _certificate_issued,
             "promotion_decided": _promotion_decided, "promotion_pending": _promotion_pending}


def notify(user_id: int, kind: str, **params) -> Notification:
    if kind not in RENDERERS:
        raise ValueError(f"unknown notification kind {kind}")
    notification = Notification(user_id=user_id, kind=kind, params=params)
    db.session.add(notification)
    return notification


def render(notification: Notification) -> tuple[str, str]:
    message, link = RENDERERS[notification.kind](notification.params)
    return str(message), link


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()


def unread_count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def recent(user, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id.desc()).limit(limit)))


def mark_all_read(user) -> None:
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
