"""A worker's account as their organiser sees it (a claim code for an unclaimed profile, a
reset link for a worker's forgotten password), and the worker claiming their profile, with
the account they have or with a new one."""

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.accounts import cookies, recovery, throttle, tokens
from competitions.accounts.blueprint import bp
from competitions.accounts.forms import (
    ClaimForm,
    SendClaimCodeForm,
    SignOutEverywhereForm,
)
from competitions.accounts.models import TokenPurpose
from competitions.accounts.views.links import shown_once
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error
from competitions.registration import claims
from competitions.registration.forms import SignUpForm
from competitions.registration.models import Worker


def _editable_worker(worker_id) -> Worker:
    worker = db.get_or_404(Worker, worker_id)
    if not worker.can_edit(current_user):
        abort(403)
    return worker


@bp.route("/workers/<int:worker_id>/access")
@login_required
def worker_access(worker_id):
    worker = _editable_worker(worker_id)
    account = worker.user
    return render_template("accounts/worker_access.html", worker=worker, account=account,
                           form=SignOutEverywhereForm(),
                           may_reset=account is not None and recovery.can_issue_reset(
                               current_user, account))


@bp.route("/workers/<int:worker_id>/claim-code", methods=["POST"])
@login_required
def issue_claim_code(worker_id):
    worker = _editable_worker(worker_id)
    if not SignOutEverywhereForm().validate_on_submit():
        abort(400)
    try:
        code = claims.issue_claim_code(current_user, worker)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.worker_access", worker_id=worker.id))
    db.session.commit()
    return shown_once("accounts/code_issued.html", worker=worker, code=code,
                       days=tokens.LIFETIMES[TokenPurpose.CLAIM].days)


@bp.route("/workers/<int:worker_id>/reset-link", methods=["POST"])
@login_required
def issue_reset_link(worker_id):
    worker = _editable_worker(worker_id)
    if worker.user is None or not SignOutEverywhereForm().validate_on_submit():
        abort(404 if worker.user is None else 400)
    try:
        link = recovery.issue_reset(current_user, worker.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.worker_access", worker_id=worker.id))
    db.session.commit()
    return shown_once("accounts/link_issued.html", account=worker.user, link=link,
                       purpose=TokenPurpose.RESET,
                       back=url_for("registration.worker", worker_id=worker.id))


# Claiming one's profile: signed in (an account without a profile), or signed out (a new
# account for the profile, opened by the claim itself).


class NewAccountClaimForm(ClaimForm):
    """A claim from someone signed out: the code, and the new account's name and password
    under the rules of sign-up."""

    username = SignUpForm.username
    password = SignUpForm.password
    confirm = SignUpForm.confirm


def _claim_forms(**form_args):
    form_class = ClaimForm if current_user.is_authenticated else NewAccountClaimForm
    return form_class(**form_args), SendClaimCodeForm(prefix="send")


def _has_profile() -> bool:
    return current_user.is_authenticated and current_user.worker is not None


def _settle(error: DomainError) -> None:
    """Keep a wrong code's count of attempts; forget everything else the claim did."""
    if isinstance(error, claims.WrongCode):
        db.session.commit()
    else:
        db.session.rollback()


@bp.route("/claim", methods=["GET", "POST"])
@throttle.limit_claim
def claim():
    if _has_profile():
        return redirect(url_for("registration.my_profile"))
    form, send = _claim_forms()
    if not form.is_submitted():  # an ID number carried over from sign-up
        form.id_number.data = send.id_number.data = session.get(claims.SESSION_KEY)
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                worker = claims.claim_profile(current_user, form.id_number.data,
                                              form.code.data)
            else:
                worker = claims.claim_with_new_account(
                    form.id_number.data, form.code.data, username=form.username.data,
                    password=form.password.data)
        except DomainError as error:
            _settle(error)
            apply_error(form, error)
        else:
            session.pop(claims.SESSION_KEY, None)
            if not current_user.is_authenticated:
                cookies.begin(worker.user, remember=False)
            db.session.commit()
            flash(_("The profile of %(name)s is now yours.", name=worker.name), "success")
            return redirect(url_for("registration.my_profile"))
    return render_template("accounts/claim.html", form=form, send=send)


@bp.route("/claim/send-code", methods=["POST"])
@throttle.limit_claim
def send_claim_code():
    if _has_profile():
        return redirect(url_for("registration.my_profile"))
    form, send = _claim_forms(formdata=None)
    if send.validate_on_submit():
        try:
            sent_to = claims.send_claim_code(
                current_user if current_user.is_authenticated else None, send.id_number.data,
                locale=str(get_locale()))
        except DomainError as error:
            db.session.rollback()
            apply_error(send, error)
        else:
            db.session.commit()
            if sent_to is None:
                flash(_("This profile has only a phone number on file, and text messages "
                        "cannot be sent yet. Ask your organiser for a claim code."), "info")
            else:
                flash(_("A code has been sent to %(address)s. It works once, within an hour.",
                        address=sent_to), "info")
            form.id_number.data = send.id_number.data
    return render_template("accounts/claim.html", form=form, send=send)
