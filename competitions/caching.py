"""Cache-Control: no page with personal data is kept in a browser or shared cache.

The rule is "every response to a signed-in user, and every answer to a posted form", static
files aside, rather than a list of the pages that show full ID numbers or phone numbers:
those pages (worker details and lists, entry lists, exports, the blind-code mapping) are only
ever shown to signed-in users, a list would miss the next such page, and a signed-in page is
personal anyway (names, marks, the inbox), so no-store costs nothing a cache could have saved;
it also keeps the Back button from showing them after logout. A form posted back may echo what
was typed (the sign-up's ID and phone numbers, before anyone is signed in). Public pages read
anonymously keep their default caching.
"""

from flask import request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

READS = ("GET", "HEAD")


def no_store(response):
    """Forbid storing `response` anywhere (it replaces send_file's no-cache/max-age)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.pop("Expires", None)
    return response


def register_no_store(app) -> None:
    @app.after_request
    def no_store_personal_pages(response):
        if request.endpoint != "static" and (request.method not in READS or _signed_in()):
            no_store(response)
        return response


def _signed_in() -> bool:
    try:
        return current_user.is_authenticated
    except SQLAlchemyError:  # the database is down (a 503 page): fail closed, never raise
        return True
