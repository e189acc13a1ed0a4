"""The base form and the helpers shared by every blueprint's views for forms and redirects."""

import re
from urllib.parse import urlsplit

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, TextAreaField
from wtforms.validators import InputRequired

from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.text_rules import find_text_problem, problem_message

MAX_ID = 2**31 - 1  # the largest INTEGER primary key


class Form(FlaskForm):
    """Every form of the platform: posted text holding a control character, a text-direction
    override or a stray accent mark is refused before any other check runs, so no validator,
    service or query ever sees it (PostgreSQL cannot store NUL; U+202E disguises a name)."""

    def validate(self, extra_validators=None) -> bool:
        self.refused_text = set()  # names of the fields refused here
        for field in _leaf_fields(self):
            texts = [v for v in (field.raw_data or ()) if isinstance(v, str)]
            multiline = isinstance(field, TextAreaField)
            problem = next((p for p in (find_text_problem(t, multiline=multiline)
                                        for t in texts) if p), None)
            if problem is not None:
                field.errors = [problem_message(problem, field.label.text)]
                self.refused_text.add(field.short_name)
        if self.refused_text:
            return False
        return super().validate(extra_validators)


class Confirmed:
    """Mixin for a stage change (开放报名, 截止报名, 重新开启): its button sits under the
    description of what it does, beside this flag. A post without the flag (an old page, a
    script) changes nothing and says why."""

    confirmed = HiddenField(default="1", validators=[InputRequired(
        message=_l("Nothing was changed: confirm the change after reading what it does."))])


def parse_id(value) -> int:
    """A posted row id (a select's value): ASCII digits, at most MAX_ID. ValueError otherwise,
    which a SelectField shows as an invalid choice: int() would take "１２" or 10**20, and the
    database then fails on a number too large for its column."""
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,10}", text) or int(text) > MAX_ID:
        raise ValueError(value)
    return int(text)


def register_input_checks(app) -> None:
    app.before_request(check_url_input)


def check_url_input() -> None:
    """A query-string value or URL part holding text no form accepts (a NUL above all, which
    PostgreSQL refuses even to compare) is a 400, and an id in the URL too large for any row a
    404, before any view queries with them. `next` is left to `is_safe_next`, which falls back
    to a safe page instead."""
    view_args = (request.view_args or {}).values()
    if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in view_args):
        abort(404)  # /workers/99999999999999999999: no such row, and too big for the database
    values = [value for key, value in request.args.items(multi=True) if key != "next"]
    values += [v for v in view_args if isinstance(v, str)]
    if any(find_text_problem(value) is not None for value in values):
        abort(400)


def _leaf_fields(form):
    """The form's fields, with those inside FieldList and FormField fields."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from (_leaf_fields(entry.form) if isinstance(entry, FormField)
                            else [entry])
        elif isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        else:
            yield field


def apply_error(form, error) -> None:
    """Show each problem of a service's DomainError beside the field it names, or as a
    message at the top."""
    for problem in getattr(error, "problems", [error]):
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")


def _labelled(form, field_name: str | None, message) -> str:
    """A message prefixed with the label of the field it is about, when there is one."""
    field = getattr(form, field_name, None) if field_name else None
    if field is None or not hasattr(field, "label") or field.type == "HiddenField":
        return str(message)  # a hidden field's label means nothing to the reader
    if field_name in getattr(form, "refused_text", ()):  # its message names its field already
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
        for problem in error.problems:
            flash(_labelled(form, problem.field, problem.message), "error")
        return False
    db.session.commit()
    return True


def is_safe_next(url: str | None) -> bool:
    """Only same-site relative paths are followed after login or a form post.

    Browsers treat a backslash as a slash (`/\\evil.example` is `//evil.example`) and drop tabs
    and line breaks from URLs, and a CR or LF in a Location header is refused by the server (or
    splits the response), so a path holding any of them, or any other control character, is
    not followed.
    """
    if not url or find_text_problem(url) is not None or "\\" in url:
        return False
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc
            and url.startswith("/") and not url.startswith("//"))
