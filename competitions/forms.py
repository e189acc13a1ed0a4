"""Helpers shared by every blueprint's views for forms and redirects."""

from urllib.parse import urlsplit

from flask import flash


def apply_error(form, error) -> None:
    """Show a service's DomainError beside the field it names, or as a message at the top."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def is_safe_next(url: str | None) -> bool:
    """Only same-site relative paths are followed after login or a form post."""
    if not url:
        return False
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc
            and url.startswith("/") and not url.startswith("//"))
