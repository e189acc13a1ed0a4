"""Domain errors raised by services, and the HTTP error pages."""

from flask import render_template
from flask_babel import gettext as _


class DomainError(Exception):
    """A refused action. `message` is a (lazily) translated sentence naming what failed."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


ERROR_PAGES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    500: "Internal server error",
}


def register_error_handlers(app):
    from flask_wtf.csrf import CSRFError

    def render_error(code, message=None):
        return render_template("errors/error.html", code=code,
                               title=_(ERROR_PAGES[code]), message=message), code

    for code in ERROR_PAGES:
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form has expired or was not sent from this site. "
                                   "Go back, reload the page and try again."))

    @app.errorhandler(PermissionDenied)
    def permission_denied(error):
        return render_error(403, error.message)
