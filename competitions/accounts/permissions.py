"""View decorators. Object-level checks use the models' can_* predicates."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Platform administrators only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def organiser_required(view):
    """Anyone who organises some organisation (or an administrator)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not (current_user.is_admin or current_user.is_organiser):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
