"""E-mails that carry a one-time link or code. They go through the outbox (DESIGN.md §6) but
not through notifications: a notification is kept in the inbox for good, a secret must not be."""

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from competitions.extensions import db
from competitions.notifications import outbox
from competitions.notifications.models import OutboxMessage


def link_for(secret: str) -> str:
    """The whole address of a reset or invitation link, under PUBLIC_BASE_URL."""
    with outbox.public_links():
        return outbox.absolute(url_for("accounts.use_link", secret=secret))


def queue_mail(to_address: str, subject, template: str, *, locale: str | None = None,
               **context) -> None:
    """Queue one e-mail in the caller's transaction, in the reader's language."""
    with outbox.public_links(), force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(template, **context)
        db.session.add(OutboxMessage(to_address=to_address, subject=str(subject)[:200],
                                     body=body))
