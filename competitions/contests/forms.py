from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from competitions.contests.models import CompetitionClass, EventGroup
from competitions.forms import Confirmed, Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Tier
from competitions.promotion.levels import SkillLevel
from competitions.results.honours import HonourTitle

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
TEXT_MAX = 5000  # a description or a schedule


def _optional_enum(enum_cls):
    return lambda value: enum_cls(value) if value not in (None, "", "None") else None


class CompetitionForm(Form):
    name = StringField(_l("Competition name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("e.g. 2026年南京市职工职业技能大赛"))
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    organiser_id = SelectField(_l("Organised by"), coerce=parse_id)
    tier = SelectField(_l("Tier"), choices=[t for t in Tier.choices() if t[0] != "international"],
                       coerce=Tier.coerce)
    competition_class = SelectField(_l("Class"), choices=CompetitionClass.choices(),
                                    coerce=CompetitionClass.coerce)
    # Browsers send and show datetime-local values as 2026-09-30T17:00 (local time).
    registration_opens_at = DateTimeLocalField(_l("Registration opens"), format=LOCAL_FORMAT,
                                               validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes"), format=LOCAL_FORMAT,
                                                validators=[Optional()])
    starts_on = DateField(_l("Contest starts"), validators=[Optional()])
    ends_on = DateField(_l("Contest ends"), validators=[Optional()])
    feeds_id = SelectField(_l("Winners go on to"), coerce=parse_id, validators=[Optional()],
                           description=_l("A competition of a higher tier that this one feeds."))
    advance_top_n = IntegerField(_l("Places that advance per event"), default=3,
                                 validators=[DataRequired(), NumberRange(1, 100)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=TEXT_MAX)],
        render_kw={"rows": 6},
        description=_l("Shown on the competition's public page: what it is for, who may "
                       "enter, prizes and promotion."))
    # Stored by contests.services.set_rules_document, which checks it is a PDF by its content.
    rules_file = FileField(
        _l("Rules document (竞赛规程, PDF)"),
        description=_l("Anyone may open it from the public page. A new upload replaces the "
                       "current one; leave empty to keep it."))


class EventForm(Form):
    occupation_id = SelectField(_l("Occupation"), coerce=parse_id)
    group = SelectField(_l("Group"), choices=EventGroup.choices(), coerce=EventGroup.coerce)
    team_size = IntegerField(_l("Team size"), default=1, validators=[NumberRange(1, 10)],
                             description=_l("1 for an individual event."))
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(1, 100000)],
                            description=_l("Leave empty for no limit."))
    quota_per_org = IntegerField(_l("Quota per unit"), default=3,
                                 validators=[Optional(), NumberRange(1, 1000)],
                                 description=_l("Entries each nominating unit may send."))
    min_age = IntegerField(_l("Minimum age"), default=16, validators=[Optional(),
                                                                      NumberRange(10, 80)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(10, 80)])
    until_retirement = BooleanField(_l("Only until statutory retirement age"), default=True)
    female_retirement_base = SelectField(
        _l("Women's original retirement age"), coerce=int, default=55,
        choices=[(55, _l("55 (cadres and most posts)")), (50, _l("50 (production workers)"))])
    min_level = SelectField(_l("Lowest skill level"), coerce=_optional_enum(SkillLevel),
                            choices=[("", _l("Any"))] + SkillLevel.choices(),
                            validators=[Optional()])
    max_level = SelectField(_l("Highest skill level"), coerce=_optional_enum(SkillLevel),
                            choices=[("", _l("Any"))] + SkillLevel.choices(),
                            validators=[Optional()])
    barred_titles = SelectMultipleField(_l("Titles that bar entry"),
                                        choices=HonourTitle.choices(), validators=[Optional()])
    # Never ticked for the organiser: a city contest whose workers register themselves
    # would otherwise turn every one of them away.
    nomination_required = BooleanField(
        _l("A nomination is required"),
        description=_l("Tick only when entrants must be nominated by their unit or come "
                       "from a lower-tier contest."))
    checkin_at = DateTimeLocalField(
        _l("Check-in time"), format=LOCAL_FORMAT, validators=[Optional()],
        description=_l("When entrants report on the day; they are told it at the draw."))
    venue = StringField(
        _l("Check-in place"), validators=[Optional(), Length(max=200)],
        description=_l("Where entrants report on the day; they are told it at the draw."))
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=TEXT_MAX)], render_kw={"rows": 4},
        description=_l("What the contest tests, shown on the event's public page."))
    schedule = TextAreaField(
        _l("Schedule"), validators=[Optional(), Length(max=TEXT_MAX)], render_kw={"rows": 4},
        description=_l("The theory and practical parts: when and where. Line breaks are kept."))
    required_documents = TextAreaField(
        _l("Documents each entrant uploads"), validators=[Optional(), Length(max=1100)],
        render_kw={"rows": 3},
        description=_l("One per line, e.g. 职业技能等级证书复印件; at most 10."))


class AppointForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), coerce=str)


class StageChangeForm(Confirmed, Form):
    """Opening or closing registration: the button under the description of its effects."""


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])
