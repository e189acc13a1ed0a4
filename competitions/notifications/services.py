"""Sending, rendering and reading notifications.

Every notification lands in the reader's inbox; a reader with an e-mail address who has not
turned e-mail off also gets a copy through the outbox (outbox.py). What each kind says is in
kinds.py, who is told at each handover in recipients.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from competitions.accounts.models import User
from competitions.database import utcnow
from competitions.extensions import db
from competitions.notifications import outbox
from competitions.notifications.kinds import RENDERERS
from competitions.notifications.models import Notification


def notify(user_id: int, kind: str, **params) -> Notification:
    return notify_many([user_id], kind, **params)[0]


def notify_many(user_ids: Iterable[int], kind: str, **params) -> list[Notification]:
    """The same notification to each of `user_ids` (each once), with one query for them all."""
    return notify_each([(user_id, {}) for user_id in dict.fromkeys(user_ids)], kind, **params)


def notify_each(recipients: Iterable[tuple[int, dict]], kind: str, **common
                ) -> list[Notification]:
    """A notification of `kind` to each (user id, their own params), sharing `common`, with
    one query for all the users however many (a draw tells every entrant their number)."""
    if kind not in RENDERERS:
        raise ValueError(f"unknown notification kind {kind}")
    recipients = list(recipients)
    ids = {user_id for user_id, _params in recipients}
    # Only those who want e-mail copies, and not their grants or worker profiles (a lazy
    # load each, if the e-mail needs them): one statement however many recipients.
    users = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_(ids), User.email.is_not(None),
                              User.email_notifications, User.active)
        .options(lazyload(User.grants), lazyload(User.worker)))}
    created = []
    for user_id, params in recipients:
        notification = Notification(user_id=user_id, kind=kind, params={**common, **params})
        db.session.add(notification)
        created.append(notification)
        user = users.get(user_id)
        if user is not None and outbox.wants_email(user):
            outbox.queue(notification, user)
    return created


def event_params(event) -> dict:
    """What a notification about an event keeps of it (kinds.py names the event from these)."""
    return {"event_id": event.id, "occupation": event.occupation.name,
            "group": event.group.value, "competition": event.competition.name}


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


def set_email_choice(user, wanted: bool) -> None:
    user.email_notifications = wanted
