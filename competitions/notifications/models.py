"""In-app notifications: a small inbox per user."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.database import Base, utcnow


class Notification(Base):
    """Stored as a kind plus parameters, so it renders in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)


class OutboxMessage(Base):
    """An e-mail waiting to go out (DESIGN.md §6): written in the same transaction as the change
    it reports, sent after commit by `flask notifications send`, retried with a growing pause,
    and sent once: a sender claims a row before the SMTP conversation."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]  # a sender is on it until then
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # given up after the last attempt
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    notification: Mapped[Notification | None] = relationship()

    __table_args__ = (sa.Index("ix_email_outbox_due", "sent_at", "failed_at", "send_after"),)
