from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from competitions.forms import Form
from competitions.i18n import lazy_gettext as _l


class OccupationForm(Form):
    name = StringField(_l("Occupation"), validators=[DataRequired(), Length(max=100)],
                       description=_l("As named in the national occupational classification."))
    has_national_standard = BooleanField(_l("Has a national occupational standard"),
                                         default=True)
