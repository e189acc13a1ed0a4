"""The public certificate check, where a certificate's QR code leads.

A serial alone shows nothing: without its token the answer is the page an unknown serial gets
(the same words, the same status code), so serials cannot be enumerated, and lookups are
throttled per client address."""

import hmac

import sqlalchemy as sa
from flask import current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _

from competitions.certificates.forms import LookupForm
from competitions.certificates.models import Certificate
from competitions.certificates.serials import TOKEN_LENGTH, normalise_serial, normalise_token
from competitions.certificates.services import issuers_of_certificate
from competitions.certificates.wording import what_for
from competitions.errors import render_error
from competitions.extensions import db, limiter
from competitions.masking import mask_name
from competitions.public.views import bp

_DUMMY_TOKEN = "X" * TOKEN_LENGTH


def find_certificate(serial: str, token: str) -> Certificate | None:
    """The certificate with this serial and token; None for a wrong token or an unknown
    serial alike, and after the same token comparison either way."""
    serial, token = normalise_serial(serial), normalise_token(token)
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial)) \
        if serial else None
    matches = hmac.compare_digest(token.encode(), (cert.token if cert else _DUMMY_TOKEN)
                                  .encode())
    return cert if cert is not None and matches else None


def _throttled(limit):
    return make_response(render_error(429, _("Too many certificate checks from your network. "
                                             "Please try again in a minute.")))


def limit_lookups(view):
    return limiter.limit(lambda: current_app.config["CERTIFICATE_LOOKUP_LIMITS"],
                         scope="certificate-lookup", on_breach=_throttled)(view)


def _verdict(cert: Certificate | None):
    """The answer, which never repeats what was asked: the language switch returns to the
    empty form, and the token goes to no other site in a Referer."""
    page = render_template(
        "public/verify.html", cert=cert, looked_up=True, form=LookupForm(formdata=None),
        masked_name=mask_name(cert.holder_name) if cert else None,
        what_for=what_for(cert) if cert else None,
        issuers=issuers_of_certificate(cert) if cert else [],
        language_next=url_for("public.verify_lookup"))
    return page, 200 if cert else 404, {"Referrer-Policy": "no-referrer",
                                         "Cache-Control": "no-store"}


@bp.route("/verify/<serial>")
@limit_lookups
def verify(serial):
    """Where the QR code leads: /verify/<serial>?t=<token>."""
    return _verdict(find_certificate(serial, request.args.get("t", "")))


@bp.route("/verify", methods=["GET", "POST"])
@limit_lookups
def verify_lookup():
    """The serial and verification code typed by hand."""
    form = LookupForm()
    if form.validate_on_submit():
        return _verdict(find_certificate(form.serial.data, form.token.data))
    return render_template("public/verify.html", cert=None, looked_up=False, form=form)
