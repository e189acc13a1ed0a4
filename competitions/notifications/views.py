"""The signed-in user's notifications."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import BooleanField

from competitions.extensions import db
from competitions.forms import Form
from competitions.i18n import lazy_gettext as _l
from competitions.notifications import services
from competitions.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def unread_notifications():
    """The unread count beside "Notifications" in the navigation, for signed-in users."""
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": services.unread_count(current_user)}
    return {"unread_notifications": 0}


@bp.route("/")
@login_required
def index():
    items = [(n, *services.render(n)) for n in services.recent(current_user)]
    return render_template("notifications/index.html", items=items)


@bp.route("/<int:notification_id>")
@login_required
def open_notification(notification_id):
    """Follow a notification's link, marking it read; another user's is not found."""
    notification = db.get_or_404(Notification, notification_id)
    if notification.user_id != current_user.id:
        abort(404)
    services.mark_read(notification)
    db.session.commit()
    return redirect(services.render(notification)[1])


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))


class ChannelsForm(Form):
    email = BooleanField(_l("Also send each notification to my e-mail address"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Which channels the user gets: the inbox always, e-mail copies if they choose."""
    # On POST the form reads only what was sent: an unticked box sends nothing at all.
    form = ChannelsForm() if request.method == "POST" else ChannelsForm(
        data={"email": current_user.email_notifications})
    if form.validate_on_submit():
        services.set_email_choice(current_user, form.email.data)
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form)
