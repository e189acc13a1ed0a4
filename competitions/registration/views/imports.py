"""Spreadsheet import (template, upload, preview, confirm) and the registrations export."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts.permissions import organiser_required
from competitions.contests.models import Competition, Event
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error
from competitions.registration import imports
from competitions.registration.blueprint import bp
from competitions.registration.exports import export_registrations
from competitions.registration.import_forms import ConfirmForm, ImportUploadForm, read_upload
from competitions.registration.models import ImportBatch
from competitions.spreadsheets.download import send_xlsx


def _importable_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not imports.can_import(current_user, event):
        abort(403)
    return event


def _own_batch(batch_id) -> ImportBatch:
    batch = db.get_or_404(ImportBatch, batch_id)
    if not imports.can_use_batch(current_user, batch) \
            or not imports.can_import(current_user, batch.event):
        abort(403)
    return batch


@bp.route("/imports/template.xlsx")
@organiser_required
def import_template():
    return send_xlsx(imports.template_workbook(), "报名导入模板")


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@login_required
def import_upload(event_id):
    event = _importable_event(event_id)
    form = ImportUploadForm()
    closed = None
    try:
        imports.check_importable(event)
    except imports.ImportRejected as error:
        closed = error.message
    if closed is None and form.validate_on_submit():
        try:  # a wrong header, a non-spreadsheet or a broken bound shows here
            batch = imports.stage_upload(current_user, event, form.file.data.filename,
                                         read_upload(form.file.data))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("registration.import_preview", batch_id=batch.id))
    return render_template("registration/imports/upload.html", event=event, form=form,
                           closed=closed, max_rows=imports.MAX_ROWS)


@bp.route("/imports/<int:batch_id>")
@login_required
def import_preview(batch_id):
    batch = _own_batch(batch_id)
    if batch.imported_at is not None:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("registration.event_entries", event_id=batch.event_id))
    try:
        plan = imports.preview(current_user, batch)
    except imports.ImportRejected as error:
        plan = imports.ImportPlan(errors=[imports.RowError(0, "", error.message)])
    return render_template("registration/imports/preview.html", batch=batch, event=batch.event,
                           plan=plan, form=ConfirmForm())


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@login_required
def import_confirm(batch_id):
    batch = _own_batch(batch_id)
    event_id = batch.event_id
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plan = imports.confirm(current_user, batch)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("registration.import_preview", batch_id=batch_id))
    db.session.commit()
    flash(_("Imported %(entries)d entries (%(new)d new workers); %(skipped)d already registered "
            "were skipped. The entries await approval.", entries=len(plan.entries),
            new=len(plan.new_workers), skipped=plan.already_registered), "success")
    return redirect(url_for("registration.event_entries", event_id=event_id))


@bp.route("/events/<int:event_id>/export.xlsx")
@login_required
def export_event(event_id):
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    content = export_registrations(current_user, event, [event])
    db.session.commit()
    with force_locale("zh"):
        name = f"{event.competition.name}-{event.name}-报名信息"
    return send_xlsx(content, name)


@bp.route("/competitions/<int:competition_id>/export.xlsx")
@login_required
def export_competition(competition_id):
    competition = db.get_or_404(Competition, competition_id)
    if not competition.can_manage(current_user):
        abort(403)
    content = export_registrations(current_user, competition, list(competition.events))
    db.session.commit()
    return send_xlsx(content, f"{competition.name}-报名信息")
