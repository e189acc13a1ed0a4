"""The worker's record (职工技能电子档案): the page, its .xlsx and its PDF, for the worker, the
organisers over their employer and the HR officers covering it."""

from io import BytesIO

from flask import abort, redirect, render_template, send_file, url_for
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from competitions.caching import no_store
from competitions.database import utcnow
from competitions.extensions import db
from competitions.promotion import record as records
from competitions.promotion.views import bp
from competitions.registration.models import Worker
from competitions.results.awards import awards_text
from competitions.spreadsheets.download import file_name, send_xlsx


def _record_of(worker_id: int) -> records.WorkerRecord:
    worker = db.get_or_404(Worker, worker_id)
    if not records.can_view_record(current_user, worker):
        abort(403)  # as the worker page does
    return records.worker_record(worker)


def may_download(certificate) -> bool:
    """Certificate PDFs go to their holder and the issuing competition's organisers."""
    return (certificate.worker_id == getattr(current_user.worker, "id", None)
            or certificate.competition.can_manage(current_user))


@bp.route("/me/record")
@login_required
def my_record():
    worker = current_user.worker
    if worker is None:
        return render_template("registration/no_profile.html"), 404
    return redirect(url_for("promotion.record", worker_id=worker.id))


@bp.route("/workers/<int:worker_id>/record")
@login_required
def record(worker_id):
    worker_record = _record_of(worker_id)
    return render_template("promotion/record.html", record=worker_record,
                           own=worker_record.worker.user_id == current_user.id,
                           awards_text=awards_text, may_download=may_download,
                           sources=records.SOURCES)


@bp.route("/workers/<int:worker_id>/record.xlsx")
@login_required
def record_xlsx(worker_id):
    worker_record = _record_of(worker_id)
    content = records.record_workbook(worker_record)
    records.export_record(current_user, worker_record, "xlsx")
    db.session.commit()
    return send_xlsx(content, f"{worker_record.worker.name}-职工技能电子档案")


@bp.route("/workers/<int:worker_id>/record.pdf")
@login_required
def record_pdf(worker_id):
    worker_record = _record_of(worker_id)
    content = records.record_pdf(worker_record, to_user_timezone(utcnow()))
    records.export_record(current_user, worker_record, "pdf")
    db.session.commit()
    name = f"{file_name(worker_record.worker.name)}-职工技能电子档案.pdf"
    return no_store(send_file(BytesIO(content), mimetype="application/pdf",
                              as_attachment=False, download_name=name))
