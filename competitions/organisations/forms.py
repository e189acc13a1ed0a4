"""Forms for creating, editing and moving organisations."""

from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.organisations import industries
from competitions.organisations.models import EnterpriseSize, OrgKind, Ownership, Tier
from competitions.organisations.services import Profile
from competitions.spreadsheets.forms import spreadsheet_field

PROFILE_FIELDS = ("workforce", "workforce_year", "industry", "ownership", "size")


def _optional_text(value):
    return str(value) if value not in (None, "") else None


def _optional_enum(enum_cls):
    def coerce(value):
        return enum_cls.coerce(value) if value not in (None, "") else None
    return coerce


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

    # What the effectiveness evaluation needs: shown for employing units only (`without_profile`).
    workforce = IntegerField(_l("Workforce (职工人数)"), validators=[Optional()],
                             description=_l("Everyone the unit employs; leave empty if not known."))
    workforce_year = IntegerField(_l("Year counted"), validators=[Optional()],
                                  description=_l("The year the workforce was counted."))
    industry = SelectField(_l("Industry"), choices=[("", "—"), *industries.choices()],
                           coerce=_optional_text,
                           description=_l("The section of GB/T 4754 (国民经济行业分类)."))
    ownership = SelectField(_l("Ownership"), choices=[("", "—"), *Ownership.choices()],
                            coerce=_optional_enum(Ownership))
    size = SelectField(_l("Size"), choices=[("", "—"), *EnterpriseSize.choices()],
                       coerce=_optional_enum(EnterpriseSize))

    def __init__(self, *args, parent_tier: Tier | None = None, with_profile: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.tier.choices = tiers_up_to(parent_tier)
        if not with_profile:
            for name in PROFILE_FIELDS:
                delattr(self, name)

    def profile(self) -> Profile | None:
        """The posted profile, or None where the form shows none."""
        if "workforce" not in self._fields:
            return None
        return Profile(self.workforce.data, self.workforce_year.data, self.industry.data or None,
                       self.ownership.data, self.size.data)


CHOOSE_PARENT = _l("Choose the new parent among the organisations you manage.")


class MoveForm(Form):
    # The choices come from a name search, so any id may be posted back; the service decides.
    parent = SelectField(_l("New parent organisation"), coerce=parse_id, validate_choice=False,
                         validators=[InputRequired(message=CHOOSE_PARENT)])


class ProfileImportForm(Form):
    file = spreadsheet_field(_l("Spreadsheet (.xlsx)"),
                             _l("Use the template: one unit per row, at most 20,000 rows."))
