"""A worker's own contact details: the phone and e-mail organisers use to reach them.

The worker edits only these; name, ID number and employer stay with the organisers. A worker
with an account logs in with the same phone and e-mail (accounts/services.find_user_by_login),
so the account's copies change with the profile's and stay unique among accounts.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from competitions.accounts.services import _check_unique
from competitions.audit.services import record
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.masking import mask_phone
from competitions.registration.models import Worker
from competitions.registration.services import InvalidWorker, normalise_phone

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def mask_email(email: str | None) -> str:
    """z***@example.com: enough to follow a change in the log, not to write to."""
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _snapshot(worker: Worker) -> dict:
    return {"phone": mask_phone(worker.phone), "email": mask_email(worker.email)}


def update_contact_details(actor, worker: Worker, *, phone: str | None,
                           email: str | None) -> bool:
    """Set the worker's phone and e-mail (and their account's); True when anything changed.
    An empty `phone` keeps the number on file. Flushes, never commits."""
    if worker.user_id is None or getattr(actor, "id", None) != worker.user_id:
        raise PermissionDenied(_l("Only the worker edits their own contact details."))
    phone = normalise_phone(phone) or worker.phone
    if phone is None:
        raise InvalidWorker(_l("Give a mobile phone number: organisers call it to reach you."),
                            field="phone")
    email = (email or "").strip().lower() or None
    if email and not EMAIL_RE.fullmatch(email):
        raise InvalidWorker(_l("%(email)s is not an e-mail address.", email=email),
                            field="email")
    user = worker.user
    _check_unique(user.username, email, phone, exclude=user)
    if (worker.phone, worker.email, user.phone, user.email) == (phone, email, phone, email):
        return False  # the same details posted again
    before = _snapshot(worker)
    try:
        # Two accounts taking one phone or e-mail at once both pass the check above; the
        # unique constraints stop the second, which gets a message instead of an error.
        with db.session.begin_nested():
            worker.phone, worker.email = phone, email
            user.phone, user.email = phone, email
            db.session.flush()
    except sa.exc.IntegrityError:
        raise InvalidWorker(_l("Someone has just taken this phone number or e-mail address. "
                               "Check them and try again."), field="phone") from None
    record(actor, "worker.contact", worker, before=before, after=_snapshot(worker))
    return True
