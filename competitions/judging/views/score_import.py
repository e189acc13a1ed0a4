"""Theory-score import pages: template, upload, preview, confirm."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.models import User
from competitions.contests.models import Event
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import Form, apply_error
from competitions.i18n import lazy_gettext as _l
from competitions.judging import score_import as service
from competitions.judging.blueprint import bp
from competitions.judging.models import ScoreImport
from competitions.judging.services import can_edit_scheme
from competitions.spreadsheets.download import send_xlsx
from competitions.spreadsheets.forms import ConfirmForm, read_upload, spreadsheet_field

RECENT_IMPORTS = 20


class ScoreUploadForm(Form):
    file = spreadsheet_field(_l("Exam-system spreadsheet (.xlsx)"),
                             _l("Use the template: one entry per row, at most %(n)d rows.",
                                n=service.MAX_ROWS))


def _event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not can_edit_scheme(current_user, event):
        abort(403)
    return event


def _staged(event_id, score_import_id) -> ScoreImport:
    score_import = db.get_or_404(ScoreImport, score_import_id)
    if score_import.event_id != event_id:
        abort(404)
    if not service.can_use_import(current_user, score_import):
        abort(403)
    return score_import


def _closed(event: Event):
    """Why scores cannot be imported now, or None."""
    try:
        service.check_open(event)
    except service.MarkingNotOpen as error:
        return error.message
    return None


@bp.route("/events/<int:event_id>/score-imports/template.xlsx")
@login_required
def score_import_template(event_id):
    event = _event(event_id)
    if not service.imported_criteria(event):
        flash(_("This event's marking scheme has no imported criteria."), "error")
        return redirect(url_for("judging.score_import", event_id=event.id))
    return send_xlsx(service.template_workbook(event), f"{event.name}-理论成绩导入模板")


@bp.route("/events/<int:event_id>/score-imports", methods=["GET", "POST"])
@login_required
def score_import(event_id):
    event = _event(event_id)
    form = ScoreUploadForm()
    closed = _closed(event)
    if closed is None and form.validate_on_submit():
        try:
            staged = service.stage_upload(current_user, event, form.file.data.filename,
                                          read_upload(form.file.data))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("judging.score_import_preview", event_id=event.id,
                                    score_import_id=staged.id))
    history = db.session.execute(
        sa.select(ScoreImport.filename, ScoreImport.imported_at, User.display_name)
        .outerjoin(User, User.id == ScoreImport.user_id)
        .where(ScoreImport.event_id == event.id, ScoreImport.imported_at.is_not(None))
        .order_by(ScoreImport.imported_at.desc(), ScoreImport.id.desc())
        .limit(RECENT_IMPORTS)).all()
    return render_template("judging/score_import/upload.html", event=event, form=form,
                           closed=closed, criteria=service.imported_criteria(event),
                           history=history)


@bp.route("/events/<int:event_id>/score-imports/<int:score_import_id>")
@login_required
def score_import_preview(event_id, score_import_id):
    staged = _staged(event_id, score_import_id)
    if staged.imported_at is not None:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("judging.score_import", event_id=event_id))
    try:
        plan = service.preview(staged)
    except service.ImportRejected as error:
        plan = service.ScorePlan(errors=[service.RowError(0, "", error.message)])
    return render_template("judging/score_import/preview.html", staged=staged,
                           event=staged.event, plan=plan, closed=_closed(staged.event),
                           form=ConfirmForm())


@bp.route("/events/<int:event_id>/score-imports/<int:score_import_id>/confirm",
          methods=["POST"])
@login_required
def score_import_confirm(event_id, score_import_id):
    staged = _staged(event_id, score_import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plan = service.confirm(current_user, staged)
    except service.AlreadyImported as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("judging.score_import", event_id=event_id))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("judging.score_import_preview", event_id=event_id,
                                score_import_id=score_import_id))
    db.session.commit()
    flash(_("Imported %(rows)d rows: %(new)d scores added, %(replaced)d replaced, "
            "%(unchanged)d unchanged.", rows=plan.rows, new=plan.count("new"),
            replaced=plan.count("replaced"), unchanged=plan.count("unchanged")), "success")
    return redirect(url_for("judging.score_import", event_id=event_id))
