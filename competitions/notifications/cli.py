"""`flask notifications …`: deliver the e-mail outbox (run every minute by cron, or with
--watch as a long-running worker) and show what it holds."""

import time

import click
from flask.cli import AppGroup

from competitions.extensions import db
from competitions.notifications import outbox

notifications_cli = AppGroup("notifications", help="Notifications: send the e-mail outbox.")


@notifications_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="Messages per batch.")
@click.option("--watch", type=float, default=None, metavar="SECONDS",
              help="Keep running, sending every SECONDS (a worker process), until interrupted.")
def send(limit: int, watch: float | None):
    """Send the e-mails that are due, through MAIL_SERVER."""
    while True:
        try:
            report = outbox.send_due(limit=limit)
        except RuntimeError:
            raise click.ClickException(
                f"MAIL_SERVER is not set: {outbox.waiting_count()} e-mails wait in the outbox."
            ) from None
        finally:
            db.session.remove()
        if report.sent or report.retrying or report.failed or watch is None:
            click.echo(f"Sent {report.sent}, to retry {report.retrying}, failed "
                       f"{report.failed}; {report.waiting} waiting.")
        if watch is None:
            return
        time.sleep(watch)
