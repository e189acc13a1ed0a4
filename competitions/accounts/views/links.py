"""Password-reset and invitation links: asking for one by e-mail, and setting the password
from one (organisers issue them in views/claims.py and views/officials.py)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from competitions.accounts import cookies, recovery, throttle, tokens
from competitions.accounts.blueprint import bp
from competitions.accounts.forms import (
    ForgotPasswordForm,
    SetPasswordForm,
)
from competitions.accounts.models import TokenPurpose
from competitions.database import utcnow
from competitions.errors import DomainError
from competitions.extensions import db
from competitions.forms import apply_error


@bp.route("/forgot", methods=["GET", "POST"])
@throttle.limit_reset
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_reset(form.login.data)
        db.session.commit()
        # The same words whether or not the account exists or has an address.
        flash(_("If the account has an e-mail address, a link to reset its password has been "
                "sent there; it works once, within an hour. Otherwise ask your organiser."),
              "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/link/<secret>", methods=["GET", "POST"])
def use_link(secret):
    try:
        token = tokens.find_link(secret, TokenPurpose.RESET, TokenPurpose.INVITE)
    except DomainError as error:
        return render_template("accounts/link_invalid.html", message=error.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user, purpose = recovery.set_password_from_link(secret, form.password.data)
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            cookies.end()
            if purpose is TokenPurpose.INVITE:
                cookies.begin(user, remember=False)
                user.last_login_at = utcnow()  # signed in: no invitation to resend
                db.session.commit()
                flash(_("Welcome, %(name)s: your password is set.", name=user.display_name),
                      "success")
                return redirect(url_for("accounts.dashboard"))
            db.session.commit()
            flash(_("Your password has been reset and every session of the account has been "
                    "signed out. Log in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    return shown_once("accounts/set_password.html", form=form, account=token.user,
                       purpose=token.purpose)


def shown_once(template: str, **context):
    """A page carrying a secret (or reached by one): not cached, its address not passed on."""
    return (render_template(template, **context),
            {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
