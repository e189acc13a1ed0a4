"""Forms for the results pages: the competition's results settings, decryption to reopening,
appeals and their decisions, and the granting body's decision on a title."""

from decimal import Decimal

from wtforms import (
    DecimalField,
    FieldList,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.judging.forms import finite
from competitions.results.awards import AWARD_SCHEMES
from competitions.results.ranking import TIE_BREAKS
from competitions.results.settings import MAX_NOTICE_HOURS
from competitions.results.titles import TITLE_RULES

NO_TITLE_RULE = ""
NO_STEP = ""


def _text(label, *, rows=3, limit=2000, description=None) -> TextAreaField:
    # Blank texts are refused by the services, with the message every interface shares.
    return TextAreaField(label, validators=[Length(max=limit)], description=description,
                         render_kw={"rows": rows, "maxlength": limit})


def two_places_at_most(form, field) -> None:
    if field.data is not None and field.data.as_tuple().exponent < -2:
        raise ValidationError(_l("At most two decimal places."))


HOURS_IN = {"hours": 1, "days": 24}


def _amount(label, description) -> IntegerField:
    return IntegerField(label, default=5, validators=[InputRequired(), NumberRange(min=1)],
                        description=description,
                        render_kw={"min": 1, "step": 1, "size": 4, "inputmode": "numeric"})


def _unit(label) -> SelectField:
    return SelectField(label, default="days", validators=[InputRequired()],
                       choices=[("hours", _l("hours")), ("days", _l("days"))])


class ResultsSettingsForm(Form):
    """The presets and numbers a competition's results follow (DESIGN.md §4, RULES.md A/B)."""

    award_scheme = RadioField(_l("Award scheme"), validators=[InputRequired()],
                              choices=[(name, s.label) for name, s in AWARD_SCHEMES.items()])
    award_min_total = DecimalField(
        _l("Minimum total for any award"), places=None,
        validators=[Optional(), finite, NumberRange(Decimal(0), Decimal(100)),
                    two_places_at_most],
        description=_l("Optional. An entrant below it gets no award; the bands do not move."),
        render_kw={"inputmode": "decimal", "size": 6})
    title_rule = RadioField(_l("Honorary-title rule"), default=NO_TITLE_RULE,
                            choices=[(NO_TITLE_RULE, _l("No titles"))]
                            + [(name, r.label) for name, r in TITLE_RULES.items()])
    notice_period = _amount(_l("Public notice"), _l("How long published results stay on "
                                                    "public notice: 1 hour to 30 days."))
    notice_unit = _unit(_l("Unit of the public notice"))
    appeal_period = _amount(_l("Appeal window"), _l("How long after publication appeals are "
                                                    "accepted: at least 1 hour, and no longer "
                                                    "than the notice (e.g. 2 hours)."))
    appeal_unit = _unit(_l("Unit of the appeal window"))
    tie_breaks = FieldList(SelectField(
        coerce=str, choices=[(NO_STEP, _l("(no further step)"))]
        + [(name, label) for name, (_key, label) in TIE_BREAKS.items()]),
        min_entries=len(TIE_BREAKS), max_entries=len(TIE_BREAKS))
    advance_top_n = IntegerField(_l("Places that advance per event"), default=3,
                                 validators=[InputRequired(), NumberRange(1, 100)],
                                 description=_l("Used when the competition feeds a higher "
                                                "one; everyone tied at the cut-off goes "
                                                "through."))

    def validate_notice_period(self, field) -> None:
        hours = self.hours("notice")
        if hours is not None and hours > MAX_NOTICE_HOURS:
            raise ValidationError(_l("At most 30 days (720 hours)."))

    def validate_appeal_period(self, field) -> None:
        notice = None if self.notice_period.errors else self.hours("notice")
        appeal = self.hours("appeal")
        if notice is not None and appeal is not None and appeal > notice:
            raise ValidationError(_l("No longer than the public notice: appeals are decided "
                                     "before the results become final."))

    def hours(self, name: str) -> int | None:
        """The notice or appeal window in whole hours, as the competition keeps it."""
        amount, unit = self[f"{name}_period"].data, self[f"{name}_unit"].data
        return amount * HOURS_IN[unit] if amount is not None and unit in HOURS_IN else None

    def show_hours(self, name: str, hours: int) -> None:
        """Fill in a stored period, in days when it is whole days."""
        days, rest = divmod(hours, 24)
        self[f"{name}_period"].data = hours if rest else days
        self[f"{name}_unit"].data = "hours" if rest else "days"

    def validate_tie_breaks(self, field) -> None:
        chosen = [step.data for step in field if step.data]
        if not chosen:
            raise ValidationError(_l("Keep at least the first step: medals are not shared, "
                                     "so equal totals must be separated."))
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_l("Each tie-break may be used once."))

    @property
    def chain_errors(self) -> list:
        """The errors of the order as a whole (the steps' own errors are lists)."""
        return [error for error in self.tie_breaks.errors if not isinstance(error, list)]

    @property
    def chain(self) -> list[str]:
        """The chosen tie-break steps in order, empty steps dropped."""
        return [step.data for step in self.tie_breaks if step.data]


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


class TitleDecisionForm(Form):
    """The granting body's decision on one recommended title, as an organiser records it."""

    decision = RadioField(_l("Decision"), validators=[InputRequired()],
                          choices=[("approve", _l("Approved by the granting body")),
                                   ("decline", _l("Declined by the granting body"))])
    note = TextAreaField(_l("Note (e.g. the approving document's number)"),
                         validators=[Length(max=200)], render_kw={"rows": 1, "maxlength": 200})


def title_prefix(title_award_id: int) -> str:
    return f"title{title_award_id}"
