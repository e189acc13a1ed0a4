"""Forms for appointing an event's judges and for score sheets."""

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.judging.panels import OFFICIAL_ROLES


class AppointOfficialForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[(r.value, r.label) for r in OFFICIAL_ROLES])
    unit = SelectField(_l("The judge's unit"), coerce=parse_id, default=0)


class SheetForm(Form):
    """The fixed part of a score sheet; the marks are fields named mark-<criterion id>."""

    version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class DeclareConflictForm(Form):
    reason = TextAreaField(_l("Why you cannot mark this entrant"),
                           validators=[DataRequired(), Length(max=500)])
