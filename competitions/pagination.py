"""Paginated lists: the one reading of `?page=` every list view uses."""

import re

from flask import abort, current_app, request

from competitions.extensions import db

MAX_PAGE = 100_000  # far past any list's end, and (page - 1) * PER_PAGE fits every database


def requested_page() -> int:
    """The page asked for in `?page=` (1 when absent); 404 for anything that is not a page
    number, such as `abc`, `0`, `①` or a number too large for the database's OFFSET."""
    text = request.args.get("page")
    if text is None:
        return 1
    if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= MAX_PAGE:
        abort(404)
    return int(text)


def paginate(stmt, **kwargs):
    """One page of `stmt`'s rows, `PER_PAGE` a page; a page past the end is a 404."""
    return db.paginate(stmt, page=requested_page(), per_page=current_app.config["PER_PAGE"],
                       error_out=True, **kwargs)
