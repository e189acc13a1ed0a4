"""Worker profile forms: self sign-up and the organisers' create/edit form."""

import sqlalchemy as sa
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from competitions.contests.models import EventGroup
from competitions.extensions import db
from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.organisations.services import search_organisations
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration import worker_rules

CHOOSE_EMPLOYER = _l("Choose the enterprise or school that employs the worker.")


def optional_int(value) -> int | None:
    return parse_id(value) if value not in (None, "") else None


def optional_level(value) -> SkillLevel | None:
    return SkillLevel.coerce(value) if value not in (None, "") else None


class EmployerField(SelectField):
    """A select filled from an employer search, never with every organisation."""

    def pre_validate(self, form):
        if self.data is not None and self.data not in {v for v, _label in self.choices or []}:
            raise ValidationError(_l("Search for the employer and choose it from the list."))


class WorkerForm(Form):
    # The same rules as the spreadsheet import's columns (registration/worker_rules.py).
    name = StringField(_l("Real name"), validators=worker_rules.NAME.validators())
    id_number = StringField(_l("ID card number"), validators=worker_rules.ID_NUMBER.validators(),
                            description=_l("18 characters; the last one may be X."))
    phone = StringField(_l("Mobile phone"), validators=worker_rules.PHONE.validators())
    employer = EmployerField(_l("Employer"), coerce=optional_int,
                             validators=[InputRequired(message=CHOOSE_EMPLOYER)])
    occupation = SelectField(_l("Occupation"), coerce=optional_int, validators=[Optional()])
    skill_level = SelectField(_l("Skill level"), coerce=optional_level, validators=[Optional()],
                              choices=[("", "—"), *SkillLevel.choices()])
    skill_certificate_no = StringField(_l("Skill certificate number"),
                                       validators=worker_rules.SKILL_CERTIFICATE_NO.validators())
    group = SelectField(_l("Competes in"), choices=EventGroup.choices(),
                        coerce=EventGroup.coerce, default=EventGroup.EMPLOYEE.value,
                        description=_l("The group of events the person may enter."))

    def fill_choices(self, employer_query: str, *, within: list[str] | None,
                     keep: Organisation | None = None) -> None:
        """Offer the employers matching the search, the current one and the one just posted."""
        found = (search_organisations(employer_query, within=within, employers_only=True)
                 if employer_query else [])
        posted = db.session.get(Organisation, self.employer.data) if self.employer.data else None
        if posted is not None and not _may_choose(posted, within):
            posted = None
        employers = {}
        for org in [keep, posted, *found]:
            if org is not None:
                employers.setdefault(org.id, org)
        self.employer.choices = [("", "—"), *((org.id, org.name) for org in employers.values())]
        occupations = db.session.execute(
            sa.select(Occupation.id, Occupation.name).order_by(Occupation.name))
        self.occupation.choices = [("", "—"), *((o.id, o.name) for o in occupations)]


def _may_choose(org: Organisation, within: list[str] | None) -> bool:
    if not org.kind.employs_workers:
        return False
    return within is None or any(org.path.startswith(path) for path in within)


class SignUpForm(WorkerForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             description=_l("At least 8 characters, with letters and digits."))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Mobile phone"),
                        validators=worker_rules.PHONE.validators(required=True))


class ContactForm(Form):
    """The contact details a worker edits on their own profile."""

    # Left empty, the number on file stays: the profile shows it masked, never in full.
    phone = StringField(_l("New mobile phone"), validators=worker_rules.PHONE.validators())
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])


class DocumentUploadForm(Form):
    """One required document for one member of an entry."""

    worker_id = HiddenField(validators=[InputRequired()])
    requirement = HiddenField(validators=[InputRequired(), Length(max=100)])
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[
        FileRequired(message=_l("Choose a file to upload."))])


# --- Entries: registering workers and teams, deciding, nominating ---------------------------

class WorkerChoiceForm(Form):
    """A button beside a worker found by the search: register or nominate that worker."""

    worker_id = HiddenField(validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class TeamEntryForm(Form):
    team_name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=100)])
    members = TextAreaField(_l("Members' ID card numbers"), validators=[DataRequired()],
                            description=_l("One per line, the team leader first."))

    def id_numbers(self) -> list[str]:
        return [line.strip().replace(" ", "").upper()
                for line in (self.members.data or "").splitlines() if line.strip()]


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejecting"), validators=[
        DataRequired(message=_l("Give the reason for rejecting the entry.")),
        Length(max=1000)])


class WithdrawForm(Form):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])
