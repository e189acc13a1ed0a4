"""Forms for appointing an event's judges and for score sheets."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from competitions.i18n import lazy_gettext as _l
from competitions.judging.panels import OFFICIAL_ROLES


class AppointOfficialForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[(r.value, r.label) for r in OFFICIAL_ROLES])
    unit = SelectField(_l("The judge's unit"), coerce=int, default=0)


class SheetForm(FlaskForm):
    """The fixed part of a score sheet; the marks are fields named mark-<criterion id>."""

    version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class DeclareConflictForm(FlaskForm):
    reason = TextAreaField(_l("Why you cannot mark this entrant"),
                           validators=[DataRequired(), Length(max=500)])
