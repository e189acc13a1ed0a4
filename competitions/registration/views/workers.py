"""Worker profiles: self sign-up, my profile, and the organisers' worker lists and forms."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required

from competitions.accounts import cookies, throttle
from competitions.accounts.permissions import organiser_required
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error, parse_id
from competitions.masking import mask_phone
from competitions.organisations.models import Organisation
from competitions.pagination import paginate
from competitions.promotion.models import Occupation
from competitions.registration import claims, contact, services
from competitions.registration.blueprint import bp
from competitions.registration.forms import ContactForm, SignUpForm, WorkerForm
from competitions.registration.models import Worker


def _today():
    return to_user_timezone(utcnow()).date()


def _employer_query() -> str:
    return request.args.get("employer_q", "").strip()


def _organiser_reach() -> list[str] | None:
    """Subtree paths an organiser may pick employers from; None means everywhere (admins)."""
    return None if current_user.is_admin else current_user.organiser_paths


def _details(form: WorkerForm) -> services.WorkerDetails:
    return services.WorkerDetails(
        name=form.name.data, id_number=form.id_number.data, phone=form.phone.data,
        employer=db.session.get(Organisation, form.employer.data) if form.employer.data else None,
        occupation=(db.session.get(Occupation, form.occupation.data)
                    if form.occupation.data else None),
        skill_level=form.skill_level.data,
        skill_certificate_no=form.skill_certificate_no.data, group=form.group.data)


def _show_worker(worker: Worker, contact_form: ContactForm | None = None):
    return render_template("registration/worker.html", worker=worker, today=_today(),
                           full=worker.can_see_personal_data(current_user),
                           contact_form=contact_form)


def _offer_claim(form: SignUpForm) -> bool:
    """An ID number of a profile an organiser created and nobody has claimed: sign-up would
    refuse it as taken, so point to claiming it instead (saying nothing of whose it is: an ID
    number is no proof). The number waits in the session, not in a URL that logs keep."""
    worker = claims.find_unclaimed(form.id_number.data)
    if worker is None or "csrf_token" in form.errors:
        return False
    session[claims.SESSION_KEY] = worker.id_number
    form.id_number.errors = [claims.CLAIMABLE]
    return True


@bp.route("/signup", methods=["GET", "POST"])
@throttle.limit_signup
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = SignUpForm()
    form.fill_choices(_employer_query(), within=None)
    valid = form.validate_on_submit()
    if form.is_submitted() and _offer_claim(form):
        return render_template("registration/sign_up.html", form=form, claim_offered=True,
                               employer_q=_employer_query())
    if valid:
        try:
            worker = services.sign_up_worker(
                _details(form), username=form.username.data, password=form.password.data,
                email=form.email.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            cookies.begin(worker.user, remember=False)
            db.session.commit()
            flash(_("Welcome, %(name)s: your worker profile has been created.", name=worker.name),
                  "success")
            return redirect(url_for("registration.my_profile"))
    return render_template("registration/sign_up.html", form=form,
                           employer_q=_employer_query())


@bp.route("/me", methods=["GET", "POST"])
@login_required
def my_profile():
    worker = current_user.worker
    if worker is None:
        return render_template("registration/no_profile.html"), 404
    # Self sign-up kept the e-mail on the account only (before Worker.email existed).
    form = ContactForm(data={"email": worker.email or current_user.email})
    if worker.phone:
        form.phone.description = _("Leave it empty to keep %(phone)s.",
                                   phone=mask_phone(worker.phone))
    if form.validate_on_submit():
        try:
            changed = contact.update_contact_details(current_user, worker, phone=form.phone.data,
                                                     email=form.email.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Your contact details have been saved.") if changed
                  else _("Your contact details are unchanged."), "success")
            return redirect(url_for("registration.my_profile"))
    return _show_worker(worker, contact_form=form)


@bp.route("/workers")
@organiser_required
def workers():
    query = request.args.get("q", "").strip()
    stmt = services.workers_query(current_user, query)
    org = None
    if "org" in request.args:
        org = db.get_or_404(Organisation, request.args.get("org", type=parse_id) or 0)
        if not current_user.manages(org):
            abort(403)
        stmt = stmt.where(Organisation.in_subtree(org.path))
    page = paginate(stmt)
    return render_template("registration/workers.html", page=page, query=query, org=org,
                           today=_today())


@bp.route("/workers/<int:worker_id>")
@login_required
def worker(worker_id):
    worker = db.get_or_404(Worker, worker_id)
    if not worker.can_view(current_user):
        abort(403)
    return _show_worker(worker)


@bp.route("/workers/new", methods=["GET", "POST"])
@organiser_required
def new_worker():
    form = WorkerForm()
    form.fill_choices(_employer_query(), within=_organiser_reach())
    if form.validate_on_submit():
        try:
            worker = services.create_worker(current_user, _details(form))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Worker %(name)s created.", name=worker.name), "success")
            return redirect(url_for("registration.worker", worker_id=worker.id))
    return render_template("registration/worker_form.html", form=form, worker=None,
                           employer_q=_employer_query())


@bp.route("/workers/<int:worker_id>/edit", methods=["GET", "POST"])
@login_required
def edit_worker(worker_id):
    worker = db.get_or_404(Worker, worker_id)
    if not worker.can_edit(current_user):
        abort(403)
    form = WorkerForm(data={
        "name": worker.name, "id_number": worker.id_number, "phone": worker.phone,
        "employer": worker.employer_id, "occupation": worker.occupation_id,
        "skill_level": worker.skill_level, "skill_certificate_no": worker.skill_certificate_no,
        "group": worker.group.value})
    form.fill_choices(_employer_query(), within=_organiser_reach(), keep=worker.employer)
    if form.validate_on_submit():
        try:
            services.update_worker(current_user, worker, _details(form))
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The profile of %(name)s has been saved.", name=worker.name), "success")
            return redirect(url_for("registration.worker", worker_id=worker.id))
    return render_template("registration/worker_form.html", form=form, worker=worker,
                           employer_q=_employer_query())
