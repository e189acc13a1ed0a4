"""Forms of the promotion pages: the decisions on an eligibility (one or a batch), and the
competition's promotion rules (a preset, none, or bands of the organiser's own)."""

from __future__ import annotations

import re
from decimal import Decimal

from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.judging.forms import finite
from competitions.promotion import rules as engine
from competitions.promotion.levels import SkillLevel
from competitions.results.awards import Award
from competitions.results.settings_form import percent_of, share_of

# --- decisions ------------------------------------------------------------------------------

CONFIRM, DECLINE = "confirm", "decline"


def _document_no() -> StringField:
    return StringField(_l("Approval document number (文号)"),
                       validators=[DataRequired(), Length(max=60)],
                       description=_l("The human-resources authority's approval, e.g. "
                                      "苏人社函〔2026〕12号."))


def _certificate_no(required: bool = False) -> StringField:
    return StringField(_l("Skill-level certificate number"),
                       validators=[DataRequired() if required else Optional(), Length(max=30)],
                       description=_l("22 characters: Y or S and 21 digits. It can be added "
                                      "later."))


class ConfirmForm(Form):
    document_no = _document_no()
    certificate_no = _certificate_no()


class DeclineForm(Form):
    reason = TextAreaField(_l("Reason for declining"), validators=[DataRequired(),
                                                                   Length(max=1000)],
                           description=_l("The worker and their unit see it."))


class CertificateForm(Form):
    certificate_no = _certificate_no(required=True)


class BatchForm(Form):
    """The ticked rows, all confirmed with one 文号 or all declined with one reason."""

    ids = SelectMultipleField(_l("Eligibilities"), coerce=parse_id, validate_choice=False,
                              validators=[DataRequired(_l("Tick at least one row."))])
    action = RadioField(_l("Decision"), default=CONFIRM, validators=[InputRequired()],
                        choices=[(CONFIRM, _l("Confirm all ticked")),
                                 (DECLINE, _l("Decline all ticked"))])
    document_no = StringField(_l("Approval document number (文号)"),
                              validators=[Optional(), Length(max=60)])
    reason = TextAreaField(_l("Reason for declining"), validators=[Optional(), Length(max=1000)])

    def validate_document_no(self, field) -> None:
        if self.action.data == CONFIRM and not (field.data or "").strip():
            raise ValueError(_l("Give the approval document's number (文号)."))

    def validate_reason(self, field) -> None:
        if self.action.data == DECLINE and not (field.data or "").strip():
            raise ValueError(_l("Give a reason for declining; the worker sees it."))


# --- the rules ------------------------------------------------------------------------------

NONE, CUSTOM = "none", "custom"
BAND_ROWS = 4
RANKS, SHARES, AWARDS = "ranks", "shares", "awards"
LEVELS = [level for level in SkillLevel if SkillLevel.LEVEL_5 <= level <= engine.HIGHEST]
LEVEL_CHOICES = [("", _l("(not promoted)"))] + [(level.value, engine.LEVEL_NAMES[level])
                                                for level in LEVELS]


def _digits(form, field) -> None:
    if field.raw_data and field.raw_data[0].strip() and not re.fullmatch(
            r"\s*[0-9]{1,6}\s*", field.raw_data[0]):
        field.errors[:] = []
        raise ValueError(field.gettext("Not a valid integer value."))


def _place(label) -> IntegerField:
    return IntegerField(label, validators=[Optional(), _digits, NumberRange(1, 100_000)],
                        render_kw={"min": 1, "step": 1, "inputmode": "numeric", "size": 4})


def _percent(label) -> DecimalField:
    return DecimalField(label, places=None, validators=[Optional(), finite,
                                                        NumberRange(Decimal(0), Decimal(100))],
                        render_kw={"min": 0, "max": 100, "step": "0.01", "inputmode": "decimal",
                                   "size": 5})


def _level(label) -> SelectField:
    return SelectField(label, choices=LEVEL_CHOICES, default="")


class BandForm(SubForm):
    """One band row; a row left empty is not used."""

    label = StringField(_l("Band"), validators=[Optional(), Length(max=60)],
                        render_kw={"placeholder": "前5名"})
    kind = SelectField(_l("Taken by"), default=RANKS,
                       choices=[(RANKS, _l("Places")),
                                (SHARES, _l("Share of entrants (percent)")),
                                (AWARDS, _l("Awards"))])
    first = _place(_l("From place"))
    last = _place(_l("To place"))
    share_after = _percent(_l("Below the top (percent)"))
    share_up_to = _percent(_l("Down to (percent)"))
    awards = SelectMultipleField(_l("Awards"), choices=[(a.value, a.label) for a in Award],
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), default=())
    employee_target = _level(_l("Employees: promoted to"))
    employee_cap = _level(_l("Employees: at most (one level up from the target on)"))
    student_target = _level(_l("Students: promoted to"))
    student_cap = _level(_l("Students: at most"))

    @property
    def is_used(self) -> bool:
        return bool((self.label.data or "").strip() or self.first.data or self.last.data
                    or self.share_up_to.data or self.awards.data
                    or self.employee_target.data or self.student_target.data)


