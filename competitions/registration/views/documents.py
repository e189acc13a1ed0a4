"""An entrant's documents (upload, status, download) and the admission slip (准考证) PDF."""

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.files.services import MAX_DOCUMENT_BYTES, send
from competitions.forms import is_safe_next, parse_id
from competitions.registration import documents
from competitions.registration.admission_pdf import has_slip, render_admission_slip
from competitions.registration.blueprint import bp
from competitions.registration.forms import DocumentUploadForm
from competitions.registration.models import Entry, EntryDocument, Worker


@bp.app_template_global("document_counts")
def document_counts(entries) -> dict[int, tuple[int, int]]:
    """For entry lists: (documents in, documents required) per entry whose event needs any."""
    return documents.counts(list(entries))


@bp.app_template_global("has_admission_slip")
def has_admission_slip(entry: Entry) -> bool:
    """For my entries: whether the entry's admission slip can be downloaded."""
    return has_slip(entry)


def _sections(entries: list[Entry]) -> list[dict]:
    """Per entry: the members the user may handle, each with their requirements' documents."""
    sections = []
    for entry in entries:
        members = documents.members_for(current_user, entry)
        if not members:
            continue
        found = documents.documents_of(entry)
        sections.append({
            "entry": entry, "open": documents.uploads_open(entry),
            "rows": [(worker, [(name, found.get((worker.id, name)))
                               for name in documents.requirements(entry.event)])
                     for worker in members]})
    return sections


def _render(template: str, sections: list[dict], **context):
    return render_template(template, sections=sections, form=DocumentUploadForm(),
                           max_mb=MAX_DOCUMENT_BYTES // (1024 * 1024), **context)


@bp.route("/documents")
@login_required
def my_documents():
    worker = current_user.worker
    if worker is None:
        return render_template("registration/no_profile.html"), 404
    return _render("registration/documents_mine.html",
                   _sections(documents.entries_needing_documents(worker)), here=request.path)


def _entry_with_access(entry_id) -> Entry:
    entry = db.get_or_404(Entry, entry_id)
    if not documents.members_for(current_user, entry):
        abort(403)
    return entry


@bp.route("/entries/<int:entry_id>/documents", methods=["GET", "POST"])
@login_required
def entry_documents(entry_id):
    entry = _entry_with_access(entry_id)
    here = url_for("registration.entry_documents", entry_id=entry.id)
    if request.method == "POST":
        return _upload(entry, default=here)
    return _render("registration/documents.html", _sections([entry]), entry=entry,
                   event=entry.event, here=here,
                   manage=entry.event.competition.can_manage(current_user))


def _upload(entry: Entry, default: str):
    form = DocumentUploadForm()
    target = request.form.get("next")
    back = redirect(target if is_safe_next(target) else default)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return back
    try:
        worker = db.session.get(Worker, parse_id(form.worker_id.data))
    except ValueError:
        abort(400)
    if worker is None or not documents.can_handle(current_user, entry, worker):
        abort(403)
    try:
        documents.upload_document(current_user, entry, worker, form.requirement.data,
                                  form.file.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(requirement)s uploaded for %(name)s.", requirement=form.requirement.data,
                name=worker.name), "success")
    return back


@bp.route("/documents/<int:document_id>")
@login_required
def download_document(document_id):
    document = db.get_or_404(EntryDocument, document_id)
    if not documents.can_download(current_user, document):
        abort(403)
    documents.record_download(current_user, document)
    db.session.commit()
    return send(document.file, private=True)


@bp.route("/entries/<int:entry_id>/admission-slip.pdf")
@login_required
def admission_slip(entry_id):
    entry = db.get_or_404(Entry, entry_id)
    worker = current_user.worker
    # Only the entrant's own slip, and only once the draw has given it its codes.
    if worker is None or all(m.worker_id != worker.id for m in entry.members) \
            or not has_slip(entry):
        abort(404)
    pdf = render_admission_slip(entry, worker, to_user_timezone(utcnow()))
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                         download_name=f"admission-{entry.entry_number}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
