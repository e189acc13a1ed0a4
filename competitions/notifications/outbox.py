"""E-mail copies of notifications, through the outbox (DESIGN.md §6).

`queue` writes an OutboxMessage in the caller's transaction, rendered then in the reader's
language with links under PUBLIC_BASE_URL; nothing is sent unless that transaction commits.
`send_due` (run by `flask notifications send`) claims due rows, commits the claim, sends each
through SMTP and records the outcome, one commit per message: a message is sent once, and one
that fails waits 1, 2, 4… minutes before its next attempt, until MAIL_MAX_ATTEMPTS.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask_babel import force_locale

from competitions.database import utcnow
from competitions.extensions import db
from competitions.notifications.models import Notification, OutboxMessage

CLAIM = timedelta(minutes=10)  # a sender that dies mid-batch gives its rows back after this
SUBJECT_LENGTH = 120


@contextmanager
def public_links():
    """Inside it, url_for builds paths under PUBLIC_BASE_URL (whether or not a request is
    being served), and `absolute` turns them into whole addresses."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        yield


def absolute(path: str) -> str:
    return request.host_url.rstrip("/") + path


def wants_email(user) -> bool:
    return bool(user.email) and user.email_notifications and user.active


def queue(notification: Notification, user) -> OutboxMessage:
    """The e-mail copy of `notification` for `user`, who wants_email()."""
    from competitions.notifications.services import render

    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with public_links(), force_locale(locale):
        message, link = render(notification)
        subject = re.sub(r"\s+", " ", message).strip()
        if len(subject) > SUBJECT_LENGTH:
            subject = subject[:SUBJECT_LENGTH - 1] + "…"
        from flask import url_for
        body = render_template("notifications/email.txt", user=user, message=message,
                               link=absolute(link),
                               settings=absolute(url_for("notifications.settings")))
    outbox = OutboxMessage(notification=notification, to_address=user.email,
                           subject=subject, body=body)
    db.session.add(outbox)
    return outbox


def _message(row: OutboxMessage, now: datetime) -> EmailMessage:
    config = current_app.config
    sender = config["MAIL_FROM"]
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = Address(addr_spec=row.to_address)
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"outbox{row.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(row.body)
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    security = (config.get("MAIL_SECURITY") or "").lower()
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def _due(now: datetime):
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            OutboxMessage.send_after <= now,
            sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def _claim(now: datetime, limit: int) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this sender and commit, so that a second sender running
    at the same time takes others (SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
    stmt = (sa.select(OutboxMessage).where(*_due(now)).order_by(OutboxMessage.id)
            .limit(limit))
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(stmt))
    for row in rows:
        row.claimed_until, row.attempts = now + CLAIM, row.attempts + 1
    db.session.commit()
    return rows


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0  # still due or not yet due, after this run


def waiting_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))


def send_due(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Send what is due. Raises RuntimeError when no MAIL_SERVER is configured."""
    if not current_app.config.get("MAIL_SERVER"):
        raise RuntimeError("MAIL_SERVER is not set")
    now = now or utcnow()
    report = SendReport()
    rows = _claim(now, limit)
    if rows:
        smtp = None
        try:
            for row in rows:
                try:
                    smtp = smtp or _connect()
                    smtp.send_message(_message(row, now))
                except (OSError, smtplib.SMTPException) as error:
                    _failed(row, now, error, report)
                    if isinstance(error, (OSError, smtplib.SMTPServerDisconnected)):
                        smtp = None  # the connection is gone; the next row reconnects
                else:
                    row.sent_at, row.claimed_until, row.last_error = now, None, None
                    report.sent += 1
                db.session.commit()
        finally:
            if smtp is not None:
                with suppress(OSError, smtplib.SMTPException):
                    smtp.quit()
    report.waiting = waiting_count()
    return report


def _failed(row: OutboxMessage, now: datetime, error: Exception, report: SendReport) -> None:
    row.claimed_until, row.last_error = None, f"{type(error).__name__}: {error}"[:500]
    permanent = isinstance(error, smtplib.SMTPRecipientsRefused)
    if permanent or row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.failed_at = now
        report.failed += 1
    else:
        row.send_after = now + timedelta(minutes=2 ** (row.attempts - 1))
        report.retrying += 1