class RulesForm(Form):
    scheme = RadioField(_l("Promotion rules"), validators=[InputRequired()],
                        choices=[(NONE, _l("None: this competition promotes nobody"))]
                        + [(name, name) for name in engine.PRESETS]
                        + [(CUSTOM, _l("Rules of our own (bands below)"))])
    cited_as = StringField(_l("Cited as"), validators=[Optional(), Length(max=200)],
                           description=_l("How pages cite your rules, e.g. 参照某市职业技能竞赛"
                                          "晋升规定（2025年）."))
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=BAND_ROWS)
    one_per_year = BooleanField(_l("At most one competition promotion per person per "
                                   "calendar year"))
    pass_theory = DecimalField(_l("Theory pass mark"), places=None,
                               validators=[Optional(), finite, NumberRange(Decimal(0))])
    pass_practical = DecimalField(_l("Practical pass mark"), places=None,
                                  validators=[Optional(), finite, NumberRange(Decimal(0))])
    needs_national_standard = BooleanField(_l("Only occupations with a national occupational "
                                              "standard"))
    by_organisers = BooleanField(_l("The organisers may also confirm or decline eligibilities"),
                                 description=_l("Otherwise only the human-resources officers "
                                                "covering the competition decide."))
    expiry_days = IntegerField(_l("Days an eligibility waits for a decision"), default=90,
                               validators=[InputRequired(), NumberRange(1, 3650)],
                               render_kw={"min": 1, "max": 3650, "inputmode": "numeric",
                                          "size": 5})

    def validate_cited_as(self, field) -> None:
        if self.scheme.data == CUSTOM and not (field.data or "").strip():
            raise ValueError(_l("Say how pages cite your rules."))

    # Between the form and the engine

    def rule_set(self, previous: engine.RuleSet | None) -> engine.RuleSet | None:
        """The chosen rules; None for none. Raises engine.RuleError naming a refused field
        (bands[1].shares) for rules of the organiser's own."""
        if self.scheme.data == NONE:
            return None
        if self.scheme.data != CUSTOM:
            return engine.preset(self.scheme.data)
        bands = []
        for entry in self.bands:
            if entry.form.is_used:
                try:
                    bands.append(_band(entry.form))
                except engine.RuleError as error:
                    raise error.within(f"bands[{len(bands)}]") from None
        version = previous.version + 1 if previous and previous.name == CUSTOM else 1
        return engine.RuleSet(CUSTOM, version, self.cited_as.data.strip(), tuple(bands),
                              one_per_year=self.one_per_year.data,
                              pass_theory=self.pass_theory.data,
                              pass_practical=self.pass_practical.data,
                              needs_national_standard=self.needs_national_standard.data)

    def used_rows(self) -> list[int]:
        """The band rows in use: the n-th band of the rules is row used_rows()[n]."""
        return [i for i, entry in enumerate(self.bands) if entry.form.is_used]

    def show(self, rules: engine.RuleSet | None, *, custom: bool = False) -> None:
        """Fill in stored (or copied) rules: a preset as chosen, else the bands."""
        if rules is None:
            self.scheme.data = NONE
            return
        if rules.name in engine.PRESETS and not custom:
            self.scheme.data = rules.name
            return
        self.scheme.data = CUSTOM
        self.cited_as.data = rules.cited_as
        self.one_per_year.data = rules.one_per_year
        self.pass_theory.data, self.pass_practical.data = rules.pass_theory, rules.pass_practical
        self.needs_national_standard.data = rules.needs_national_standard
        for entry, band in zip(self.bands, rules.bands, strict=False):
            _show_band(entry.form, band)


def _band(form: BandForm) -> engine.Band:
    kind = form.kind.data
    ranks = shares = awards = None
    if kind == RANKS:
        ranks = (form.first.data, form.last.data)
    elif kind == SHARES:
        shares = tuple(share_of(value) if value is not None else None
                       for value in (form.share_after.data or Decimal(0), form.share_up_to.data))
    else:
        awards = frozenset(form.awards.data or ())
    groups = {}
    for group in ("employee", "student"):
        target, cap = form[f"{group}_target"].data, form[f"{group}_cap"].data
        groups[group] = _target(group, target, cap)
    return engine.Band(label=(form.label.data or "").strip(), ranks=ranks, shares=shares,
                       awards=awards, **groups)


def _target(group: str, target: str, cap: str) -> engine.GroupTarget | None:
    if not target:
        if cap:
            raise engine.RuleError(f"{group}.target", "a cap needs a target")
        return None
    try:
        return engine.GroupTarget(target=target, cap=cap or target)
    except engine.RuleError as error:
        raise error.within(group) from None


def _show_band(form: BandForm, band: engine.Band) -> None:
    form.label.data = band.label
    if band.ranks is not None:
        form.kind.data = RANKS
        form.first.data, form.last.data = band.ranks
    elif band.shares is not None:
        form.kind.data = SHARES
        form.share_after.data, form.share_up_to.data = (percent_of(s) for s in band.shares)
    else:
        form.kind.data = AWARDS
        form.awards.data = sorted(band.awards)
    for group in ("employee", "student"):
        target = getattr(band, group)
        form[f"{group}_target"].data = target.target.value if target else ""
        form[f"{group}_cap"].data = target.cap.value if target else ""


# What a refused setting means, by the last part of its path; in the reader's language (the
# engine's own messages are for developers).
RULE_MESSAGES = {
    "label": _l("Give the band a name, e.g. 前5名."),
    "ranks": _l("Give the first and the last place, the last not before the first."),
    "shares": _l("Give the shares in percent, from 0 to 100, the second above the first."),
    "awards": _l("Tick at least one award."),
    "target": _l("Choose the level the band promotes to: from 初级工 to 高级技师."),
    "cap": _l("The highest level must not be below the target, nor above 高级技师."),
    "employee": _l("A band must promote employees, students or both."),
    "bands": _l("Give at least one band."),
}


def rule_message(error: engine.RuleError):
    """The translated message for a refused setting, and the band row it is about (or None)."""
    match = re.match(r"bands\[(\d+)\]\.?(.*)", error.field)
    band = int(match.group(1)) if match else None
    path = match.group(2) if match else error.field
    key = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1]) or "bands"
    if key == "student":
        key = "employee"
    return RULE_MESSAGES.get(key, error.message), band
