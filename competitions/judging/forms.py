"""Forms for building a marking scheme: components, criteria, the spread threshold, copying."""

from decimal import Decimal

from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.judging.models import Aggregation, ComponentKind, CriterionKind


def finite(form, field) -> None:
    """Stop "NaN" and "Infinity", which Decimal accepts, before anything compares them."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Enter a number."))


def _decimal(label, *, low: str, high: str, default=None, description=None) -> DecimalField:
    return DecimalField(label, places=None, default=default, description=description,
                        validators=[InputRequired(), finite,
                                    NumberRange(Decimal(low), Decimal(high))])


class ComponentForm(Form):
    name = StringField(_l("Component name"), validators=[DataRequired(), Length(max=50)],
                       description=_l("e.g. 理论知识, 实际操作"))
    kind = SelectField(_l("Component type"), choices=ComponentKind.choices(),
                       coerce=ComponentKind.coerce)
    weight = _decimal(_l("Weight (%)"), low="0.01", high="100",
                      description=_l("Share of the total; all components together make 100."))


class ComponentEditForm(Form):
    name = ComponentForm.name
    weight = _decimal(_l("Weight (%)"), low="0.01", high="100")


class CriterionForm(Form):
    code = StringField(_l("Criterion code"), validators=[DataRequired(), Length(max=20)],
                       description=_l("e.g. A1"))
    description = TextAreaField(_l("Criterion description"),
                                validators=[DataRequired(), Length(max=2000)])
    max_mark = _decimal(_l("Maximum mark"), low="0.01", high="1000")
    step = _decimal(_l("Mark step"), low="0.01", high="50", default=Decimal("0.5"),
                    description=_l("Marks are multiples of this, e.g. 0.5."))
    kind = SelectField(_l("Marked by"), choices=CriterionKind.choices(),
                       coerce=CriterionKind.coerce, default=CriterionKind.MEASUREMENT)
    panel_size = IntegerField(_l("Panel size"), default=3,
                              validators=[InputRequired(), NumberRange(1, 15)],
                              description=_l("Judges on the panel of a judgement criterion "
                                             "(3 to 5); other kinds take one mark."))
    # The mean: dropping the highest and lowest marks needs 5 judges, and most panels have 3.
    aggregation = SelectField(_l("Panel mark"), choices=Aggregation.choices(),
                              coerce=Aggregation.coerce, default=Aggregation.MEAN)


class SpreadThresholdForm(Form):
    spread_threshold = _decimal(
        _l("Spread threshold (%)"), low="0.01", high="100", default=Decimal(20),
        description=_l("A panel whose marks for a criterion differ by more than this share "
                       "of its maximum is flagged for discussion before sign-off."))


class CopySchemeForm(Form):
    source_event_id = SelectField(_l("Copy the scheme of"), coerce=parse_id)


class ConfirmForm(Form):
    """Only the CSRF token: for removing and clearing."""
