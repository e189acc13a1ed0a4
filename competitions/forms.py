"""Helpers shared by every blueprint's views for forms and redirects."""

from urllib.parse import urlsplit

from flask import flash
from flask_babel import gettext as _

from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db


def apply_error(form, error) -> None:
    """Show a service's DomainError beside the field it names, or as a message at the top."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _labelled(form, field_name: str | None, message) -> str:
    """A message prefixed with the label of the field it is about, when there is one."""
    field = getattr(form, field_name, None) if field_name else None
    if field is None or not hasattr(field, "label"):
        return str(message)
    return _("%(field)s: %(message)s", field=field.label.text, message=message)


def act(form, action) -> bool:
    """For forms posted from a page that shows several: validate the form, run the service,
    commit. When the form or the service refuses, roll back, flash each reason under its
    field's label and return False; a PermissionDenied becomes the 403 page."""
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for error in errors:
                flash(_labelled(form, name, error), "error")
        return False
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, PermissionDenied):
            raise
        flash(_labelled(form, error.field, error.message), "error")
        return False
    db.session.commit()
    return True


def is_safe_next(url: str | None) -> bool:
    """Only same-site relative paths are followed after login or a form post."""
    if not url:
        return False
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc
            and url.startswith("/") and not url.startswith("//"))
