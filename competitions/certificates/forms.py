"""Forms: certificate settings, revocation, seal and logo uploads, the public lookup."""

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from competitions.certificates.models import CertificateKind, ImageKind
from competitions.certificates.pdf import FIELD_LABELS, FIELDS, MAX_OFFSET_MM
from competitions.forms import Form, parse_id
from competitions.i18n import lazy_gettext as _l


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _offset(label) -> DecimalField:
    return DecimalField(label, places=1, default=0,
                        validators=[Optional(), NumberRange(-MAX_OFFSET_MM, MAX_OFFSET_MM)],
                        render_kw={"step": "0.5", "inputmode": "decimal"})


class OffsetForm(Form):
    """One field's shift on pre-printed stock (a sub-form: no CSRF token of its own)."""

    class Meta:
        csrf = False

    dx = _offset(_l("Right (mm)"))
    dy = _offset(_l("Down (mm)"))


class CertificateSettingsForm(Form):
    kinds = CheckboxesField(_l("Certificates issued"), coerce=CertificateKind.coerce,
                            choices=CertificateKind.choices())
    issuers = CheckboxesField(
        _l("Issuing organisations printed"), coerce=parse_id,
        description=_l("The organiser and, for example, the human-resources bureau that "
                       "co-organises the competition; each prints its name and its seal."))
    preprinted = BooleanField(
        _l("Print on pre-printed certificate paper"),
        description=_l("Only the variable text, the serial and the QR code are printed; "
                       "align them with the offsets below and the calibration page."))
    offsets = FieldList(FormField(OffsetForm), min_entries=len(FIELDS),
                        max_entries=len(FIELDS))

    def offset_labels(self):
        return [FIELD_LABELS[name] for name in FIELDS]


class RevokeForm(Form):
    reason = TextAreaField(_l("Reason for revoking"), validators=[Length(max=200)],
                           description=_l("The public check shows it."),
                           render_kw={"rows": 2, "maxlength": 200})


class ImageForm(Form):
    kind = SelectField(_l("Image"), choices=ImageKind.choices(), coerce=ImageKind.coerce)
    image = FileField(_l("PNG file"), validators=[FileRequired()],
                      description=_l("A PNG with a transparent background, at most 512 KB "
                                     "and 2000 pixels a side."),
                      render_kw={"accept": "image/png"})


class LookupForm(Form):
    serial = StringField(_l("Certificate number"), validators=[InputRequired(), Length(max=40)],
                         render_kw={"autocomplete": "off", "spellcheck": "false"})
    token = StringField(_l("Verification code"), validators=[InputRequired(), Length(max=40)],
                        description=_l("Printed under the QR code on the certificate."),
                        render_kw={"autocomplete": "off", "spellcheck": "false"})
