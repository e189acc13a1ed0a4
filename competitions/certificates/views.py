"""Certificate pages: a worker's own certificates, an event's certificates for its organisers
(issue, revoke, download all as one streamed ZIP), a competition's certificate settings, and an
organisation's seal and logo. The public check is in public/certificate_views.py."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from competitions.audit.services import record
from competitions.certificates import documents, services
from competitions.certificates.archive import stream_zip
from competitions.certificates.forms import CertificateSettingsForm, ImageForm, RevokeForm
from competitions.certificates.images import MAX_BYTES, ImageRefused
from competitions.certificates.models import (
    Certificate,
    CertificateKind,
    ImageKind,
    OrganisationImage,
)
from competitions.certificates.pdf import FIELDS, render_calibration_page
from competitions.certificates.settings import CertificateSettings, settings_of
from competitions.contests.access import managed_competition
from competitions.contests.models import Competition, Event, EventStage
from competitions.extensions import db
from competitions.forms import act
from competitions.organisations.models import Organisation, OrgKind
from competitions.organisations.services import ancestors_of
from competitions.registration.models import Worker
from competitions.results.forms import ConfirmForm

bp = Blueprint("certificates", __name__)

NO_STORE = {"Cache-Control": "private, no-store"}


def _send_pdf(content: bytes, name: str) -> Response:
    response = send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers.update(NO_STORE)
    return response


def _managed_event(event_id) -> Event:
    event = db.get_or_404(Event, event_id)
    if not event.competition.can_manage(current_user):
        abort(403)
    return event


def flash_report(report: services.IssueReport) -> None:
    """Tell the organiser what issuing did, and name every holder whose name a font lacks."""
    if report.issued:
        flash(ngettext("%(num)d certificate issued.", "%(num)d certificates issued.",
                       len(report.issued)), "info")
    if report.revoked:
        flash(ngettext("%(num)d certificate revoked and replaced.",
                       "%(num)d certificates revoked and replaced.", len(report.revoked)),
              "info")
    for cert in report.missing:
        flash(_("%(name)s (%(serial)s): %(chars)s is in no font the platform ships and "
                "prints as 〓; write it in by hand or have the certificate made by the "
                "printers.", name=cert.holder_name, serial=cert.serial,
                chars="、".join(cert.missing_characters)), "warning")


# --- a worker's own ---------------------------------------------------------------------------

@bp.route("/certificates/mine")
@login_required
def mine():
    worker = db.session.scalar(sa.select(Worker).where(Worker.user_id == current_user.id))
    certs = services.certificates_of_worker(worker.id) if worker else []
    return render_template("certificates/mine.html", certs=certs, worker=worker,
                           what_for=documents.wording.what_for)


@bp.route("/certificates/<int:cert_id>.pdf")
@login_required
def download(cert_id):
    cert = db.get_or_404(Certificate, cert_id)
    if not services.can_download(current_user, cert):
        abort(404)  # whose it is stays unsaid
    if not cert.is_live and not cert.competition.can_manage(current_user):
        abort(404)
    return _send_pdf(documents.pdf(cert), documents.file_name(cert))


# --- an event's, for its organisers -----------------------------------------------------------

@bp.route("/events/<int:event_id>/certificates")
@login_required
def event(event_id):
    event = _managed_event(event_id)
    certs = services.certificates_of_event(event)
    return render_template("certificates/event.html", event=event, certs=certs,
                           competition=event.competition, revoke_form=RevokeForm(),
                           what_for=documents.wording.what_for,
                           settings=settings_of(event.competition))


@bp.route("/events/<int:event_id>/certificates/issue", methods=["POST"])
@login_required
def issue(event_id):
    event = _managed_event(event_id)
    outcome = {}
    if act(ConfirmForm(), lambda: outcome.setdefault(
            "report", services.issue_for_event(current_user, event))):
        report = outcome["report"]
        flash_report(report)
        if not (report.issued or report.revoked):
            flash(_("Every certificate these results call for has been issued already."),
                  "info")
    return redirect(url_for("certificates.event", event_id=event.id))


@bp.route("/events/<int:event_id>/certificates.zip")
@login_required
def event_zip(event_id):
    """Every live certificate of the event, one PDF each, streamed as the ZIP is written."""
    event = _managed_event(event_id)
    if event.stage is not EventStage.FINAL:
        abort(404)
    ids = list(db.session.scalars(sa.select(Certificate.id).where(
        Certificate.event_id == event.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.id)))
    record(current_user, "certificate.export", event, after={"certificates": len(ids)})
    db.session.commit()

    def files():
        for start in range(0, len(ids), 200):
            batch = db.session.scalars(sa.select(Certificate).where(
                Certificate.id.in_(ids[start:start + 200])).order_by(Certificate.id))
            for cert, content in documents.pdfs(batch):
                yield documents.file_name(cert), content
            db.session.expunge_all()  # keep memory flat: nothing from a batch is kept

    name = f"certificates-{event.id}.zip"
    response = Response(stream_with_context(stream_zip(files())), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers.update(NO_STORE)
    return response


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@login_required
def revoke(cert_id):
    cert = db.get_or_404(Certificate, cert_id)
    if not services.can_revoke(current_user, cert):
        abort(403)
    form = RevokeForm()
    if act(form, lambda: services.revoke(current_user, cert, form.reason.data)):
        flash(_("Certificate %(serial)s has been revoked.", serial=cert.serial), "success")
    return redirect(url_for("certificates.event", event_id=cert.event_id))


# --- a competition's settings -----------------------------------------------------------------

def issuer_choices(competition: Competition) -> list[Organisation]:
    """Who may sign: the organiser, the organisations above it, and their peers (an HR bureau
    beside the union), never an enterprise or a school."""
    organiser = competition.organiser
    parents = [org for org in ancestors_of(organiser) if org.id != organiser.id]
    parent_ids = [p.id for p in parents] + ([organiser.parent_id] if organiser.parent_id else [])
    peers = list(db.session.scalars(sa.select(Organisation).where(
        Organisation.parent_id.in_(parent_ids),
        Organisation.kind.not_in([OrgKind.ENTERPRISE, OrgKind.SCHOOL]))
        .order_by(Organisation.name)))
    seen, choices = set(), []
    for org in [organiser, *peers, *reversed(parents)]:
        if org.id not in seen:
            seen.add(org.id)
            choices.append(org)
    return choices


@bp.route("/competitions/<int:competition_id>/certificates", methods=["GET", "POST"])
@login_required
def settings(competition_id):
    competition = managed_competition(competition_id)
    current = settings_of(competition)
    choices = issuer_choices(competition)
    form = CertificateSettingsForm()
    form.issuers.choices = [(org.id, org.name) for org in choices]
    if request.method == "GET":
        form.kinds.data = sorted(current.kinds, key=list(CertificateKind).index)
        form.issuers.data = list(current.issuer_ids or (competition.organiser_id,))
        form.preprinted.data = current.preprinted
        for sub, name in zip(form.offsets, FIELDS, strict=True):
            sub.form.dx.data, sub.form.dy.data = (Decimal(str(v)) for v in
                                                  current.offsets.get(name, (0, 0)))
    if form.validate_on_submit():
        if not form.issuers.data:
            form.issuers.errors = [_("Choose at least one issuing organisation.")]
        else:
            services.save_settings(current_user, competition, CertificateSettings(
                kinds=frozenset(form.kinds.data), issuer_ids=tuple(form.issuers.data),
                preprinted=form.preprinted.data,
                offsets={name: (float(sub.form.dx.data or 0), float(sub.form.dy.data or 0))
                         for sub, name in zip(form.offsets, FIELDS, strict=True)}))
            db.session.commit()
            flash(_("The certificate settings have been saved."), "success")
            return redirect(url_for("certificates.settings", competition_id=competition.id))
    images = _images_of([org.id for org in choices])
    return render_template("certificates/settings.html", competition=competition, form=form,
                           choices=choices, images=images, seal_kind=ImageKind.SEAL,
                           events=[e for e in competition.events if e.drawn_at is not None])


@bp.route("/competitions/<int:competition_id>/certificates/calibration.pdf")
@login_required
def calibration(competition_id):
    competition = managed_competition(competition_id)
    layout = settings_of(competition).layout
    return _send_pdf(render_calibration_page(layout), f"calibration-{competition.id}.pdf")


@bp.route("/competitions/<int:competition_id>/certificates/sample.pdf")
@login_required
def sample(competition_id):
    """A specimen certificate with the current settings, before any is issued."""
    competition = managed_competition(competition_id)
    return _send_pdf(documents.sample_pdf(competition), f"sample-{competition.id}.pdf")


# --- an organisation's seal and logo ----------------------------------------------------------

def _images_of(org_ids: list[int]) -> dict[tuple[int, ImageKind], OrganisationImage]:
    rows = db.session.scalars(sa.select(OrganisationImage).where(
        OrganisationImage.organisation_id.in_(org_ids)).options(
        sa.orm.defer(OrganisationImage.data)))
    return {(image.organisation_id, image.kind): image for image in rows}


def _managed_organisation(org_id) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if not org.can_manage(current_user):
        abort(403)
    return org


@bp.route("/organisations/<int:org_id>/images", methods=["GET", "POST"])
@login_required
def images(org_id):
    org = _managed_organisation(org_id)
    form = ImageForm()
    if form.validate_on_submit():
        data = form.image.data.read(MAX_BYTES + 1)  # bounded: more is refused as too big
        try:
            services.save_image(current_user, org, form.kind.data, data)
        except ImageRefused as error:
            form.image.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("The %(image)s has been saved.", image=form.kind.data.label), "success")
            return redirect(url_for("certificates.images", org_id=org.id))
    return render_template("certificates/images.html", org=org, form=form,
                           images=_images_of([org.id]), kinds=list(ImageKind))


@bp.route("/organisations/<int:org_id>/images/<kind>.png")
@login_required
def image(org_id, kind):
    org = _managed_organisation(org_id)
    try:
        kind = ImageKind(kind)
    except ValueError:
        abort(404)
    found = db.session.scalar(sa.select(OrganisationImage).where(
        OrganisationImage.organisation_id == org.id, OrganisationImage.kind == kind))
    if found is None:
        abort(404)
    response = send_file(BytesIO(found.data), mimetype="image/png", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
