"""The results settings form: award rules (a preset with its numbers, or rules of the
organiser's own), title rules, the notice and appeal window, the tie-break order and
advancement (DESIGN.md §4, RULES.md A, B and D)."""

import re
from decimal import Decimal
from fractions import Fraction

from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    ValidationError,
)
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from competitions.forms import Form
from competitions.i18n import lazy_gettext as _l
from competitions.judging.forms import finite
from competitions.results.award_plans import (
    AWARD_PRESETS,
    TEN_TWENTY_THIRTY,
    AwardConfig,
    ExcellenceRule,
    MedalScheme,
    PrizeScheme,
)
from competitions.results.awards import MEDALS, PRIZES, Award
from competitions.results.ranking import TIE_BREAKS
from competitions.results.settings import CUSTOM, MAX_NOTICE_HOURS, preset_options
from competitions.results.titles import TITLE_RULES

NO_STEP = ""
MAX_PLACES = 10_000  # more places than any event has entrants
NONE = "none"
PRIZE_COUNTS, PRIZE_SHARES, PRIZES_10_20_30 = "counts", "shares", "10_20_30"
PLACES, SHARE, MIN_TOTAL = "places", "share", "min_total"
BY_PRIZES, BY_MEDALS = "prize", "medal"
# What the presets' own numbers are called on the settings page.
OPTION_LABELS = {"first": _l("First prizes"), "second": _l("Second prizes"),
                 "third": _l("Third prizes"), "excellence": _l("Excellence award places"),
                 "top": _l("Places recommended")}
MINIMUM_ORDER = (*PRIZES, *MEDALS, Award.EXCELLENCE)  # as the page lists the minimums


def two_places_at_most(form, field) -> None:
    if field.data is not None and field.data.as_tuple().exponent < -2:
        raise ValidationError(_l("At most two decimal places."))


class UsedWhen:
    """Checks a field only when `applies(form)`, and then requires it (unless `required` is
    false: a choice left out keeps its default); otherwise its input is ignored, as a preset's
    numbers are while another preset is chosen."""

    def __init__(self, applies, *, required: bool = True):
        self.applies, self.required = applies, required

    def __call__(self, form, field) -> None:
        if not self.applies(form):
            field.errors[:] = []
            raise StopValidation()
        if self.required and (not field.raw_data or not str(field.raw_data[0]).strip()):
            field.errors[:] = []
            raise StopValidation(field.gettext("This field is required."))


def _custom(form) -> bool:
    return form.award_scheme.data == CUSTOM


def _prizes(kind):
    return lambda form: _custom(form) and form.prize_scheme.data == kind


def _excellence(kind):
    return lambda form: _custom(form) and form.excellence.data == kind


def digits(form, field) -> None:
    """A whole number written in 0–9: int() also reads "１" and "٣"."""
    if field.raw_data and not re.fullmatch(r"\s*-?[0-9]{1,9}\s*", str(field.raw_data[0])):
        field.errors[:] = []
        raise StopValidation(field.gettext("Not a valid integer value."))


def _places(label, applies, *, minimum=0, default=None) -> IntegerField:
    return IntegerField(label, default=default,
                        validators=[UsedWhen(applies), digits, NumberRange(minimum, MAX_PLACES)],
                        render_kw={"min": minimum, "step": 1, "inputmode": "numeric"})


def _decimal(label, validators, description=None) -> DecimalField:
    """A number out of 100 (a total, or a share in percent), at most two decimal places."""
    return DecimalField(label, places=None, description=description,
                        validators=[*validators, finite,
                                    NumberRange(Decimal(0), Decimal(100)), two_places_at_most],
                        render_kw={"inputmode": "decimal", "min": 0, "max": 100,
                                   "step": "0.01"})


def _percent(label, applies) -> DecimalField:
    return _decimal(label, [UsedWhen(applies)])


def share_of(percent: Decimal) -> Fraction:
    """A share in percent as the exact fraction the award rules keep: 12.5 → 1/8."""
    return Fraction(percent) / 100


def percent_of(share: Fraction) -> Decimal:
    """A kept share in percent, exact when it is a whole number of hundredths of a percent."""
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return value if value.as_tuple().exponent >= -2 else value.quantize(Decimal("0.01"))


