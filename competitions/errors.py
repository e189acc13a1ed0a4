"""Domain errors raised by services, and the HTTP error pages.

An error page has to work when nothing else does: the database down, the transaction failed.
So every handler rolls the session back first and renders `errors/error.html` straight from the
Jinja environment, skipping the context processors and `current_user` (Flask-Login's would load
the user, the navigation's count notifications: both query the database). If even that fails,
or an exception escapes Flask's own handling, the answer is a static page, never the server's
bare "Internal Server Error". A lost or refused database connection answers 503 + Retry-After.
"""

from contextlib import suppress

import psycopg
import sqlalchemy.exc as sa_exc
from flask import current_app, g
from flask_babel import force_locale
from werkzeug.http import HTTP_STATUS_CODES

from competitions.extensions import db
from competitions.i18n import html_lang, select_locale_offline
from competitions.i18n import lazy_gettext as _l


class DomainError(Exception):
    """A refused action. `message` is a (lazily) translated sentence naming what failed."""

    def __init__(self, message, field: str | None = None):
        # Kept lazy: formatting it here would need a request to pick the language from.
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems: list[DomainError] = [self]  # every refusal found, this one first

    @classmethod
    def raise_all(cls, problems: list["DomainError"]) -> None:
        """Raise one error carrying every problem found, so that a form shows them together
        (each beside its field); its own message and field are the first problem's."""
        if problems:
            error = cls(problems[0].message, field=problems[0].field)
            error.problems = list(problems)
            raise error


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
    429: _l("Too many requests"),
    500: _l("Internal server error"),
    503: _l("Service temporarily unavailable"),
}

# The database cannot be reached: refused or lost connections, a pool with none left to give.
# (SQLAlchemy wraps psycopg's errors; psycopg's own is listed for code that uses it directly.)
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.DisconnectionError, sa_exc.TimeoutError,
                        psycopg.OperationalError)

# Last resort, when even the error template failed: no template, no translation, no query.
STATIC_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{code}</title></head>
<body>
<h1>{code}</h1>
<p>{zh}</p>
<p lang="en">{en}</p>
</body>
</html>
"""
STATIC_TEXTS = {
    503: ("服务暂时不可用，请稍后再试。",
          "The service is temporarily unavailable. Please try again later."),
    500: ("出错了，请稍后再试。", "Something went wrong. Please try again later."),
}


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an exception it came from, is a failed database connection."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DATABASE_UNAVAILABLE):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        # InternalServerError carries the unhandled exception it stands for.
        error = (getattr(error, "original_exception", None) or error.__cause__
                 or error.__context__)
    return False


def static_page(code: int) -> str:
    zh, en = STATIC_TEXTS.get(code, STATIC_TEXTS[500])
    return STATIC_PAGE.format(code=code, zh=zh, en=en)


def discard_transaction() -> None:
    """Roll back what the failed request left; a dead connection must not raise from here."""
    try:
        db.session.rollback()
    except Exception:
        with suppress(Exception):  # the connection is gone: drop it, don't pool it
            db.session.invalidate()


def render_error(code: int, message=None):
    """Our page for `code`, rendered without touching the database."""
    headers = {"Retry-After": str(current_app.config["RETRY_AFTER"])} if code == 503 else {}
    locale = select_locale_offline()  # before the rollback expires the signed-in user
    discard_transaction()
    try:
        with force_locale(locale):
            html = current_app.jinja_env.get_template("errors/error.html").render(
                code=code, title=ERROR_PAGES[code], message=message, html_lang=html_lang())
    except Exception:
        current_app.logger.exception("The %s error page failed; sent the static one", code)
        html = static_page(code)
    return html, code, headers


def register_error_handlers(app):
    from flask_wtf.csrf import CSRFError

    def http_error(error):
        if is_database_unavailable(error):  # e.g. the 500 for an error a lost connection caused
            return database_unavailable(error)
        if error.response is not None:  # made by whoever raised it (a rate limit's page)
            return error.response
        return render_error(error.code)

    for code in ERROR_PAGES:
        app.register_error_handler(code, http_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("The form has expired or was not sent from this site. "
                                    "Go back, reload the page and try again."))

    @app.errorhandler(PermissionDenied)
    def permission_denied(error):
        return render_error(403, error.message)

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)

    app.wsgi_app = LastResortPage(app)


def database_unavailable(error):
    current_app.logger.error("Database unavailable: %s", error)
    if "_login_user" not in g:
        # Who is signed in cannot be known now: the visitor counts as anonymous for the rest
        # of this request, so that no after_request hook retries the load and fails again.
        # The session cookie is left alone: once the database is back they are signed in.
        g._login_user = current_app.login_manager.anonymous_user()
    return render_error(503)


class LastResortPage:
    """WSGI middleware: an exception that escaped Flask's error handling (the 500 handler
    itself failed) gets the static page, not the server's bare text. security.py wraps this
    in the security headers. Under TESTING/DEBUG the exception propagates, as Flask's does."""

    def __init__(self, app):
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception as error:
            if self.propagates():
                raise
            self.app.logger.exception("Error handling failed; sent the static page")
            code = 503 if is_database_unavailable(error) else 500
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if code == 503:
                headers.append(("Retry-After", str(self.app.config["RETRY_AFTER"])))
            # No exc_info: Flask calls start_response last, so nothing has been sent yet.
            start_response(f"{code} {HTTP_STATUS_CODES[code]}", headers)
            return [static_page(code).encode()]

    def propagates(self) -> bool:
        """Flask's rule for handing an exception to the debugger or the test instead."""
        propagate = self.app.config["PROPAGATE_EXCEPTIONS"]
        return (self.app.testing or self.app.debug) if propagate is None else propagate
