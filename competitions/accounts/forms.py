from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l


class LoginForm(Form):
    login = StringField(_l("Username, phone or e-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired()],
                             description=_l("At least 8 characters, with letters and digits."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class UserForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired()],
                             description=_l("At least 8 characters, with letters and digits."))


class AppointOrganiserForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])


class SignOutEverywhereForm(Form):
    """A button: its CSRF token is the whole form."""


class ForgotPasswordForm(Form):
    login = StringField(_l("Username, phone or e-mail"), validators=[DataRequired(),
                                                                      Length(max=254)])


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired()],
                             description=_l("At least 8 characters, with letters and digits."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class AppointPersonForm(Form):
    """Appoint a person found by the search; `role` is a competition role, or an event role
    with its event ("judge:12")."""

    user_id = HiddenField(validators=[DataRequired()])
    role = SelectField(_l("Role"))


class NewOfficialForm(Form):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)],
                       description=_l("The invitation is sent here."))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    unit = SelectField(_l("Unit"), coerce=parse_id,
                       description=_l("Where the official works: judges are kept off entrants "
                                      "of their own unit."))
    role = SelectField(_l("Role"))


class ClaimForm(Form):
    id_number = StringField(_l("ID card number"), validators=[DataRequired(), Length(max=18)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)],
                       description=_l("The claim code from your organiser, or the code e-mailed "
                                      "to you."))


class SendClaimCodeForm(Form):
    id_number = StringField(_l("ID card number"), validators=[DataRequired(), Length(max=18)])