HOURS_IN = {"hours": 1, "days": 24}


def _amount(label, description) -> IntegerField:
    return IntegerField(label, default=5, validators=[InputRequired(), NumberRange(min=1)],
                        description=description,
                        render_kw={"min": 1, "step": 1, "size": 4, "inputmode": "numeric"})


def _unit(label) -> SelectField:
    return SelectField(label, default="days", validators=[InputRequired()],
                       choices=[("hours", _l("hours")), ("days", _l("days"))])


def option_name(kind: str, preset: str, option: str) -> str:
    """The field of a preset's own number: award_fixed_counts_first, title_national_wuyi_top."""
    return f"{kind}_{preset}_{option}"


def _with_numbers(form_class):
    """Add each preset's own numbers (fixed_counts: first, second, third; guizhou_2023:
    excellence places; national_wuyi: top), checked only while it is chosen, and the minimum
    total of each award."""
    for name, preset in AWARD_PRESETS.items():
        for option, default in preset.defaults.items():
            setattr(form_class, option_name("award", name, option), _places(
                OPTION_LABELS.get(option, option),
                lambda form, name=name: form.award_scheme.data == name, default=default))
    for name, rule in TITLE_RULES.items():
        for option, default in rule.defaults.items():
            setattr(form_class, option_name("title", name, option), _places(
                OPTION_LABELS.get(option, option),
                lambda form, name=name: name in (form.title_rules.data or ()), minimum=1,
                default=default))
    for award in Award:
        setattr(form_class, f"min_total_{award.value}", _decimal(award.label, [Optional()]))
    return form_class


