"""Forms for the results pages: decryption to reopening, appeals and their decisions, and the
granting body's decision on a title (the settings form is in settings_form.py)."""

from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l


def optional_id(value) -> int | None:
    return None if value in (None, "", "None") else parse_id(value)


def _text(label, *, rows=3, limit=2000, description=None) -> TextAreaField:
    # Blank texts are refused by the services, with the message every interface shares.
    return TextAreaField(label, validators=[Length(max=limit)], description=description,
                         render_kw={"rows": rows, "maxlength": limit})


class ConfirmForm(Form):
    """Decrypting, publishing and finalising: one button each, with a CSRF token."""


class ReasonForm(Form):
    """Reopening final results."""

    reason = _text(_l("Reason for reopening"), rows=2, limit=1000)


class AppealForm(Form):
    entry_id = SelectField(_l("Entry appealed for"), coerce=parse_id, validators=[InputRequired()])
    text = _text(_l("The appeal"), rows=6, limit=5000,
                 description=_l("In writing: what is contested (criterion, mark, rank) "
                                "and why."))


class AppealDecisionForm(Form):
    decision = RadioField(_l("Decision"), validators=[InputRequired()],
                          choices=[("upheld", _l("Uphold: the chief judge corrects the marks")),
                                   ("dismissed", _l("Dismiss: the results stand"))])
    reason = _text(_l("Reasons for the decision"), rows=4)
    # Choices are the event's criteria (set by the view); the chief judge is told which to check.
    criterion_id = SelectField(_l("Criterion to re-check (when upholding)"),
                               coerce=optional_id, validators=[Optional()])


class TitleDecisionForm(Form):
    """The granting body's decision on one recommended title, as an organiser records it."""

    decision = RadioField(_l("Decision"), validators=[InputRequired()],
                          choices=[("approve", _l("Approved by the granting body")),
                                   ("decline", _l("Declined by the granting body"))])
    note = TextAreaField(_l("Note (e.g. the approving document's number)"),
                         validators=[Length(max=200)], render_kw={"rows": 1, "maxlength": 200})


def title_prefix(title_award_id: int) -> str:
    return f"title{title_award_id}"
