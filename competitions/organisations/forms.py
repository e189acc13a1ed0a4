"""Forms for creating, editing and moving organisations."""

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import OrgKind, Tier


def tiers_up_to(top: Tier | None) -> list[tuple[str, str]]:
    """Tier choices no higher than `top` (all tiers for a top-level organisation), highest first."""
    return [(t.value, t.label) for t in reversed(Tier) if top is None or t <= top]


class OrganisationForm(Form):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=OrgKind.choices(), coerce=OrgKind.coerce)
    tier = SelectField(_l("Tier"), coerce=Tier.coerce,
                       description=_l("No higher than the parent organisation's tier."))
    region_code = StringField(
        _l("Administrative region code"), validators=[Optional(), Length(max=6)],
        filters=[lambda value: (value or "").strip() or None],
        description=_l("Six digits of GB/T 2260, e.g. 320100 for Nanjing. Certificates carry "
                       "it in their serial; left empty, the nearest parent's applies."))

    def __init__(self, *args, parent_tier: Tier | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier.choices = tiers_up_to(parent_tier)


CHOOSE_PARENT = _l("Choose the new parent among the organisations you manage.")


class MoveForm(Form):
    # The choices come from a name search, so any id may be posted back; the service decides.
    parent = SelectField(_l("New parent organisation"), coerce=parse_id, validate_choice=False,
                         validators=[InputRequired(message=CHOOSE_PARENT)])
