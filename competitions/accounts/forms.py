from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from competitions.forms import Form
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
