"""Domain errors raised by services, and the HTTP error pages."""

from flask import render_template
from flask_babel import gettext as _

from competitions.i18n import lazy_gettext as _l


class DomainError(Exception):
    """A refused action. `message` is a (lazily) translated sentence naming what failed."""

    def __init__(self, message, field: str | None = None):
        # Kept lazy: formatting it here would need a request to pick the language from.
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


ERROR_PAGES = {
    400: _l("Bad request"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("The upload is too large"),
    500: _l("Internal server error"),
}


def register_error_handlers(app):
    from flask_wtf.csrf import CSRFError

    def render_error(code, message=None):
        return render_template("errors/error.html", code=code,
                               title=ERROR_PAGES[code], message=message), code

    for code in ERROR_PAGES:
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form has expired or was not sent from this site. "
                                   "Go back, reload the page and try again."))

    @app.errorhandler(PermissionDenied)
    def permission_denied(error):
        return render_error(403, error.message)
