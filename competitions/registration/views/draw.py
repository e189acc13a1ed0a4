"""The draw page, the check-in list PDF and the encryption officer's blind-code mapping."""

from io import BytesIO

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from competitions.accounts.models import Role
from competitions.contests.models import Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.registration import draw as drawing
from competitions.registration.blueprint import bp
from competitions.registration.checkin_pdf import render_checkin_list, unprintable_names
from competitions.registration.entries import entry_counts
from competitions.registration.import_forms import ConfirmForm
from competitions.registration.imports import can_import


def _is_encryption_officer(user, event: Event) -> bool:
    return any(g.role is Role.ENCRYPTION_OFFICER and g.competition_id == event.competition_id
               for g in user.grants)


@bp.route("/events/<int:event_id>/draw", methods=["GET", "POST"])
@login_required
def draw_event(event_id):
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            entries = drawing.draw_event(current_user, event)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The draw is done: %(n)d entries have their numbers and codes.",
                    n=len(entries)), "success")
            return redirect(url_for("registration.draw_event", event_id=event.id))
    entries = drawing.checkin_list(event)
    return render_template(
        "registration/draw/event.html", event=event, competition=event.competition, form=form,
        counts=entry_counts([event.id])[event.id], entries=entries,
        unprintable=unprintable_names(entries),
        can_import=can_import(current_user, event),
        can_see_blind_codes=drawing.can_see_blind_codes(current_user, event),
        scoring=event.stage is EventStage.SCORING)


@bp.route("/events/<int:event_id>/checkin.pdf")
@login_required
def checkin_pdf(event_id):
    event = db.get_or_404(Event, event_id)
    if not (event.competition.can_manage(current_user)
            or _is_encryption_officer(current_user, event)):
        abort(403)
    if event.stage is EventStage.OPEN:
        abort(404)
    printed_at = to_user_timezone(utcnow())
    pdf = render_checkin_list(event, drawing.checkin_list(event), printed_at)
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=f"checkin-{event.id}.pdf", max_age=0)


@bp.route("/events/<int:event_id>/blind-codes")
@login_required
def blind_codes(event_id):
    event = db.get_or_404(Event, event_id)
    if not drawing.can_see_blind_codes(current_user, event):
        abort(403)
    response = render_template("registration/draw/blind_codes.html", event=event,
                               competition=event.competition,
                               entries=drawing.checkin_list(event))
    # The mapping must not linger in shared or browser caches.
    return response, 200, {"Cache-Control": "no-store"}