@_with_numbers
class ResultsSettingsForm(Form):
    """The award rules, title rules and numbers a competition's results follow (DESIGN.md §4,
    RULES.md A/B): a preset with its own numbers, or custom award rules; minimum totals per
    award; any number of title rules. Its award rules are `award_config` once validated."""

    award_scheme = RadioField(_l("Award rules"), validators=[InputRequired()],
                              choices=[(name, p.label) for name, p in AWARD_PRESETS.items()]
                              + [(CUSTOM, _l("Custom"))])
    # Custom award rules: a prize scheme and/or medals, then 优胜奖 from one of them.
    prize_scheme = RadioField(
        _l("Prizes"), default=NONE, validators=[UsedWhen(_custom, required=False)],
        choices=[(NONE, _l("No prizes")),
                 (PRIZE_COUNTS, _l("First, second and third prizes in fixed numbers")),
                 (PRIZE_SHARES, _l("First, second and third prizes to shares of the entrants "
                                   "(percent, cumulative)")),
                 (PRIZES_10_20_30, _l("First, second and third prizes to the top 10, 20 and "
                                      "30 percent"))])
    prize_count_first = _places(_l("First prizes"), _prizes(PRIZE_COUNTS), default=1)
    prize_count_second = _places(_l("Second prizes"), _prizes(PRIZE_COUNTS), default=2)
    prize_count_third = _places(_l("Third prizes"), _prizes(PRIZE_COUNTS), default=3)
    prize_share_first = _percent(_l("First prizes: the top (percent)"), _prizes(PRIZE_SHARES))
    prize_share_second = _percent(_l("Second prizes: down to (percent)"),
                                  _prizes(PRIZE_SHARES))
    prize_share_third = _percent(_l("Third prizes: down to (percent)"), _prizes(PRIZE_SHARES))
    medals = BooleanField(_l("Gold, silver and bronze for places 1 to 3"), default=True)
    excellence = RadioField(
        _l("Excellence awards"), default=NONE, validators=[UsedWhen(_custom, required=False)],
        choices=[(NONE, _l("No excellence awards")),
                 (PLACES, _l("A fixed number of places after the other awards")),
                 (SHARE, _l("Down to a share of the entrants, the cut-off place rounded up")),
                 (MIN_TOTAL, _l("Every other entrant reaching the minimum total"))])
    excellence_places = _places(_l("Places"), _excellence(PLACES), minimum=1)
    excellence_share = _percent(_l("Down to (percent of the entrants)"), _excellence(SHARE))
    excellence_min_total = _decimal(_l("Minimum total"), [UsedWhen(_excellence(MIN_TOTAL))])
    excellence_by = RadioField(
        _l("When both prizes and medals are given, the excellence awards follow"),
        default=BY_PRIZES, validators=[UsedWhen(_custom, required=False)],
        choices=[(BY_PRIZES, _l("the prizes: a fixed number of places counts from the last "
                                "third prize")),
                 (BY_MEDALS, _l("the medals: a fixed number of places counts from the "
                                "bronze"))])
    title_rules = SelectMultipleField(
        _l("Honorary-title rules"), default=(),
        choices=[(name, rule.label) for name, rule in TITLE_RULES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
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

    award_config: dict | None = None  # the award rules' JSON, once validate() accepts them

    # The parts of the page

    def award_options(self, preset: str) -> list:
        return [self[option_name("award", preset, option)]
                for option in AWARD_PRESETS[preset].defaults]

    def title_options(self, rule: str) -> list:
        return [self[option_name("title", rule, option)] for option in TITLE_RULES[rule].defaults]

    def minimum(self, award: Award):
        return self[f"min_total_{award.value}"]

    @property
    def minimums(self) -> list:
        return [self.minimum(award) for award in MINIMUM_ORDER]

    # Validation

    def validate_prize_share_second(self, field) -> None:
        self._cumulative(self.prize_share_first, field)

    def validate_prize_share_third(self, field) -> None:
        self._cumulative(self.prize_share_second, field)

    @staticmethod
    def _cumulative(before, field) -> None:
        if (not before.errors and before.data is not None and field.data is not None
                and field.data < before.data):
            raise ValidationError(_l("At least the share before it: the shares are "
                                     "cumulative."))

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

    def validate_tie_breaks(self, field) -> None:
        chosen = [step.data for step in field if step.data]
        if not chosen:
            raise ValidationError(_l("Keep at least the first step: medals are not shared, "
                                     "so equal totals must be separated."))
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_l("Each tie-break may be used once."))

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the award rules they make together (kept in `award_config`)."""
        self.award_config = None
        if not super().validate(extra_validators):
            return False
        try:
            rules = self._award_rules()
        except ValueError:  # the fields' checks above should leave none: a safety net
            self.award_scheme.errors.append(_l("These award rules are incomplete or "
                                               "inconsistent: check each award's numbers."))
            return False
        if rules is None:
            return False
        minimums = {award: self.minimum(award).data for award in Award
                    if self.minimum(award).data is not None}
        given = rules.awards_given()
        for award in minimums:
            if award not in given:
                self.minimum(award).errors.append(_l("These award rules give no such award."))
        if any(award not in given for award in minimums):
            return False
        self.award_config = AwardConfig(prize=rules.prize, medal=rules.medal,
                                        min_totals=minimums).to_json()
        return True

    def _award_rules(self) -> AwardConfig | None:
        """The chosen preset's config for its numbers, or the custom rules (no minimums)."""
        if not _custom(self):
            preset = AWARD_PRESETS[self.award_scheme.data]
            fields = self.award_options(self.award_scheme.data)
            return preset.config(**{option: field.data for option, field in
                                    zip(preset.defaults, fields, strict=True)})
        prize = self._prize_scheme()
        medal = MedalScheme() if self.medals.data else None
        if prize is None and medal is None:
            self.prize_scheme.errors.append(_l("Give prizes, medals or both."))
            return None
        excellence = self._excellence_rule()
        if excellence is not None:
            if prize is not None and (medal is None or self.excellence_by.data == BY_PRIZES):
                prize = PrizeScheme(counts=prize.counts, shares=prize.shares,
                                    excellence=excellence)
            else:
                medal = MedalScheme(excellence=excellence)
        return AwardConfig(prize=prize, medal=medal)

    def _prize_scheme(self) -> PrizeScheme | None:
        kind = self.prize_scheme.data
        if kind == PRIZE_COUNTS:
            return PrizeScheme(counts=(self.prize_count_first.data, self.prize_count_second.data,
                                       self.prize_count_third.data))
        if kind == PRIZE_SHARES:
            return PrizeScheme(shares=tuple(share_of(field.data) for field in (
                self.prize_share_first, self.prize_share_second, self.prize_share_third)))
        if kind == PRIZES_10_20_30:
            return PrizeScheme(shares=TEN_TWENTY_THIRTY)
        return None

    def _excellence_rule(self) -> ExcellenceRule | None:
        kind = self.excellence.data
        if kind == PLACES:
            return ExcellenceRule(places=self.excellence_places.data)
        if kind == SHARE:
            return ExcellenceRule(share=share_of(self.excellence_share.data))
        if kind == MIN_TOTAL:
            return ExcellenceRule(min_total=self.excellence_min_total.data)
        return None

    @property
    def chosen_title_rules(self) -> list[list]:
        """The chosen title rules in the page's order, each with its own numbers."""
        chosen = set(self.title_rules.data or ())
        return [[name, {option: field.data for option, field in
                        zip(rule.defaults, self.title_options(name), strict=True)}]
                for name, rule in TITLE_RULES.items() if name in chosen]

    # Showing what is stored

    def show_rules(self, award_scheme: str, config: AwardConfig, title_rules: list) -> None:
        """Fill in the stored award and title rules; custom rules fill the custom fields."""
        self.award_scheme.data = award_scheme if award_scheme in AWARD_PRESETS else CUSTOM
        if award_scheme in AWARD_PRESETS:
            options = preset_options(award_scheme, config) or {}
            for option, field in zip(AWARD_PRESETS[award_scheme].defaults,
                                     self.award_options(award_scheme), strict=True):
                field.data = options.get(option, field.data)
        else:
            self._show_custom(config)
        for award, minimum in config.min_totals.items():
            self.minimum(award).data = minimum
        self.title_rules.data = [name for name, _options in title_rules if name in TITLE_RULES]
        for name, options in title_rules:
            if name in TITLE_RULES:
                for option, field in zip(TITLE_RULES[name].defaults, self.title_options(name),
                                         strict=True):
                    field.data = (options or {}).get(option, field.data)

    def _show_custom(self, config: AwardConfig) -> None:
        prize = config.prize
        if prize is None:
            self.prize_scheme.data = NONE
        elif prize.counts is not None:
            self.prize_scheme.data = PRIZE_COUNTS
            self.prize_count_first.data, self.prize_count_second.data, \
                self.prize_count_third.data = prize.counts
        elif prize.shares == TEN_TWENTY_THIRTY:
            self.prize_scheme.data = PRIZES_10_20_30
        else:
            self.prize_scheme.data = PRIZE_SHARES
            self.prize_share_first.data, self.prize_share_second.data, \
                self.prize_share_third.data = (percent_of(share) for share in prize.shares)
        self.medals.data = config.medal is not None
        rule = config.excellence
        self.excellence_by.data = (BY_PRIZES if prize is not None and prize.excellence
                                   else BY_MEDALS)
        if rule is None:
            self.excellence.data = NONE
        elif rule.places is not None:
            self.excellence.data, self.excellence_places.data = PLACES, rule.places
        elif rule.share is not None:
            self.excellence.data, self.excellence_share.data = SHARE, percent_of(rule.share)
        else:
            self.excellence.data, self.excellence_min_total.data = MIN_TOTAL, rule.min_total

    # The notice, the appeal window and the tie-break order

    def hours(self, name: str) -> int | None:
        """The notice or appeal window in whole hours, as the competition keeps it."""
        amount, unit = self[f"{name}_period"].data, self[f"{name}_unit"].data
        return amount * HOURS_IN[unit] if amount is not None and unit in HOURS_IN else None

    def show_hours(self, name: str, hours: int) -> None:
        """Fill in a stored period, in days when it is whole days."""
        days, rest = divmod(hours, 24)
        self[f"{name}_period"].data = hours if rest else days
        self[f"{name}_unit"].data = "hours" if rest else "days"

    @property
    def chain_errors(self) -> list:
        """The errors of the order as a whole (the steps' own errors are lists)."""
        return [error for error in self.tie_breaks.errors if not isinstance(error, list)]

    @property
    def chain(self) -> list[str]:
        """The chosen tie-break steps in order, empty steps dropped."""
        return [step.data for step in self.tie_breaks if step.data]

